package directives_test

import (
	"encoding/json"
	"testing"

	"github.com/gqljwt/gqljwt/directives"
	"github.com/graphql-go/graphql"
)

// abstractSchema serves a Secret through an object field and through the
// abstract types Node (ResolveType), Any (a union, ResolveType) and Thing
// (an interface without ResolveType: graphql-go asks IsTypeOf). Node and Any
// resolve with newSecret, a constructor that builds a new *graphql.Object on
// every call: an instance named Secret that is not the schema's, as a type
// constructor called twice gives. Node resolves kind "ghost" to an object
// that is not in the schema and kind "thing" to an object named after the
// interface Thing.
func abstractSchema(t *testing.T) graphql.Schema {
	t.Helper()
	var node, thing *graphql.Interface
	newSecret := func() *graphql.Object {
		return graphql.NewObject(graphql.ObjectConfig{
			Name:       "Secret",
			Interfaces: []*graphql.Interface{node, thing},
			IsTypeOf: func(p graphql.IsTypeOfParams) bool {
				v, ok := p.Value.(map[string]any)
				return ok && v["kind"] == "secret"
			},
			Fields: graphql.Fields{
				"id":   &graphql.Field{Type: graphql.NewNonNull(graphql.ID)},
				"code": &graphql.Field{Type: graphql.String},
			},
		})
	}
	stray := func(name string) *graphql.Object {
		return graphql.NewObject(graphql.ObjectConfig{Name: name, Fields: graphql.Fields{"id": &graphql.Field{Type: graphql.ID}}})
	}
	idField := graphql.Fields{"id": &graphql.Field{Type: graphql.NewNonNull(graphql.ID)}}
	node = graphql.NewInterface(graphql.InterfaceConfig{
		Name:   "Node",
		Fields: idField,
		ResolveType: func(p graphql.ResolveTypeParams) *graphql.Object {
			switch p.Value.(map[string]any)["kind"] {
			case "ghost":
				return stray("Ghost")
			case "thing":
				return stray("Thing")
			}
			return newSecret()
		},
	})
	thing = graphql.NewInterface(graphql.InterfaceConfig{Name: "Thing", Fields: idField})
	secret := newSecret()
	anyUnion := graphql.NewUnion(graphql.UnionConfig{
		Name:        "Any",
		Types:       []*graphql.Object{secret},
		ResolveType: func(graphql.ResolveTypeParams) *graphql.Object { return newSecret() },
	})
	value := func(kind string) graphql.FieldResolveFn {
		return constant(map[string]any{"kind": kind, "id": "s1", "code": "s3cr3t"})
	}
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"secret": &graphql.Field{Type: secret, Resolve: value("secret")},
		"node":   &graphql.Field{Type: node, Resolve: value("secret")},
		"thing":  &graphql.Field{Type: thing, Resolve: value("secret")},
		"any":    &graphql.Field{Type: anyUnion, Resolve: value("secret")},
		"ghost":  &graphql.Field{Type: node, Resolve: value("ghost")},
		"notObj": &graphql.Field{Type: node, Resolve: value("thing")},
	}})
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: query})
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

// TestApplyAbstractTypesUseSchemaObjects: graphql-go checks the object a
// ResolveType returns by name only and then resolves that object's fields,
// so a same-named instance other than the schema's must not bypass the
// guards Apply put on the schema's Secret.
func TestApplyAbstractTypesUseSchemaObjects(t *testing.T) {
	schema := abstractSchema(t)
	err := directives.Apply(&schema, map[string]directives.Rule{
		"Query.*":     directives.Public(),
		"Secret.id":   directives.Public(),
		"Secret.code": directives.AnyRole("ADMIN"),
	}, directives.DenyByDefault())
	if err != nil {
		t.Fatal(err)
	}
	const internal = `{"message": "Internal server error", "locations": [{"line": 1, "column": 3}], "path": [%q],
		"extensions": {"code": "INTERNAL_SERVER_ERROR"}}`
	unauth := func(col int, path string) string {
		return sprintf(`{"message": "Unauthorized", "locations": [{"line": 1, "column": %d}], "path": %s,
			"extensions": {"code": "UNAUTHENTICATED"}}`, col, path)
	}
	tests := []struct {
		name  string
		admin bool
		query string
		want  string
	}{
		{"object field", false, `{ secret { id code } }`,
			`{"data": {"secret": {"id": "s1", "code": null}}, "errors": [` + unauth(15, `["secret", "code"]`) + `]}`},
		{"interface ResolveType", false, `{ node { id ... on Secret { code } } }`,
			`{"data": {"node": {"id": "s1", "code": null}}, "errors": [` + unauth(29, `["node", "code"]`) + `]}`},
		{"interface ResolveType, admin", true, `{ node { id ... on Secret { code } } }`,
			`{"data": {"node": {"id": "s1", "code": "s3cr3t"}}}`},
		{"union ResolveType", false, `{ any { ... on Secret { code } } }`,
			`{"data": {"any": {"code": null}}, "errors": [` + unauth(25, `["any", "code"]`) + `]}`},
		{"union ResolveType, admin", true, `{ any { ... on Secret { code } } }`,
			`{"data": {"any": {"code": "s3cr3t"}}}`},
		// graphql-go's default resolution tries the schema's own possible
		// types, so IsTypeOf needs nothing from Apply.
		{"interface IsTypeOf", false, `{ thing { ... on Secret { code } } }`,
			`{"data": {"thing": {"code": null}}, "errors": [` + unauth(27, `["thing", "code"]`) + `]}`},
		{"object not in the schema", true, `{ ghost { id } }`, `{"data": {"ghost": null}, "errors": [` + sprintf(internal, "ghost") + `]}`},
		{"name of a type that is no object", true, `{ notObj { id } }`,
			`{"data": {"notObj": null}, "errors": [` + sprintf(internal, "notObj") + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := admin
			if !tt.admin {
				id = nil
			}
			out, err := json.Marshal(run(schema, id, tt.query))
			if err != nil {
				t.Fatal(err)
			}
			assertJSON(t, out, tt.want)
		})
	}
	// Applying again wraps no ResolveType twice and still resolves.
	if err := directives.Apply(&schema, nil); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(run(schema, nil, `{ node { id } }`))
	assertJSON(t, out, `{"data": {"node": {"id": "s1"}}}`)
}
