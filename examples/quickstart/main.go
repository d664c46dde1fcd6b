// Command quickstart is the README's quick start: a GraphQL API with a
// login, a refresh and two guarded fields, on :8080.
//
//	JWT_SECRET=$(head -c 32 /dev/urandom | base64) go run ./examples/quickstart
package main

import (
	"log"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/handler"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/middleware"
	"github.com/gqljwt/gqljwt/mutations"
)

func main() {
	r, err := newRouter([]byte(os.Getenv("JWT_SECRET")))
	if err != nil {
		log.Fatal(err) // weak or inconsistent configurations are refused
	}
	srv := &http.Server{Addr: ":8080", Handler: r, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

func newRouter(secret []byte) (http.Handler, error) {
	users := memstore.NewUsers() // bcrypt hashes; bring your own gqljwt.UserStore
	auth, err := gqljwt.New(gqljwt.Config{
		Secret:  secret,                      // HS256, at least 32 bytes
		Users:   users,                       // login
		Refresh: memstore.NewRefreshTokens(), // long-running refresh tokens
	})
	if err != nil {
		return nil, err
	}
	err = users.Add(gqljwt.User{ID: "1", Username: "ann", Roles: []string{"EDITOR"}, Active: true}, "ann-password")
	if err != nil {
		return nil, err
	}
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
	if err != nil {
		return nil, err
	}
	if err := frag.MergeInto(queryFields, mutationFields); err != nil { // refuses name collisions
		return nil, err
	}
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query:      graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: queryFields}),
		Mutation:   graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: mutationFields}),
		Directives: directives.Directives(), // declares @auth
	})
	if err != nil {
		return nil, err
	}
	err = directives.Apply(&schema, map[string]directives.Rule{ // a typo here is an error, not an open field
		"Query.me":     directives.Authenticated(),
		"Query.drafts": directives.AnyRole("EDITOR", "ADMIN"),
	})
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Use(
		middleware.MaxBodySize(1<<20),
		middleware.Batch(0),      // Apollo BatchHttpLink; 10 operations at most
		middleware.GraphQLHTTP(), // JSON POSTs only; the spec's status codes
		// Bounds checked before graphql-go sees the document: some documents
		// crash graphql-go v0.8.1 itself (see "Operation limits").
		middleware.Limits(middleware.OperationLimits{AuthOperations: frag.AuthOperations()}),
		middleware.Verifier(auth), // never rejects: login stays public
	)
	r.Handle("/graphql", handler.New(&handler.Config{Schema: &schema}))
	return r, nil
}
