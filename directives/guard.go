package directives

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/gqljwt/gqljwt"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/location"
)

// Option configures Guard and Apply.
type Option func(*options)

type options struct {
	unauthenticated string
	forbidden       string
	// reasons words the refusal of a caller whose token was refused, by
	// the token error's code.
	reasons       map[gqljwt.Code]string
	denyByDefault bool
	tokenArg      *tokenArgument
	reword        func(*gqljwt.Error) string
}

func newOptions(opts []Option) *options {
	o := &options{
		unauthenticated: gqljwt.ErrUnauthenticated.Message,
		forbidden:       gqljwt.ErrForbidden.Message,
	}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// UnauthenticatedMessage replaces "Unauthorized", the message of the
// UNAUTHENTICATED error a denied anonymous caller gets.
func UnauthenticatedMessage(msg string) Option {
	return func(o *options) { o.unauthenticated = msg }
}

// ForbiddenMessage replaces "You do not have permission to perform this
// action", the message of the FORBIDDEN error a denied authenticated caller
// gets.
func ForbiddenMessage(msg string) Option {
	return func(o *options) { o.forbidden = msg }
}

// Messages words refusals as an API's clients expect them, by code:
// CodeUnauthenticated for an anonymous caller (as UnauthenticatedMessage),
// CodeForbidden for a denied identity (as ForbiddenMessage), and
// CodeTokenExpired, CodeTokenInvalid, CodeTokenRevoked for a caller whose
// token was refused, by its reason (django-graphql-jwt's clients refresh
// on "Signature has expired"). Codes and reasons stay as they are: only
// the messages change. mutations.Preset.GuardMessages holds a preset's.
func Messages(m map[gqljwt.Code]string) Option {
	return func(o *options) {
		for code, msg := range m {
			switch code {
			case gqljwt.CodeUnauthenticated:
				o.unauthenticated = msg
			case gqljwt.CodeForbidden:
				o.forbidden = msg
			default:
				if o.reasons == nil {
					o.reasons = map[gqljwt.Code]string{}
				}
				o.reasons[code] = msg
			}
		}
	}
}

// Reword words the refusal of a caller whose token was refused from the
// refusal itself, its cause included, where its reason alone does not
// tell the API's cases apart (mutations.Preset.Reword); "" leaves it to
// Messages. Codes and reasons stay.
func Reword(fn func(e *gqljwt.Error) string) Option {
	return func(o *options) { o.reword = fn }
}

// Guard returns a resolver that checks rule before it calls resolve, and
// resolves to null with an error when the caller may not proceed; resolve
// nil stands for graphql.DefaultResolveFn, so plain data fields are guarded
// too. The caller is read with gqljwt.FromContext(p.Context).
//
// A field's Subscribe is a resolver too: guard it as well, with
// Subscribe: Guard(rule, subscribe), or a subscription starts for callers
// whose every event is then refused. When Guard guards only one of the
// two, Apply guards the other with the same rule.
//
// A denial is UNAUTHENTICATED for an anonymous caller, with
// extensions.reason telling why when a token was sent but refused (its
// code: TOKEN_EXPIRED, TOKEN_INVALID or TOKEN_REVOKED), AUTH_UNAVAILABLE
// when a store could not check the token, and FORBIDDEN for an
// authenticated caller. When the rule fails, its error is
// returned as described at Predicate. Either way the error is a
// *gqljwt.Error, returned unwrapped so graphql-go reports its extensions.
//
// Guard panics when rule is nil. The DenyByDefault option means nothing
// here; Apply treats a field guarded by Guard as one with a rule of its own.
func Guard(rule Rule, resolve graphql.FieldResolveFn, opts ...Option) graphql.FieldResolveFn {
	mustRules("Guard", []Rule{rule})
	return guard(rule, resolve, newOptions(opts), nil)
}

// mark is what a guarded resolver tells Apply about itself: its rule and
// options, and the type map of the schema whose Apply built it (nil for
// Guard), which tells the guards of this schema from those of another
// schema that shares the field's type.
type mark struct {
	rule   Rule
	o      *options
	schema graphql.TypeMap
}

// probe is the context markOf calls a guarded resolver with. Go can
// neither compare nor inspect funcs, so the guard itself answers: it
// stores its mark in the probe instead of checking and resolving. Nobody
// else can build a *probe, so no request takes this path.
type probe struct {
	context.Context
	mark *mark
}

// guard builds every guarded resolver; markOf recognizes them by the code
// pointer of the closure below, which is one function only while guard is
// never inlined.
//
//go:noinline
func guard(rule Rule, resolve graphql.FieldResolveFn, o *options, schema graphql.TypeMap) graphql.FieldResolveFn {
	if resolve == nil {
		resolve = graphql.DefaultResolveFn
	}
	m := &mark{rule: rule, o: o, schema: schema}
	return func(p graphql.ResolveParams) (any, error) {
		if pr, ok := p.Context.(*probe); ok {
			pr.mark = m
			return nil, nil
		}
		var id *gqljwt.Identity
		var why error
		if o.tokenArg != nil {
			p, id, why = o.tokenArg.identity(p)
		} else {
			id, why = identity(p)
		}
		ok, err := rule.Check(p, id)
		if ok && err == nil {
			return resolve(p)
		}
		return nil, locate(o.refusal(id, why, err), p.Info)
	}
}

var guardCode = reflect.ValueOf(guard(public{}, nil, nil, nil)).Pointer()

// markOf returns the mark of fn when Guard or Apply built it, and nil for
// any other resolver, which it never calls.
func markOf(fn graphql.FieldResolveFn) *mark {
	if fn == nil || reflect.ValueOf(fn).Pointer() != guardCode {
		return nil
	}
	pr := &probe{Context: context.Background()}
	fn(graphql.ResolveParams{Context: pr})
	return pr.mark
}

// located is the cause a guard adds to its refusal: where it refused.
// graphql-go locates the error of a Resolve itself, but formats the error
// of a Subscribe with no locations, path or extensions; FormatErrorFn finds
// this cause and puts them back.
type located struct {
	path      []any
	locations []location.SourceLocation
	err       error // the refusal's own cause
}

func (l *located) Error() string {
	s := fmt.Sprintf("refused at %v", l.path)
	if l.err != nil {
		s += ": " + l.err.Error()
	}
	return s
}

func (l *located) Unwrap() error { return l.err }

// locate adds to e the place of the field info describes, when the guard
// runs under graphql-go's execution; a resolver called by hand has no path.
func locate(e *gqljwt.Error, info graphql.ResolveInfo) *gqljwt.Error {
	if info.Path == nil {
		return e
	}
	l := &located{path: info.Path.AsArray(), err: e.Unwrap()}
	for _, f := range info.FieldASTs {
		if f != nil && f.Loc != nil {
			l.locations = append(l.locations, location.GetLocation(f.Loc.Source, f.Loc.Start))
		}
	}
	return e.WithCause(l)
}

func identity(p graphql.ResolveParams) (*gqljwt.Identity, error) {
	if p.Context == nil {
		return nil, gqljwt.ErrUnauthenticated
	}
	return gqljwt.FromContext(p.Context)
}

// refusal is the error of a caller a rule did not allow: the rule's own
// error when it failed, otherwise UNAUTHENTICATED or FORBIDDEN depending
// only on whether there is an identity.
func (o *options) refusal(id *gqljwt.Identity, why, failure error) *gqljwt.Error {
	if failure != nil {
		return ruleError(failure)
	}
	if id != nil {
		return gqljwt.ErrForbidden.WithMessage(o.forbidden)
	}
	e := gqljwt.Unauthenticated(why)
	if e.Code == gqljwt.CodeUnauthenticated {
		e.Message = o.unauthenticated
		if msg, ok := o.reasons[e.Reason]; ok && e.Reason != "" {
			e.Message = msg
		}
		if o.reword != nil {
			if msg := o.reword(e); msg != "" {
				e.Message = msg
			}
		}
	}
	return e
}

// ruleError turns the error of a rule that could not decide into a
// *gqljwt.Error for the client, keeping the original as the cause.
func ruleError(err error) *gqljwt.Error {
	if e, ok := err.(*gqljwt.Error); ok {
		return e
	}
	var e *gqljwt.Error
	if errors.As(err, &e) {
		return e.WithCause(err)
	}
	return gqljwt.ErrInternal.WithCause(err)
}
