package directives_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/gqljwt/gqljwt/middleware"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/handler"
)

// blogEnv serves the blog guarded by blogRules.
func blogEnv(t *testing.T) (*env, *blog) {
	t.Helper()
	b := newBlog()
	schema := b.schema(t)
	if err := directives.Apply(&schema, blogRules()); err != nil {
		t.Fatal(err)
	}
	return newEnv(t, &schema, nil), b
}

func TestFieldRules(t *testing.T) {
	e, _ := blogEnv(t)
	const (
		hello  = `{ hello drafts { title } }`
		unauth = `{"data": {"hello": "world", "drafts": null}, "errors": [{"message": "Unauthorized",
			"locations": [{"line": 1, "column": 9}], "path": ["drafts"], "extensions": {"code": "UNAUTHENTICATED"%s}}]}`
		forbidden = `{"message": "You do not have permission to perform this action",
			"locations": [{"line": 1, "column": 3}], "path": [%q], "extensions": {"code": "FORBIDDEN"}}`
	)
	tests := []struct {
		name, caller, query, want string
	}{
		{"no token", "anonymous", hello, sprintf(unauth, ``)},
		{"expired token", "expired", hello, sprintf(unauth, `, "reason": "TOKEN_EXPIRED"`)},
		{"invalid token", "invalid", hello, sprintf(unauth, `, "reason": "TOKEN_INVALID"`)},
		{"revoked token", "revoked", hello, sprintf(unauth, `, "reason": "TOKEN_REVOKED"`)},
		{"public field for anyone", "anonymous", `{ hello }`, `{"data": {"hello": "world"}}`},

		{"authenticated: anonymous", "anonymous", `{ me { id } }`,
			`{"data": {"me": null}, "errors": [{"message": "Unauthorized", "locations": [{"line": 1, "column": 3}],
			"path": ["me"], "extensions": {"code": "UNAUTHENTICATED"}}]}`},
		{"authenticated: signed in", "reader", `{ me { id name } }`, `{"data": {"me": {"id": "u2", "name": "Bob"}}}`},

		{"any role: none held", "reader", `{ drafts { title } }`,
			`{"data": {"drafts": null}, "errors": [` + sprintf(forbidden, "drafts") + `]}`},
		{"any role: first", "editor", `{ drafts { title } }`, `{"data": {"drafts": [{"title": "Draft"}]}}`},
		{"any role: second", "admin", `{ drafts { title } }`, `{"data": {"drafts": [{"title": "Draft"}]}}`},

		{"all roles: one missing", "admin", `{ stats }`, `{"data": {"stats": null}, "errors": [` + sprintf(forbidden, "stats") + `]}`},
		{"all roles: all held", "auditor", `{ stats }`, `{"data": {"stats": "42 posts"}}`},

		{"scopes: one missing", "admin", `{ report }`, `{"data": {"report": null}, "errors": [` + sprintf(forbidden, "report") + `]}`},
		{"scopes: all held", "auditor", `{ report }`, `{"data": {"report": "all fine"}}`},
		{"scopes: anonymous", "anonymous", `{ report }`,
			`{"data": {"report": null}, "errors": [{"message": "Unauthorized", "locations": [{"line": 1, "column": 3}],
			"path": ["report"], "extensions": {"code": "UNAUTHENTICATED"}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertJSON(t, e.do(tt.caller, tt.query), tt.want)
		})
	}
}

func TestListsAndPredicates(t *testing.T) {
	e, _ := blogEnv(t)
	const query = `{ posts { id notes } }`
	notesError := func(i int, code string) string {
		msg := "You do not have permission to perform this action"
		if code == "UNAUTHENTICATED" {
			msg = "Unauthorized"
		}
		return sprintf(`{"message": %q, "locations": [{"line": 1, "column": 14}], "path": ["posts", %d, "notes"],
			"extensions": {"code": %q}}`, msg, i, code)
	}
	tests := []struct{ name, caller, want string }{
		{"owner sees own notes only", "author", `{"data": {"posts": [{"id": "p1", "notes": "u1's notes"}, {"id": "p2", "notes": null}]},
			"errors": [` + notesError(1, "FORBIDDEN") + `]}`},
		{"other owner", "reader", `{"data": {"posts": [{"id": "p1", "notes": null}, {"id": "p2", "notes": "u2's notes"}]},
			"errors": [` + notesError(0, "FORBIDDEN") + `]}`},
		{"admin sees all", "admin", `{"data": {"posts": [{"id": "p1", "notes": "u1's notes"}, {"id": "p2", "notes": "u2's notes"}]}}`},
		{"anonymous sees none", "anonymous", `{"data": {"posts": [{"id": "p1", "notes": null}, {"id": "p2", "notes": null}]},
			"errors": [` + notesError(0, "UNAUTHENTICATED") + `, ` + notesError(1, "UNAUTHENTICATED") + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertJSON(t, e.do(tt.caller, query), tt.want)
		})
	}
}

func TestAliasesFragmentsNested(t *testing.T) {
	e, _ := blogEnv(t)
	query := "{\n  a: drafts { title }\n  b: drafts { ...F }\n  posts { ... on Post { author { name email } } }\n}\nfragment F on Post { id }"
	unauth := func(line, col int, path string) string {
		return sprintf(`{"message": "Unauthorized", "locations": [{"line": %d, "column": %d}], "path": %s,
			"extensions": {"code": "UNAUTHENTICATED"}}`, line, col, path)
	}
	assertJSON(t, e.do("anonymous", query), `{
		"data": {"a": null, "b": null, "posts": [
			{"author": {"name": "Ann", "email": null}},
			{"author": {"name": "Bob", "email": null}}]},
		"errors": [`+unauth(2, 3, `["a"]`)+`, `+unauth(3, 3, `["b"]`)+`,
			`+unauth(4, 39, `["posts", 0, "author", "email"]`)+`, `+unauth(4, 39, `["posts", 1, "author", "email"]`)+`]}`)
	assertJSON(t, e.do("editor", query), `{
		"data": {"a": [{"title": "Draft"}], "b": [{"id": "d1"}], "posts": [
			{"author": {"name": "Ann", "email": "ann@example.com"}},
			{"author": {"name": "Bob", "email": "bob@example.com"}}]}}`)
}

func TestNonNullPropagation(t *testing.T) {
	e, _ := blogEnv(t)
	// Viewer.secret is String!: its null takes viewer with it, and hello,
	// a sibling the caller may see, still resolves.
	assertJSON(t, e.do("reader", `{ viewer { name secret } hello }`), `{"data": {"viewer": null, "hello": "world"},
		"errors": [{"message": "You do not have permission to perform this action",
		"locations": [{"line": 1, "column": 17}], "path": ["viewer", "secret"], "extensions": {"code": "FORBIDDEN"}}]}`)
	assertJSON(t, e.do("admin", `{ viewer { name secret } }`), `{"data": {"viewer": {"name": "v", "secret": "s3cr3t"}}}`)
}

func TestDeniedMutationHasNoEffect(t *testing.T) {
	e, b := blogEnv(t)
	tests := []struct {
		name, caller, query, want string
		count                     int
	}{
		{"anonymous delete", "anonymous", `mutation { deleteAll }`, `{"data": {"deleteAll": null}, "errors": [{"message": "Unauthorized",
			"locations": [{"line": 1, "column": 12}], "path": ["deleteAll"], "extensions": {"code": "UNAUTHENTICATED"}}]}`, 3},
		{"expired delete", "expired", `mutation { deleteAll }`, `{"data": {"deleteAll": null}, "errors": [{"message": "Unauthorized",
			"locations": [{"line": 1, "column": 12}], "path": ["deleteAll"], "extensions": {"code": "UNAUTHENTICATED", "reason": "TOKEN_EXPIRED"}}]}`, 3},
		{"reader delete", "reader", `mutation { deleteAll }`, `{"data": {"deleteAll": null}, "errors": [{"message": "You do not have permission to perform this action",
			"locations": [{"line": 1, "column": 12}], "path": ["deleteAll"], "extensions": {"code": "FORBIDDEN"}}]}`, 3},
		{"create without scope", "editor", `mutation { createPost(title: "x") { id } }`, `{"data": {"createPost": null}, "errors": [{"message": "You do not have permission to perform this action",
			"locations": [{"line": 1, "column": 12}], "path": ["createPost"], "extensions": {"code": "FORBIDDEN"}}]}`, 3},
		{"create with scope", "author", `mutation { createPost(title: "x") { id title } }`, `{"data": {"createPost": {"id": "p4", "title": "x"}}}`, 4},
		{"admin delete", "admin", `mutation { deleteAll }`, `{"data": {"deleteAll": true}}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertJSON(t, e.do(tt.caller, tt.query), tt.want)
			if got := b.count(); got != tt.count {
				t.Errorf("%d posts after the mutation, want %d", got, tt.count)
			}
		})
	}
}

func TestIntrospection(t *testing.T) {
	e, _ := blogEnv(t)
	assertJSON(t, e.do("anonymous", `{ __type(name: "Query") { name } __schema { directives { name args { name } } } __typename }`), `{"data": {
		"__type": {"name": "Query"},
		"__typename": "Query",
		"__schema": {"directives": [
			{"name": "include", "args": [{"name": "if"}]},
			{"name": "skip", "args": [{"name": "if"}]},
			{"name": "deprecated", "args": [{"name": "reason"}]},
			{"name": "auth", "args": [{"name": "policy"}, {"name": "requires"}, {"name": "scopes"}]}]}}}`)
}

func TestAuthIsNotAQueryDirective(t *testing.T) {
	e, _ := blogEnv(t)
	assertJSON(t, e.do("admin", `{ hello @auth }`), `{"data": null, "errors": [{"message": "Directive \"auth\" may not be used on FIELD.",
		"locations": [{"line": 1, "column": 9}]}]}`)
}

func TestDenyByDefault(t *testing.T) {
	b := newBlog()
	schema := b.schema(t)
	err := directives.Apply(&schema, map[string]directives.Rule{
		"Query.hello": directives.Public(),
		"Query.posts": directives.Public(),
		"Post.*":      directives.Public(),
		"Post.notes":  owner,
		"Query.me":    directives.Authenticated(),
	}, directives.DenyByDefault())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, &schema, nil)
	denied := func(caller, field string, col int) string {
		if caller == "anonymous" {
			return sprintf(`{"message": "Unauthorized", "locations": [{"line": 1, "column": %d}], "path": %s,
				"extensions": {"code": "UNAUTHENTICATED"}}`, col, field)
		}
		return sprintf(`{"message": "You do not have permission to perform this action", "locations": [{"line": 1, "column": %d}],
			"path": %s, "extensions": {"code": "FORBIDDEN"}}`, col, field)
	}
	tests := []struct {
		name, caller, query, want string
	}{
		{"public field", "anonymous", `{ hello }`, `{"data": {"hello": "world"}}`},
		{"field with a rule", "reader", `{ me { id } }`, `{"data": {"me": null}, "errors": [` + denied("reader", `["me", "id"]`, 8) + `]}`},
		{"no rule, anonymous", "anonymous", `{ stats }`, `{"data": {"stats": null}, "errors": [` + denied("anonymous", `["stats"]`, 3) + `]}`},
		{"no rule, any role", "auditor", `{ stats }`, `{"data": {"stats": null}, "errors": [` + denied("auditor", `["stats"]`, 3) + `]}`},
		{"no rule on a nested type", "admin", `{ posts { title author { name } } }`,
			`{"data": {"posts": [{"title": "Hello", "author": {"name": null}}, {"title": "Next", "author": {"name": null}}]},
			"errors": [` + denied("admin", `["posts", 0, "author", "name"]`, 26) + `, ` + denied("admin", `["posts", 1, "author", "name"]`, 26) + `]}`},
		{"field rule over a public type", "author", `{ posts { notes } }`, `{"data": {"posts": [{"notes": "u1's notes"}, {"notes": null}]},
			"errors": [` + denied("author", `["posts", 1, "notes"]`, 11) + `]}`},
		{"mutation", "admin", `mutation { deleteAll }`, `{"data": {"deleteAll": null}, "errors": [` + denied("admin", `["deleteAll"]`, 12) + `]}`},
		{"introspection", "anonymous", `{ __schema { queryType { name } } __type(name: "Post") { fields { name } } __typename }`,
			`{"data": {"__schema": {"queryType": {"name": "Query"}}, "__typename": "Query", "__type": {"fields": [
				{"name": "author"}, {"name": "body"}, {"name": "id"}, {"name": "notes"}, {"name": "title"}]}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertJSON(t, e.do(tt.caller, tt.query), tt.want)
		})
	}
	if b.count() != 3 {
		t.Errorf("deleteAll ran under deny-by-default")
	}
}

func TestTypeRuleAndFieldOverride(t *testing.T) {
	b := newBlog()
	schema := b.schema(t)
	err := directives.Apply(&schema, map[string]directives.Rule{
		"Query.*":     directives.AnyRole("ADMIN"),
		"Query.hello": directives.Public(),
		// Overrides, not adds: an editor passes without ADMIN.
		"Query.drafts": directives.AnyRole("EDITOR"),
	})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, &schema, nil)
	const forbidden = `"message": "You do not have permission to perform this action", "extensions": {"code": "FORBIDDEN"}`
	assertJSON(t, e.do("editor", `{ hello drafts { id } stats }`), `{"data": {"hello": "world", "drafts": [{"id": "d1"}], "stats": null},
		"errors": [{`+forbidden+`, "locations": [{"line": 1, "column": 23}], "path": ["stats"]}]}`)
	assertJSON(t, e.do("admin", `{ hello drafts { id } stats }`), `{"data": {"hello": "world", "drafts": null, "stats": "42 posts"},
		"errors": [{`+forbidden+`, "locations": [{"line": 1, "column": 9}], "path": ["drafts"]}]}`)
	assertJSON(t, e.do("anonymous", `{ hello }`), `{"data": {"hello": "world"}}`)
}

func TestSDLGuards(t *testing.T) {
	const sdl = `
directive @auth(requires: [String!], scopes: [String!], policy: String) on FIELD_DEFINITION | OBJECT

type Query {
  hello: String @auth(policy: "public")
  posts: [Post] @auth(policy: "public")
  drafts: [Post] @auth(requires: ["EDITOR"])
  me: User @auth
  report: String @auth(scopes: "reports:read", requires: ["ADMIN"])
}

type Post @auth(policy: "public") {
  notes: String @auth(policy: "owner")
}

extend type Mutation {
  deleteAll: Boolean @auth(requires: ["ADMIN"])
}
`
	rules, err := directives.ParseSDL(sdl, map[string]directives.Rule{"owner": owner})
	if err != nil {
		t.Fatal(err)
	}
	b := newBlog()
	schema := b.schema(t)
	if err := directives.Apply(&schema, rules, directives.DenyByDefault()); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, &schema, nil)
	forbidden := func(col int, path string) string {
		return sprintf(`{"message": "You do not have permission to perform this action", "locations": [{"line": 1, "column": %d}],
			"path": %s, "extensions": {"code": "FORBIDDEN"}}`, col, path)
	}
	tests := []struct {
		name, caller, query, want string
	}{
		{"public policy", "anonymous", `{ hello }`, `{"data": {"hello": "world"}}`},
		{"requires", "reader", `{ drafts { id } }`, `{"data": {"drafts": null}, "errors": [` + forbidden(3, `["drafts"]`) + `]}`},
		{"requires held", "editor", `{ drafts { id } }`, `{"data": {"drafts": [{"id": "d1"}]}}`},
		{"bare @auth", "anonymous", `{ me { id } }`, `{"data": {"me": null}, "errors": [{"message": "Unauthorized",
			"locations": [{"line": 1, "column": 3}], "path": ["me"], "extensions": {"code": "UNAUTHENTICATED"}}]}`},
		{"requires and scopes: role only", "editor", `{ report }`, `{"data": {"report": null}, "errors": [` + forbidden(3, `["report"]`) + `]}`},
		{"requires and scopes", "admin", `{ report }`, `{"data": {"report": "all fine"}}`},
		{"type-level policy with field policy", "author", `{ posts { title notes } }`,
			`{"data": {"posts": [{"title": "Hello", "notes": "u1's notes"}, {"title": "Next", "notes": null}]},
			"errors": [` + forbidden(17, `["posts", 1, "notes"]`) + `]}`},
		{"extend type", "reader", `mutation { deleteAll }`, `{"data": {"deleteAll": null}, "errors": [` + forbidden(12, `["deleteAll"]`) + `]}`},
		{"not in SDL: denied", "admin", `{ stats }`, `{"data": {"stats": null}, "errors": [` + forbidden(3, `["stats"]`) + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertJSON(t, e.do(tt.caller, tt.query), tt.want)
		})
	}
}

// TestFormatErrorFn reshapes the auth errors as django-graphql-jwt sends
// them: its messages, no extensions; locations and path stay.
func TestFormatErrorFn(t *testing.T) {
	b := newBlog()
	schema := b.schema(t)
	if err := directives.Apply(&schema, blogRules()); err != nil {
		t.Fatal(err)
	}
	format := directives.FormatErrorFn(func(e *gqljwt.Error, f gqlerrors.FormattedError) gqlerrors.FormattedError {
		if e.Reason == gqljwt.CodeTokenExpired {
			f.Message = "Signature has expired"
		}
		f.Extensions = nil
		return f
	})
	e := newEnv(t, &schema, format)
	tests := []struct{ name, caller, query, want string }{
		{"forbidden", "reader", `{ hello drafts { id } }`, `{"data": {"hello": "world", "drafts": null}, "errors": [{
			"message": "You do not have permission to perform this action", "locations": [{"line": 1, "column": 9}], "path": ["drafts"]}]}`},
		{"expired", "expired", `{ drafts { id } }`, `{"data": {"drafts": null}, "errors": [{
			"message": "Signature has expired", "locations": [{"line": 1, "column": 3}], "path": ["drafts"]}]}`},
		{"non-null parent", "reader", `{ viewer { secret } }`, `{"data": {"viewer": null}, "errors": [{
			"message": "You do not have permission to perform this action", "locations": [{"line": 1, "column": 12}], "path": ["viewer", "secret"]}]}`},
		{"other errors untouched", "reader", `{ nope }`, `{"data": null, "errors": [{
			"message": "Cannot query field \"nope\" on type \"Query\".", "locations": [{"line": 1, "column": 3}]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertJSON(t, e.do(tt.caller, tt.query), tt.want)
		})
	}
}

// downStore is a revocation store that cannot answer.
type downStore struct{}

func (downStore) RevokeToken(context.Context, string, time.Time) error    { return errBoom }
func (downStore) IsRevoked(context.Context, string, string) (bool, error) { return false, errBoom }

func TestStoreFailureReason(t *testing.T) {
	b := newBlog()
	schema := b.schema(t)
	if err := directives.Apply(&schema, blogRules()); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, &schema, nil)
	down, err := gqljwt.New(gqljwt.Config{Secret: secret, Revocations: downStore{}})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(middleware.Verifier(down))
	r.Handle("/graphql", handler.New(&handler.Config{Schema: &schema}))
	// The tokens of e, verified by a service whose store is down.
	e.srv = httptest.NewServer(r)
	t.Cleanup(e.srv.Close)
	assertJSON(t, e.do("editor", `{ hello drafts { id } }`), `{"data": {"hello": "world", "drafts": null}, "errors": [{
		"message": "Authentication is temporarily unavailable", "locations": [{"line": 1, "column": 9}], "path": ["drafts"],
		"extensions": {"code": "AUTH_UNAVAILABLE"}}]}`)
}
