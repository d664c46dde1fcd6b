package directives_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/gqljwt/gqljwt/middleware"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/handler"
)

var secret = []byte("directives-test-secret-0123456789abcdef")

// blog is the application under test: posts with authors, drafts for
// editors, and mutations whose effect the tests can observe.
type blog struct {
	mu    sync.Mutex
	posts []map[string]any
	users map[string]map[string]any
}

func newBlog() *blog {
	return &blog{
		posts: []map[string]any{
			{"id": "p1", "title": "Hello", "body": "First post", "authorId": "u1", "draft": false, "notes": "u1's notes"},
			{"id": "p2", "title": "Next", "body": "Second post", "authorId": "u2", "draft": false, "notes": "u2's notes"},
			{"id": "d1", "title": "Draft", "body": "Unfinished", "authorId": "u1", "draft": true, "notes": "draft notes"},
		},
		users: map[string]map[string]any{
			"u1": {"id": "u1", "name": "Ann", "email": "ann@example.com"},
			"u2": {"id": "u2", "name": "Bob", "email": "bob@example.com"},
		},
	}
}

func (b *blog) find(draft bool) []any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []any
	for _, p := range b.posts {
		if p["draft"] == draft {
			out = append(out, p)
		}
	}
	return out
}

func (b *blog) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.posts)
}

