package directives

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gqljwt/gqljwt"
	"github.com/graphql-go/graphql"
)

// Rule decides whether the caller may resolve a field. Rules are values:
// build them once at start-up with the constructors of this package and
// share them; all of them are safe for concurrent use.
//
// Any type with a Check method is a Rule, but Predicate covers most needs.
type Rule interface {
	// Check reports whether the caller may resolve the field of p; id is
	// the caller's identity, nil when the caller is anonymous.
	//
	// false with a nil error denies: the guard reports UNAUTHENTICATED to
	// an anonymous caller and FORBIDDEN to an authenticated one. An error
	// means the rule could not decide; the guard reports it (see Guard),
	// and no combinator ever turns it into an allow.
	Check(p graphql.ResolveParams, id *gqljwt.Identity) (bool, error)
}

// Authenticated allows any caller with a verified identity.
func Authenticated() Rule { return authenticated{} }

type authenticated struct{}

func (authenticated) Check(_ graphql.ResolveParams, id *gqljwt.Identity) (bool, error) {
	return id != nil, nil
}

func (authenticated) String() string { return "Authenticated" }

// Public allows every caller, anonymous ones and those whose token was
// refused included. It marks the fields that stay open under DenyByDefault
// and overrides a type rule for one field.
func Public() Rule { return public{} }

type public struct{}

func (public) Check(graphql.ResolveParams, *gqljwt.Identity) (bool, error) { return true, nil }

func (public) String() string { return "Public" }

// deny is what DenyByDefault puts on fields that have no rule.
type deny struct{}

func (deny) Check(graphql.ResolveParams, *gqljwt.Identity) (bool, error) { return false, nil }

func (deny) String() string { return "Deny" }

// AnyRole allows an authenticated caller that holds at least one of roles.
// It panics without roles: a rule nobody can pass is a mistake.
func AnyRole(roles ...string) Rule {
	mustHave("AnyRole", len(roles))
	return anyRole(slices.Clone(roles))
}

type anyRole []string

func (r anyRole) Check(_ graphql.ResolveParams, id *gqljwt.Identity) (bool, error) {
	for _, role := range r {
		if id.HasRole(role) {
			return true, nil
		}
	}
	return false, nil
}

func (r anyRole) String() string { return "AnyRole(" + strings.Join(r, ", ") + ")" }

// AllRoles allows an authenticated caller that holds every one of roles.
// It panics without roles.
func AllRoles(roles ...string) Rule {
	mustHave("AllRoles", len(roles))
	return allRoles(slices.Clone(roles))
}

type allRoles []string

func (r allRoles) Check(_ graphql.ResolveParams, id *gqljwt.Identity) (bool, error) {
	for _, role := range r {
		if !id.HasRole(role) {
			return false, nil
		}
	}
	return id != nil, nil
}

func (r allRoles) String() string { return "AllRoles(" + strings.Join(r, ", ") + ")" }

// Scopes allows an authenticated caller that holds every one of scopes,
// as OAuth resource servers read scopes. It panics without scopes.
func Scopes(scopes ...string) Rule {
	mustHave("Scopes", len(scopes))
	return allScopes(slices.Clone(scopes))
}

type allScopes []string

func (r allScopes) Check(_ graphql.ResolveParams, id *gqljwt.Identity) (bool, error) {
	for _, scope := range r {
		if !id.HasScope(scope) {
			return false, nil
		}
	}
	return id != nil, nil
}

func (r allScopes) String() string { return "Scopes(" + strings.Join(r, ", ") + ")" }

// Predicate is a custom rule, such as ownership of the object being
// resolved (p.Source) or named in the arguments (p.Args). fn runs only for
// an authenticated caller, so id is never nil; an anonymous caller is
// denied without calling it.
//
// fn returns false to deny. An error means fn could not decide: a
// *gqljwt.Error (or an error wrapping one) is reported as that error, so
// fn may return gqljwt.ErrUnavailable when a store fails, or
// gqljwt.ErrForbidden.WithMessage(...) for a message of its own; any other
// error is reported as INTERNAL_SERVER_ERROR, keeping its text from
// clients. name appears in the rule's String, for logs and debugging.
func Predicate(name string, fn func(p graphql.ResolveParams, id *gqljwt.Identity) (bool, error)) Rule {
	if fn == nil {
		panic("directives: Predicate " + name + " has a nil func")
	}
	return &predicate{name: name, fn: fn}
}

