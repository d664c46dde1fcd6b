package directives

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/gqljwt/gqljwt"
	"github.com/graphql-go/graphql"
)

// Errors of Apply, wrapped with the offending key; test with errors.Is.
var (
	// ErrInvalidKey: a rule key is not "Type.field" or "Type.*", names no
	// object type or field of the schema, or has a nil rule.
	ErrInvalidKey = errors.New("directives: invalid rule key")
	// ErrAlreadyGuarded: a rule key names a field whose resolvers Guard or
	// an earlier Apply on this schema already guards, or a type all of
	// whose fields are so guarded.
	ErrAlreadyGuarded = errors.New("directives: already guarded")
	// ErrSharedType: a rule would cover a field that Apply on another
	// schema already guards. The schemas share the field's object type, and
	// guarding it here would change the other schema too.
	ErrSharedType = errors.New("directives: shared type")
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
// A field counts as guarded when its Resolve and, if it has one, its
// Subscribe are guarded. A field that Guard or an earlier Apply on this
// schema already guards counts as having a field rule: type rules and
// DenyByDefault leave it alone, and naming it in rules is
// ErrAlreadyGuarded, as is a type key whose fields are all guarded; so a
// second Apply never wraps a guard in another. When Guard guards only one
// of a field's Resolve and Subscribe, Apply guards the other with the
// field's key's rule, or else with that Guard's rule.
//
// Object types may be shared by several schemas, and guards are part of
// the field definitions they change: a rule of this call (a field key, a
// type key or DenyByDefault) that would cover a field guarded by Apply on
// another schema is ErrSharedType, naming the field. Build such a type
// once per schema to guard it differently. A shared field no rule of this
// call covers keeps the other schema's guards, which can only refuse.
//
// Interfaces and unions: graphql-go accepts the object a ResolveType
// returns when its name is a possible type, then resolves that object's
// fields. So that an instance other than the schema's (a type constructor
// called twice) cannot bypass the guards, Apply makes every ResolveType
// return the executing schema's own object of that name, and refuses with
// INTERNAL_SERVER_ERROR a name that is no object type of the schema.
//
// Keys naming no object field of the schema are ErrInvalidKey. Apply
// checks every key and field before it changes anything and reports all
// problems at once; on error the schema is untouched.
func Apply(schema *graphql.Schema, rules map[string]Rule, opts ...Option) error {
	if schema == nil {
		return errors.New("directives: Apply needs a schema")
	}
	o := newOptions(opts)
	types := schema.TypeMap()
	objects, states := objectsOf(types)
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
		case field == "*" && allGuarded(obj, states, types):
			errs = append(errs, fmt.Errorf("%w: every field of %s", ErrAlreadyGuarded, obj.Name()))
		case field == "*":
			typeRules[obj] = rules[key]
		case states[obj.Fields()[field]].ownGuarded(types):
			errs = append(errs, fmt.Errorf("%w: %s", ErrAlreadyGuarded, key))
		default:
			fieldRules[obj.Fields()[field]] = rules[key]
		}
	}
	// Fields of shared types are reported after the keys, one error per
	// field however many rules cover it.
	for _, obj := range objects {
		for _, name := range slices.Sorted(maps.Keys(obj.Fields())) {
			fd := obj.Fields()[name]
			covered := fieldRules[fd] != nil || typeRules[obj] != nil || o.denyByDefault
			if covered && states[fd].foreign(types) {
				errs = append(errs, fmt.Errorf("%w: %s.%s: %s is shared with a schema guarded elsewhere",
					ErrSharedType, obj.Name(), name, obj.Name()))
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, obj := range objects {
		for _, fd := range obj.Fields() {
			st := states[fd]
			if st.foreign(types) || st.complete() {
				continue
			}
			rule, ro, owner := fieldRules[fd], o, types
			if m := st.any(); rule == nil && m != nil {
				// The half of the field a Guard left open gets that
				// Guard's rule: it is the field's own rule.
				rule, ro, owner = m.rule, m.o, m.schema
			}
			if rule == nil {
				rule = typeRules[obj]
			}
			if rule == nil && o.denyByDefault {
				rule = deny{}
			}
			if rule == nil {
				continue
			}
			if st.resolve == nil {
				fd.Resolve = guard(rule, fd.Resolve, ro, owner)
			}
			if fd.Subscribe != nil && st.subscribe == nil {
				fd.Subscribe = guard(rule, fd.Subscribe, ro, owner)
			}
		}
	}
	ownTypes(types)
	return nil
}

// fieldState is what Apply finds on a field before it changes anything:
// the marks of its guarded resolvers, nil for one not guarded.
type fieldState struct {
	resolve, subscribe *mark
	subscribes         bool // the field has a Subscribe
}

// objectsOf returns the object types of the schema that Apply may guard,
// by name, and the state of each of their fields.
func objectsOf(types graphql.TypeMap) ([]*graphql.Object, map[*graphql.FieldDefinition]fieldState) {
	var objects []*graphql.Object
	states := map[*graphql.FieldDefinition]fieldState{}
	for _, name := range slices.Sorted(maps.Keys(types)) {
		obj, ok := types[name].(*graphql.Object)
		if !ok || introspection(name) {
			continue
		}
		objects = append(objects, obj)
		for _, fd := range obj.Fields() {
			states[fd] = fieldState{resolve: markOf(fd.Resolve), subscribe: markOf(fd.Subscribe), subscribes: fd.Subscribe != nil}
		}
	}
	return objects, states
}

// complete reports a field whose resolvers are all guarded.
func (s fieldState) complete() bool {
	return s.resolve != nil && (!s.subscribes || s.subscribe != nil)
}

// foreign reports a field one of whose guards Apply built for a schema
// other than the one of types.
func (s fieldState) foreign(types graphql.TypeMap) bool {
	for _, m := range []*mark{s.resolve, s.subscribe} {
		if m != nil && m.schema != nil && !sameMap(m.schema, types) {
			return true
		}
	}
	return false
}

// ownGuarded reports a field guarded completely by Guard or by Apply on
// the schema of types.
func (s fieldState) ownGuarded(types graphql.TypeMap) bool {
	return s.complete() && !s.foreign(types)
}

// any returns the mark of one of the field's guards, nil if it has none.
func (s fieldState) any() *mark {
	if s.resolve != nil {
		return s.resolve
	}
	return s.subscribe
}

// sameMap reports whether a and b are one map: the identity of a schema,
// shared by the copies of its graphql.Schema value.
func sameMap(a, b graphql.TypeMap) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// ownTypes makes the ResolveType of every interface and union of the
// schema return the executing schema's own objects (see Apply). Those
// without a ResolveType need nothing: graphql-go then asks the IsTypeOf of
// the schema's possible types, which are the schema's own objects (it
// refuses to build a schema with two types of one name), and so are the
// objects fields declare.
func ownTypes(types graphql.TypeMap) {
	for _, name := range slices.Sorted(maps.Keys(types)) {
		switch t := types[name].(type) {
		case *graphql.Interface:
			if t.ResolveType != nil && !isOwnType(t.ResolveType) {
				t.ResolveType = ownType(t.Name(), t.ResolveType)
			}
		case *graphql.Union:
			if t.ResolveType != nil && !isOwnType(t.ResolveType) {
				t.ResolveType = ownType(t.Name(), t.ResolveType)
			}
		}
	}
}

// ownType wraps the ResolveType of the abstract type abstract. It looks
// the name up in the schema that executes (p.Info.Schema), not in the one
// Apply was called for, so an interface shared by several schemas is
// wrapped once and right for all of them. A type that is no object of the
// schema is a server bug: the client gets INTERNAL_SERVER_ERROR (graphql-go
// turns the panic into the field's error), the log the details.
//
//go:noinline
func ownType(abstract string, resolve graphql.ResolveTypeFn) graphql.ResolveTypeFn {
	return func(p graphql.ResolveTypeParams) *graphql.Object {
		obj := resolve(p)
		if obj == nil {
			// graphql-go reports an abstract type that resolved to nothing.
			return nil
		}
		own, ok := p.Info.Schema.Type(obj.Name()).(*graphql.Object)
		if !ok {
			panic(gqljwt.ErrInternal.WithCause(fmt.Errorf("directives: %s resolved %s.%s to %s, which is no object type of the schema",
				abstract, p.Info.ParentType, p.Info.FieldName, obj.Name())))
		}
		return own
	}
}

var ownTypeCode = reflect.ValueOf(ownType("", nil)).Pointer()

// isOwnType reports a ResolveType ownType built, which is never wrapped
// twice.
func isOwnType(fn graphql.ResolveTypeFn) bool {
	return reflect.ValueOf(fn).Pointer() == ownTypeCode
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

// allGuarded reports a type all of whose fields Guard or Apply on the
// schema of types already guards.
func allGuarded(obj *graphql.Object, states map[*graphql.FieldDefinition]fieldState, types graphql.TypeMap) bool {
	for _, fd := range obj.Fields() {
		if !states[fd].ownGuarded(types) {
			return false
		}
	}
	return true
}

// introspection reports a type of graphql-go's introspection system, which
// every schema shares: guarding it would guard all schemas at once.
func introspection(typeName string) bool { return strings.HasPrefix(typeName, "__") }
