package oidc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/gqljwt/gqljwt/internal/testclock"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/middleware"
	"github.com/gqljwt/gqljwt/oidc"
	"github.com/gqljwt/gqljwt/oidc/oidctest"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/handler"
)

// ourSecret signs the Service's own tokens; ourIssuer is their iss.
var ourSecret = []byte("oidc-test-our-own-secret-0123456789abcdef")

const (
	ourIssuer = "https://api.example.test"
	audience  = "api://orders"
)

// clock is a settable clock shared by the issuer and the Service.
type clock = testclock.Clock

func newClock() *clock { return testclock.New() }

func newProvider(t testing.TB) *oidctest.Provider {
	t.Helper()
	p, err := oidctest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// newIssuer configures an issuer for p through discovery; edit adjusts the
// configuration first.
func newIssuer(t testing.TB, p *oidctest.Provider, now func() time.Time, edit func(*oidc.Config)) *oidc.Issuer {
	t.Helper()
	cfg := oidc.Config{Issuer: p.Issuer(), Audience: []string{audience}, Algorithms: []string{"RS256", "ES256"}, Now: now}
	if edit != nil {
		edit(&cfg)
	}
	x, err := oidc.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("oidc.New: %v", err)
	}
	t.Cleanup(func() { _ = x.Close() })
	return x
}

func newService(t testing.TB, now func() time.Time, edit func(*gqljwt.Config), issuers ...gqljwt.ExternalIssuer) *gqljwt.Service {
	t.Helper()
	cfg := gqljwt.Config{Secret: ourSecret, Issuer: ourIssuer, Issuers: issuers, Now: now}
	if edit != nil {
		edit(&cfg)
	}
	s, err := gqljwt.New(cfg)
	if err != nil {
		t.Fatalf("gqljwt.New: %v", err)
	}
	return s
}

// fixture is one provider, an issuer for it (edited by edit) and a
// Service accepting its tokens, all on one settable clock.
func fixture(t testing.TB, edit func(*oidc.Config)) (*oidctest.Provider, *clock, *gqljwt.Service) {
	t.Helper()
	p := newProvider(t)
	clk := newClock()
	return p, clk, newService(t, clk.Now, nil, newIssuer(t, p, clk.Now, edit))
}

// sign signs claims at p with alg, failing the test on error.
func sign(t testing.TB, p *oidctest.Provider, alg string, claims map[string]any) string {
	t.Helper()
	tok, err := p.Sign(alg, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newRouter is an API as applications build it: chi, the Verifier, the
// graphql-go handler and @auth guards. me answers from the identity, with
// no user store behind it.
func newRouter(t testing.TB, auth *gqljwt.Service) http.Handler {
	t.Helper()
	me := graphql.NewObject(graphql.ObjectConfig{Name: "Me", Fields: graphql.Fields{
		"id":       &graphql.Field{Type: graphql.String},
		"username": &graphql.Field{Type: graphql.String},
		"issuer":   &graphql.Field{Type: graphql.String},
		"roles":    &graphql.Field{Type: graphql.NewList(graphql.String)},
		"scopes":   &graphql.Field{Type: graphql.NewList(graphql.String)},
	}})
	query := graphql.Fields{
		"me": &graphql.Field{Type: me, Resolve: func(p graphql.ResolveParams) (any, error) {
			id, err := gqljwt.FromContext(p.Context)
			if id == nil {
				return nil, err
			}
			return map[string]any{"id": id.Subject, "username": id.Username, "issuer": id.ExternalIssuer, "roles": id.Roles, "scopes": id.Scopes}, nil
		}},
		"drafts": &graphql.Field{Type: graphql.NewList(graphql.String), Resolve: func(graphql.ResolveParams) (any, error) {
			return []string{"draft 1"}, nil
		}},
		"orders": &graphql.Field{Type: graphql.NewList(graphql.String), Resolve: func(graphql.ResolveParams) (any, error) {
			return []string{"order 1"}, nil
		}},
	}
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query:      graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: query}),
		Directives: directives.Directives(),
	})
	if err != nil {
		t.Fatal(err)
	}
	err = directives.Apply(&schema, map[string]directives.Rule{
		"Query.me":     directives.Authenticated(),
		"Query.drafts": directives.AnyRole("EDITOR"),
		"Query.orders": directives.Scopes("read:orders"),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(middleware.Verifier(auth))
	r.Handle("/graphql", handler.New(&handler.Config{Schema: &schema}))
	return r
}

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string           `json:"message"`
	Path       []any            `json:"path"`
	Locations  []map[string]int `json:"locations"`
	Extensions map[string]any   `json:"extensions"`
}

type gqlResponse struct {
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
}

// post sends query with token as a bearer over real HTTP.
func post(t testing.TB, url, token, query string) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, err := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out gqlResponse
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// newUsers holds local user "1", whose ID external subjects may share.
func newUsers(t testing.TB) *memstore.Users {
	t.Helper()
	users := memstore.NewUsers(memstore.BcryptCost(4))
	if err := users.Add(gqljwt.User{ID: "1", Username: "local-one", Active: true}, "local-one-password"); err != nil {
		t.Fatal(err)
	}
	return users
}
