package gqljwt_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/handler"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/middleware"
	"github.com/gqljwt/gqljwt/mutations"
)

// quickStart is the README's quick start, word for word between the
// markers, so that it compiles and works as pasted.
func quickStart() http.Handler {
	// --- quick start ---
	check := func(err error) { // every step refuses a mistake at start-up
		if err != nil {
			log.Fatal(err)
		}
	}
	secret := []byte(os.Getenv("JWT_SECRET"))
	users := memstore.NewUsers() // bcrypt hashes; bring your own gqljwt.UserStore
	check(users.Add(gqljwt.User{ID: "1", Username: "ann", Roles: []string{"EDITOR"}, Active: true}, "ann-password"))
	auth, err := gqljwt.New(gqljwt.Config{
		Secret:  secret,                      // HS256, at least 32 bytes
		Users:   users,                       // login
		Refresh: memstore.NewRefreshTokens(), // long-running refresh tokens
	})
	check(err) // weak or inconsistent configurations are refused
	queryFields := graphql.Fields{
		"me": &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			id, err := gqljwt.FromContext(p.Context)
			if err != nil {
				return nil, err
			}
			return id.Username, nil
		}},
		"drafts": &graphql.Field{Type: graphql.NewList(graphql.String), Resolve: func(graphql.ResolveParams) (any, error) {
			return []string{"a draft"}, nil
		}},
	}
	mutationFields := graphql.Fields{}
	frag, err := mutations.New(auth, mutations.Native(), mutations.Options{})
	check(err)
	check(frag.MergeInto(queryFields, mutationFields)) // refuses name collisions
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query:      graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: queryFields}),
		Mutation:   graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: mutationFields}),
		Directives: directives.Directives(), // declares @auth
	})
	check(err)
	check(directives.Apply(&schema, map[string]directives.Rule{ // a typo here is an error, not an open field
		"Query.me":     directives.Authenticated(),
		"Query.drafts": directives.AnyRole("EDITOR", "ADMIN"),
	}))
	r := chi.NewRouter()
	r.Use(
		middleware.MaxBodySize(1<<20),
		middleware.Batch(0), // Apollo BatchHttpLink; 10 operations at most
		// Bounds checked before graphql-go sees the document: some documents
		// crash graphql-go v0.8.1 itself (see "Operation limits").
		middleware.Limits(middleware.OperationLimits{AuthOperations: frag.AuthOperations()}),
		middleware.Verifier(auth), // never rejects: login stays public
	)
	r.Handle("/graphql", handler.New(&handler.Config{Schema: &schema}))
	// --- end ---
	return r
}

// Example_quickStart runs the README's quick start: a login, then a
// guarded query with the token.
func Example_quickStart() {
	os.Setenv("JWT_SECRET", "an-example-secret-of-32-bytes-or-more")
	srv := httptest.NewServer(quickStart())
	defer srv.Close()
	post := func(query, token string) string {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query": `+fmt.Sprintf("%q", query)+`}`))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	login := post(`mutation { tokenAuth(username: "ann", password: "ann-password") { token refreshToken } }`, "")
	token := login[strings.Index(login, `"token":"`)+9:]
	token = token[:strings.Index(token, `"`)]
	fmt.Println(strings.Contains(login, `"refreshToken":"`))
	fmt.Println(post(`{ me drafts }`, token))
	fmt.Println(post(`{ me }`, ""))
	// Output:
	// true
	// {"data":{"drafts":["a draft"],"me":"ann"}}
	// {"data":{"me":null},"errors":[{"message":"Unauthorized","locations":[{"line":1,"column":3}],"path":["me"],"extensions":{"code":"UNAUTHENTICATED"}}]}
}

// TestREADMEQuickStart: the README shows quickStart's code as it is, so
// that what users paste is what this package compiles and runs.
func TestREADMEQuickStart(t *testing.T) {
	src, err := os.ReadFile("quickstart_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	body := s[strings.Index(s, "// --- quick start ---\n")+len("// --- quick start ---\n") : strings.Index(s, "\t// --- end ---")]
	var want strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		want.WriteString(strings.TrimPrefix(line, "\t") + "\n")
	}
	want.WriteString("check(http.ListenAndServe(\":8080\", r))\n")
	if !strings.Contains(string(readme), "## Quick start\n\n```go\n"+want.String()+"```\n") {
		t.Error("README's quick start differs from quickStart in quickstart_test.go")
	}
}
