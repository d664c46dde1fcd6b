package directives

import (
	"errors"
	"reflect"

	"github.com/gqljwt/gqljwt"
	"github.com/graphql-go/graphql"
)

// Option configures Guard and Apply.
type Option func(*options)

type options struct {
	unauthenticated string
	forbidden       string
	denyByDefault   bool
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

// Guard returns a resolver that checks rule before it calls resolve, and
// resolves to null with an error when the caller may not proceed; resolve
// nil stands for graphql.DefaultResolveFn, so plain data fields are guarded
// too. The caller is read with gqljwt.FromContext(p.Context).
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
	return guard(rule, resolve, newOptions(opts))
}

// guard builds every guarded resolver; isGuarded recognizes them by the
// code pointer of the closure below, which is one function only while
// guard is never inlined.
//
//go:noinline
func guard(rule Rule, resolve graphql.FieldResolveFn, o *options) graphql.FieldResolveFn {
	if resolve == nil {
		resolve = graphql.DefaultResolveFn
	}
	return func(p graphql.ResolveParams) (any, error) {
		id, why := identity(p)
		ok, err := rule.Check(p, id)
		if ok && err == nil {
			return resolve(p)
		}
		return nil, o.refusal(id, why, err)
	}
}

var guardCode = reflect.ValueOf(guard(public{}, nil, nil)).Pointer()

// isGuarded reports whether fn was built by Guard or Apply.
func isGuarded(fn graphql.FieldResolveFn) bool {
	return fn != nil && reflect.ValueOf(fn).Pointer() == guardCode
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
func (o *options) refusal(id *gqljwt.Identity, why, failure error) error {
	if failure != nil {
		return ruleError(failure)
	}
	if id != nil {
		return gqljwt.ErrForbidden.WithMessage(o.forbidden)
	}
	code := gqljwt.CodeOf(why)
	if code == gqljwt.CodeUnavailable {
		// A store that could not answer is an outage, not a signed-out
		// caller: clients that sign users out on UNAUTHENTICATED must not
		// do so here.
		return ruleError(why)
	}
	e := gqljwt.ErrUnauthenticated.WithCause(why)
	e.Message = o.unauthenticated
	// No token and no verifier are plain UNAUTHENTICATED; anything else
	// was a token sent and refused.
	if code != gqljwt.CodeUnauthenticated {
		e.Reason = code
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
