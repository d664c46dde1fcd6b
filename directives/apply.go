package directives

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/graphql-go/graphql"
)

// Errors of Apply, wrapped with the offending key; test with errors.Is.
var (
	// ErrInvalidKey: a rule key is not "Type.field" or "Type.*", names no
	// object type or field of the schema, or has a nil rule.
	ErrInvalidKey = errors.New("directives: invalid rule key")
	// ErrAlreadyGuarded: a rule key names a field that Guard or an earlier
	// Apply already guards, or a type all of whose fields are guarded.
	ErrAlreadyGuarded = errors.New("directives: already guarded")
)

// DenyByDefault makes Apply deny every field of every object type that
// has no rule: neither a field rule, nor a type rule, nor a guard of its
// own. Mark the fields that stay open with Public(), one by one
// ("Mutation.login") or by type ("PageInfo.*"). A type added later is then
// closed until someone decides otherwise.
//
// It covers all object types, not just Query, Mutation and Subscription: a
// public root field must not open whatever its result links to.
// Introspection is left alone: __schema, __type and __typename keep
// working, and so do the __ types.
func DenyByDefault() Option {
	return func(o *options) { o.denyByDefault = true }
}

// Apply wraps the resolvers of schema with the guards of rules, in place.
// Call it once the schema is built (graphql.NewSchema) and before it
// serves; a type whose fields are redefined afterwards (AddFieldConfig)
// loses its guards.
//
// A key is "Type.field" for one field or "Type.*" for every field of an
// object type. A field rule overrides its type's rule instead of adding to
// it, so "Query.*": Authenticated() with "Query.login": Public() leaves
// login open; write And(typeRule, fieldRule) to require both. Fields
// without a resolver use graphql.DefaultResolveFn and are guarded too, and
// a field's Subscribe is guarded with its Resolve.
//
// A field that Guard or an earlier Apply already guards counts as having a
// field rule: type rules and DenyByDefault leave it alone, and naming it in
// rules is ErrAlreadyGuarded, as is a type key whose fields are all
// guarded; so a second Apply never wraps a guard in another. Keys naming
// no object field of the schema are ErrInvalidKey. Apply checks every key
// before it changes anything and reports all problems at once; on error
// the schema is untouched.
func Apply(schema *graphql.Schema, rules map[string]Rule, opts ...Option) error {
	if schema == nil {
		return errors.New("directives: Apply needs a schema")
	}
	o := newOptions(opts)
	types := schema.TypeMap()
	fieldRules := map[*graphql.FieldDefinition]Rule{}
	typeRules := map[*graphql.Object]Rule{}
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(rules)) {
		obj, field, err := lookup(types, key)
		switch {
		case err != nil:
			errs = append(errs, err)
		case rules[key] == nil:
			errs = append(errs, fmt.Errorf("%w: %s has a nil rule", ErrInvalidKey, key))
		case field == "*" && allGuarded(obj):
			errs = append(errs, fmt.Errorf("%w: every field of %s", ErrAlreadyGuarded, obj.Name()))
		case field == "*":
			typeRules[obj] = rules[key]
		case isGuarded(obj.Fields()[field].Resolve):
			errs = append(errs, fmt.Errorf("%w: %s", ErrAlreadyGuarded, key))
		default:
			fieldRules[obj.Fields()[field]] = rules[key]
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, name := range slices.Sorted(maps.Keys(types)) {
		obj, ok := types[name].(*graphql.Object)
		if !ok || introspection(name) {
			continue
		}
		typeRule := typeRules[obj]
		for _, fd := range obj.Fields() {
			if isGuarded(fd.Resolve) {
				continue
			}
			rule := fieldRules[fd]
			if rule == nil {
				rule = typeRule
			}
			if rule == nil && o.denyByDefault {
				rule = deny{}
			}
			if rule == nil {
				continue
			}
			fd.Resolve = guard(rule, fd.Resolve, o)
			if fd.Subscribe != nil {
				fd.Subscribe = guard(rule, fd.Subscribe, o)
			}
		}
	}
	return nil
}

// lookup resolves a rule key to its object type and field name ("*" for
// the type rule).
func lookup(types graphql.TypeMap, key string) (*graphql.Object, string, error) {
	typeName, field, ok := strings.Cut(key, ".")
	if !ok || typeName == "" || field == "" || strings.Contains(field, ".") {
		return nil, "", fmt.Errorf("%w: %q is not Type.field or Type.*", ErrInvalidKey, key)
	}
	t, ok := types[typeName]
	if !ok {
		return nil, "", fmt.Errorf("%w: %s: no type %s in the schema", ErrInvalidKey, key, typeName)
	}
	obj, ok := t.(*graphql.Object)
	switch {
	case introspection(typeName):
		return nil, "", fmt.Errorf("%w: %s: introspection types cannot be guarded", ErrInvalidKey, key)
	case !ok:
		// graphql-go resolves fields through object types only, so a rule
		// on an interface would never run.
		return nil, "", fmt.Errorf("%w: %s: %s is not an object type; guard the object types instead", ErrInvalidKey, key, typeName)
	}
	if field != "*" && obj.Fields()[field] == nil {
		return nil, "", fmt.Errorf("%w: %s: no field %s on %s", ErrInvalidKey, key, field, typeName)
	}
	return obj, field, nil
}

func allGuarded(obj *graphql.Object) bool {
	for _, fd := range obj.Fields() {
		if !isGuarded(fd.Resolve) {
			return false
		}
	}
	return true
}

// introspection reports a type of graphql-go's introspection system, which
// every schema shares: guarding it would guard all schemas at once.
func introspection(typeName string) bool { return strings.HasPrefix(typeName, "__") }