type predicate struct {
	name string
	fn   func(graphql.ResolveParams, *gqljwt.Identity) (bool, error)
}

func (r *predicate) Check(p graphql.ResolveParams, id *gqljwt.Identity) (bool, error) {
	if id == nil {
		return false, nil
	}
	return r.fn(p, id)
}

func (r *predicate) String() string { return "Predicate(" + r.name + ")" }

// And allows when every rule allows. The rules run in order and the first
// that denies or fails decides, so put cheap rules first: the rest do not
// run. It panics without rules, since an empty And would allow everyone.
func And(rules ...Rule) Rule {
	return and{name: "And", rules: mustRules("And", rules)}
}

// Chain is And under the name graphql-shield users know: the rules run in
// order and evaluation stops at the first denial. Unlike graphql-shield,
// where and runs all of its rules at once, this package's And is already
// sequential, so the two behave the same; write Chain where the order is
// part of the meaning, such as a Predicate that relies on a role checked
// before it.
func Chain(rules ...Rule) Rule {
	return and{name: "Chain", rules: mustRules("Chain", rules)}
}

type and struct {
	name  string
	rules []Rule
}

func (r and) Check(p graphql.ResolveParams, id *gqljwt.Identity) (bool, error) {
	for _, rule := range r.rules {
		if ok, err := rule.Check(p, id); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func (r and) String() string { return r.name + listString(r.rules) }

// Or allows when any rule allows. The rules run in order until one
// allows. When none does, Or reports the error of the first rule that
// failed, if any: a rule that could not decide might have allowed, so a
// plain denial would mislead. It panics without rules.
func Or(rules ...Rule) Rule {
	return or(mustRules("Or", rules))
}

type or []Rule

func (r or) Check(p graphql.ResolveParams, id *gqljwt.Identity) (bool, error) {
	var failure error
	for _, rule := range r {
		ok, err := rule.Check(p, id)
		if err == nil && ok {
			return true, nil
		}
		if failure == nil {
			failure = err
		}
	}
	return false, failure
}

func (r or) String() string { return "Or" + listString(r) }

// Not allows when rule denies and denies when rule allows; an error of
// rule stays an error. Authenticated, AnyRole, AllRoles, Scopes and
// Predicate all deny an anonymous caller, so Not of them allows one:
// Not(Authenticated()) allows exactly the anonymous callers (those whose
// token was refused included), for operations such as register that make
// no sense once signed in, and Not(AnyRole("BANNED")) lets anonymous
// callers in as well; write And(Authenticated(), Not(AnyRole("BANNED")))
// to require a signed-in caller.
//
// A denial by Not is reported like any other: UNAUTHENTICATED to an
// anonymous caller, FORBIDDEN to an authenticated one.
func Not(rule Rule) Rule {
	mustRules("Not", []Rule{rule})
	return not{rule}
}

type not struct{ rule Rule }

func (r not) Check(p graphql.ResolveParams, id *gqljwt.Identity) (bool, error) {
	ok, err := r.rule.Check(p, id)
	if err != nil {
		return false, err
	}
	return !ok, nil
}

func (r not) String() string { return "Not(" + ruleString(r.rule) + ")" }

func mustHave(name string, n int) {
	if n == 0 {
		panic("directives: " + name + " needs at least one name")
	}
}

func mustRules(name string, rules []Rule) []Rule {
	if len(rules) == 0 {
		panic("directives: " + name + " needs at least one rule")
	}
	for _, r := range rules {
		if r == nil {
			panic("directives: " + name + " given a nil rule")
		}
	}
	return slices.Clone(rules)
}

func listString(rules []Rule) string {
	parts := make([]string, len(rules))
	for i, r := range rules {
		parts[i] = ruleString(r)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// ruleString names rules that are not fmt.Stringers by their type.
func ruleString(r Rule) string {
	if s, ok := r.(interface{ String() string }); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", r)
}