// schema builds the blog's schema with no guards at all. Post.title, body,
// notes and all of User rely on graphql-go's default resolver.
func (b *blog) schema(t testing.TB) graphql.Schema {
	t.Helper()
	user := graphql.NewObject(graphql.ObjectConfig{
		Name: "User",
		Fields: graphql.Fields{
			"id":    &graphql.Field{Type: graphql.NewNonNull(graphql.ID)},
			"name":  &graphql.Field{Type: graphql.String},
			"email": &graphql.Field{Type: graphql.String},
		},
	})
	post := graphql.NewObject(graphql.ObjectConfig{
		Name: "Post",
		Fields: graphql.Fields{
			"id":    &graphql.Field{Type: graphql.NewNonNull(graphql.ID)},
			"title": &graphql.Field{Type: graphql.String},
			"body":  &graphql.Field{Type: graphql.String},
			"notes": &graphql.Field{Type: graphql.String},
			"author": &graphql.Field{
				Type: user,
				Resolve: func(p graphql.ResolveParams) (any, error) {
					b.mu.Lock()
					defer b.mu.Unlock()
					return b.users[p.Source.(map[string]any)["authorId"].(string)], nil
				},
			},
		},
	})
	viewer := graphql.NewObject(graphql.ObjectConfig{
		Name: "Viewer",
		Fields: graphql.Fields{
			"name":   &graphql.Field{Type: graphql.String},
			"secret": &graphql.Field{Type: graphql.NewNonNull(graphql.String)},
		},
	})
	query := graphql.NewObject(graphql.ObjectConfig{
		Name: "Query",
		Fields: graphql.Fields{
			"hello": &graphql.Field{Type: graphql.String, Resolve: constant("world")},
			"me": &graphql.Field{
				Type: user,
				Resolve: func(p graphql.ResolveParams) (any, error) {
					id, err := gqljwt.FromContext(p.Context)
					if err != nil {
						return nil, err
					}
					b.mu.Lock()
					defer b.mu.Unlock()
					return b.users[id.Subject], nil
				},
			},
			"posts":  &graphql.Field{Type: graphql.NewList(post), Resolve: func(graphql.ResolveParams) (any, error) { return b.find(false), nil }},
			"drafts": &graphql.Field{Type: graphql.NewList(post), Resolve: func(graphql.ResolveParams) (any, error) { return b.find(true), nil }},
			"stats":  &graphql.Field{Type: graphql.String, Resolve: constant("42 posts")},
			"report": &graphql.Field{Type: graphql.String, Resolve: constant("all fine")},
			"viewer": &graphql.Field{Type: viewer, Resolve: constant(map[string]any{"name": "v", "secret": "s3cr3t"})},
		},
	})
	mutation := graphql.NewObject(graphql.ObjectConfig{
		Name: "Mutation",
		Fields: graphql.Fields{
			"createPost": &graphql.Field{
				Type: post,
				Args: graphql.FieldConfigArgument{"title": &graphql.ArgumentConfig{Type: graphql.NewNonNull(graphql.String)}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					id, _ := gqljwt.FromContext(p.Context)
					b.mu.Lock()
					defer b.mu.Unlock()
					np := map[string]any{"id": fmt.Sprintf("p%d", len(b.posts)+1), "title": p.Args["title"], "authorId": id.Subject, "draft": true}
					b.posts = append(b.posts, np)
					return np, nil
				},
			},
			"deleteAll": &graphql.Field{
				Type: graphql.Boolean,
				Resolve: func(graphql.ResolveParams) (any, error) {
					b.mu.Lock()
					defer b.mu.Unlock()
					b.posts = nil
					return true, nil
				},
			},
		},
	})
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: query, Mutation: mutation, Directives: directives.Directives()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func constant(v any) graphql.FieldResolveFn {
	return func(graphql.ResolveParams) (any, error) { return v, nil }
}

// owner allows the author of the post being resolved.
var owner = directives.Predicate("owner", func(p graphql.ResolveParams, id *gqljwt.Identity) (bool, error) {
	post, ok := p.Source.(map[string]any)
	return ok && post["authorId"] == id.Subject, nil
})

// blogRules guard the blog as an application would.
func blogRules() map[string]directives.Rule {
	return map[string]directives.Rule{
		"Query.me":            directives.Authenticated(),
		"Query.drafts":        directives.AnyRole("EDITOR", "ADMIN"),
		"Query.stats":         directives.AllRoles("ADMIN", "AUDITOR"),
		"Query.report":        directives.Scopes("reports:read", "reports:export"),
		"Viewer.secret":       directives.AnyRole("ADMIN"),
		"Post.notes":          directives.Or(owner, directives.AnyRole("ADMIN")),
		"User.email":          directives.Authenticated(),
		"Mutation.createPost": directives.Scopes("posts:write"),
		"Mutation.deleteAll":  directives.AnyRole("ADMIN"),
	}
}

// env is a running server: chi, the gqljwt verifier and graphql-go's
// handler over real HTTP, with tokens for every kind of caller.
type env struct {
	t      *testing.T
	auth   *gqljwt.Service
	srv    *httptest.Server
	tokens map[string]string
}

// newEnv serves schema; format, when not nil, is the handler's
// FormatErrorFn.
func newEnv(t *testing.T, schema *graphql.Schema, format func(error) gqlerrors.FormattedError) *env {
	t.Helper()
	auth, err := gqljwt.New(gqljwt.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &handler.Config{Schema: schema}
	cfg.FormatErrorFn = format
	r := chi.NewRouter()
	r.Use(middleware.Verifier(auth), directives.Memoize)
	r.Handle("/graphql", handler.New(cfg))
	e := &env{t: t, auth: auth, srv: httptest.NewServer(r), tokens: map[string]string{}}
	t.Cleanup(e.srv.Close)

	users := map[string]*gqljwt.User{
		"reader":  {ID: "u2"},
		"author":  {ID: "u1", Scopes: []string{"posts:write"}},
		"editor":  {ID: "u3", Roles: []string{"EDITOR"}},
		"admin":   {ID: "u4", Roles: []string{"ADMIN"}, Scopes: []string{"reports:read"}},
		"auditor": {ID: "u5", Roles: []string{"ADMIN", "AUDITOR"}, Scopes: []string{"reports:read", "reports:export"}},
	}
	for name, u := range users {
		e.tokens[name] = e.issue(auth, u)
	}
	past, err := gqljwt.New(gqljwt.Config{Secret: secret, Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["expired"] = e.issue(past, users["reader"])
	e.tokens["invalid"] = "x.y.z"
	e.tokens["revoked"] = e.issue(auth, users["reader"])
	id, err := auth.Verify(context.Background(), e.tokens["revoked"])
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.RevokeAccessToken(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) issue(auth *gqljwt.Service, u *gqljwt.User) string {
	e.t.Helper()
	tok, err := auth.IssueAccessToken(context.Background(), u)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok.Value
}

// do posts query as caller ("anonymous" sends no token) and returns the
// response body.
func (e *env) do(caller, query string) []byte {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if caller != "anonymous" {
		tok, ok := e.tokens[caller]
		if !ok {
			e.t.Fatalf("no caller %q", caller)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("status %d: %s", res.StatusCode, out)
	}
	return out
}

// assertJSON compares a GraphQL response with the expected one. graphql-go
// resolves the fields of a query in map order, so errors are compared
// sorted by path.
func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	g, w := normalize(t, got), normalize(t, []byte(want))
	if !reflect.DeepEqual(g, w) {
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		t.Errorf("response mismatch\n got: %s\nwant: %s", gj, wj)
	}
}

func normalize(t *testing.T, raw []byte) any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("bad JSON %q: %v", raw, err)
	}
	if errs, ok := v["errors"].([]any); ok {
		sort.Slice(errs, func(i, j int) bool {
			pi, _ := json.Marshal(errs[i].(map[string]any)["path"])
			pj, _ := json.Marshal(errs[j].(map[string]any)["path"])
			return string(pi) < string(pj)
		})
	}
	return v
}

var errBoom = errors.New("boom: connection refused to 10.0.0.7")
var sprintf = fmt.Sprintf
