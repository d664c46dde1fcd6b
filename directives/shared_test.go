package directives_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/gqljwt/gqljwt/directives"
	"github.com/graphql-go/graphql"
)

// sharedSchemas builds two schemas whose Query types are their own and
// which share one AuthUser type, as schemas built from one package-level
// type do.
func sharedSchemas(t *testing.T) (a, b graphql.Schema) {
	t.Helper()
	user := graphql.NewObject(graphql.ObjectConfig{Name: "AuthUser", Fields: graphql.Fields{
		"id":       &graphql.Field{Type: graphql.NewNonNull(graphql.ID)},
		"username": &graphql.Field{Type: graphql.String},
		"email":    &graphql.Field{Type: graphql.String},
	}})
	build := func() graphql.Schema {
		query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
			"me": &graphql.Field{Type: user, Resolve: constant(map[string]any{"id": "u1", "username": "ann", "email": "ann@example.com"})},
		}})
		s, err := graphql.NewSchema(graphql.SchemaConfig{Query: query})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return build(), build()
}

// TestApplySharedTypes: Apply changes field definitions in place, so a
// rule of one schema on a field another schema's Apply guards would change
// both schemas. It is an error at start-up, and the other schema keeps
// exactly its own guards.
func TestApplySharedTypes(t *testing.T) {
	const (
		query  = `{ me { id username email } }`
		open   = `{"data": {"me": {"id": "u1", "username": "ann", "email": "ann@example.com"}}}`
		shared = "directives: shared type: AuthUser.%s: AuthUser is shared with a schema guarded elsewhere"
	)
	deniedA := `{"data": {"me": {"id": "u1", "username": null, "email": null}}, "errors": [
		{"message": "Unauthorized", "locations": [{"line": 1, "column": 20}], "path": ["me", "email"], "extensions": {"code": "UNAUTHENTICATED"}},
		{"message": "Unauthorized", "locations": [{"line": 1, "column": 11}], "path": ["me", "username"], "extensions": {"code": "UNAUTHENTICATED"}}]}`
	public := directives.Public()
	admin := directives.AnyRole("ADMIN")
	tests := []struct {
		name         string
		a            map[string]directives.Rule
		aOpts        []directives.Option
		b            map[string]directives.Rule
		bOpts        []directives.Option
		wantErr      string
		wantA, wantB string // anonymous answers to query once both Applies ran
	}{
		{"type rule and deny by default over a field of A",
			map[string]directives.Rule{"Query.me": public, "AuthUser.email": public}, nil,
			map[string]directives.Rule{"Query.me": public, "AuthUser.*": admin}, []directives.Option{directives.DenyByDefault()},
			sprintf(shared, "email"), open, open},
		{"field key over a field of A",
			map[string]directives.Rule{"Query.me": public, "AuthUser.email": public}, nil,
			map[string]directives.Rule{"Query.me": public, "AuthUser.email": admin}, nil,
			sprintf(shared, "email"), open, open},
		{"deny by default over a field of A",
			map[string]directives.Rule{"Query.me": public, "AuthUser.email": public}, nil,
			map[string]directives.Rule{"Query.me": public}, []directives.Option{directives.DenyByDefault()},
			sprintf(shared, "email"), open, open},
		{"every field A denies by default",
			map[string]directives.Rule{"Query.me": public, "AuthUser.id": public}, []directives.Option{directives.DenyByDefault()},
			map[string]directives.Rule{"Query.me": public, "AuthUser.*": public}, nil,
			sprintf(shared, "email") + "\n" + sprintf(shared, "id") + "\n" + sprintf(shared, "username"), deniedA, deniedA},
		{"no rule of B covers the shared type",
			map[string]directives.Rule{"Query.me": public, "AuthUser.email": public}, nil,
			map[string]directives.Rule{"Query.me": public}, nil,
			"", open, open},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := sharedSchemas(t)
			if err := directives.Apply(&a, tt.a, tt.aOpts...); err != nil {
				t.Fatal(err)
			}
			err := directives.Apply(&b, tt.b, tt.bOpts...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Apply on B: %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr || !errors.Is(err, directives.ErrSharedType)):
				t.Fatalf("Apply on B: got\n%v\nwant\n%s", err, tt.wantErr)
			}
			for _, s := range []struct {
				name   string
				schema graphql.Schema
				want   string
			}{{"A", a, tt.wantA}, {"B", b, tt.wantB}} {
				out, _ := json.Marshal(run(s.schema, nil, query))
				t.Run(s.name, func(t *testing.T) { assertJSON(t, out, s.want) })
			}
		})
	}
}

// TestApplySameSchemaTwiceIsNotShared: the guards an earlier Apply put on
// the same schema are its own, not another schema's, also through a copy
// of the Schema value.
func TestApplySameSchemaTwiceIsNotShared(t *testing.T) {
	a, _ := sharedSchemas(t)
	if err := directives.Apply(&a, map[string]directives.Rule{"AuthUser.email": directives.AnyRole("ADMIN")}); err != nil {
		t.Fatal(err)
	}
	copied := a
	err := directives.Apply(&copied, map[string]directives.Rule{"Query.me": directives.Public(), "AuthUser.*": directives.Public()}, directives.DenyByDefault())
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(run(a, reader, `{ me { username email } }`))
	assertJSON(t, out, `{"data": {"me": {"username": "ann", "email": null}}, "errors": [{"message": "You do not have permission to perform this action",
		"locations": [{"line": 1, "column": 17}], "path": ["me", "email"], "extensions": {"code": "FORBIDDEN"}}]}`)
}
