package directives_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/graphql-go/graphql"
)

// TestTokenArgument: django-graphql-jwt's JWT_ALLOW_ARGUMENT, cases from
// its tests/test_middleware.py AuthenticateByArgumentTests: the token
// argument authenticates its field (test_authenticate) and the fields
// below it (test_authenticate_parent); without one the request's own
// identity counts (test_clear_authentication), over HTTP.
func TestTokenArgument(t *testing.T) {
	whoami := func(p graphql.ResolveParams) (any, error) {
		id, err := gqljwt.FromContext(p.Context)
		if id == nil {
			return nil, err
		}
		return id.Subject, nil
	}
	viewer := graphql.NewObject(graphql.ObjectConfig{Name: "Viewer", Fields: graphql.Fields{
		"subject": &graphql.Field{Type: graphql.String, Resolve: whoami},
	}})
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"viewer": &graphql.Field{Type: viewer, Args: graphql.FieldConfigArgument{"token": &graphql.ArgumentConfig{Type: graphql.String}},
			Resolve: func(graphql.ResolveParams) (any, error) { return map[string]any{}, nil }},
		"whoami": &graphql.Field{Type: graphql.String, Resolve: whoami},
	}})})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := gqljwt.New(gqljwt.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if err := directives.Apply(&schema, map[string]directives.Rule{
		"Query.viewer": directives.Authenticated(), "Viewer.subject": directives.Authenticated(), "Query.whoami": directives.Authenticated(),
	}, directives.TokenArgument(auth, "token")); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, &schema, nil) // the same secret: e's tokens verify with auth
	tok := func(caller string) string { return e.tokens[caller] }
	refused := func(path, reason string) string {
		return sprintf(`{"message": "Unauthorized", "locations": [{"line": 1, "column": %%d}], "path": %s, "extensions": {"code": "UNAUTHENTICATED"%s}}`, path, reason)
	}
	tests := []struct {
		name, caller, query, want string
	}{
		{"the argument authenticates the field and the fields below", "anonymous",
			sprintf(`{ viewer(token: %q) { subject } }`, tok("editor")), `{"data": {"viewer": {"subject": "u3"}}}`},
		{"the argument wins over the request's token", "reader",
			sprintf(`{ viewer(token: %q) { subject } whoami }`, tok("editor")), `{"data": {"viewer": {"subject": "u3"}, "whoami": "u2"}}`},
		{"without the argument, the request's identity", "reader", `{ viewer { subject } }`, `{"data": {"viewer": {"subject": "u2"}}}`},
		{"a refused argument is refused with its reason", "reader",
			sprintf(`{ viewer(token: %q) { subject } }`, tok("expired")),
			`{"data": {"viewer": null}, "errors": [` + sprintf(refused(`["viewer"]`, `, "reason": "TOKEN_EXPIRED"`), 3) + `]}`},
		{"an anonymous caller without an argument", "anonymous", `{ viewer { subject } }`,
			`{"data": {"viewer": null}, "errors": [` + sprintf(refused(`["viewer"]`, ``), 3) + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertJSON(t, e.do(tt.caller, tt.query), tt.want)
		})
	}
}

// failingUsers is a user store whose every lookup fails, as an
// unreachable database does.
type failingUsers struct{ gqljwt.UserStore }

func (failingUsers) UserByID(_ context.Context, _ string) (*gqljwt.User, error) {
	return nil, errors.New("connection refused")
}

// TestDjangoRulesFailClosed: a user store that cannot answer refuses with
// AUTH_UNAVAILABLE, never allows.
func TestDjangoRulesFailClosed(t *testing.T) {
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"staff": &graphql.Field{Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return "staff", nil }},
	}})})
	if err != nil {
		t.Fatal(err)
	}
	if err := directives.Apply(&schema, map[string]directives.Rule{"Query.staff": directives.StaffMemberRequired(failingUsers{})}); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, &schema, nil)
	assertJSON(t, e.do("admin", "{ staff }"), `{"data": {"staff": null}, "errors": [{"message": "Authentication is temporarily unavailable",
		"locations": [{"line": 1, "column": 3}], "path": ["staff"], "extensions": {"code": "AUTH_UNAVAILABLE"}}]}`)
}
