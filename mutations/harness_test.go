package mutations_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/middleware"
	"github.com/gqljwt/gqljwt/mutations"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/handler"
	"golang.org/x/crypto/bcrypt"
)

var secret = []byte("mutations-test-secret-0123456789abcdef")

// env is a running API: a chi router with the verifier in front of a
// graphql-go handler whose schema is an application's plus a preset.
type env struct {
	t     *testing.T
	auth  *gqljwt.Service
	users *memstore.Users
	srv   *httptest.Server
	// posts counts createPost calls: a side effect to check guards and
	// refusals against.
	posts int
}

type envConfig struct {
	cfg    gqljwt.Config
	preset mutations.Preset
	opts   mutations.Options
	// extractors follow FromHeader("JWT"); wrap, when set, wraps the
	// verifier and handler; tls serves over TLS.
	extractors []middleware.Extractor
	wrap       func(http.Handler) http.Handler
	tls        bool
	// withAuth, when set, completes opts with what needs the service.
	withAuth func(auth *gqljwt.Service, opts *mutations.Options)
}

func newEnv(t *testing.T, ec envConfig) *env {
	t.Helper()
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	for _, u := range []struct {
		user gqljwt.User
		pw   string
	}{
		{gqljwt.User{ID: "1", Username: "alice", Email: "alice@example.com", Roles: []string{"ADMIN"}, Active: true}, "alice-password"},
		{gqljwt.User{ID: "2", Username: "bob", Email: "bob@example.com", Roles: []string{"EDITOR"}, Active: true}, "bob-password"},
		{gqljwt.User{ID: "3", Username: "mallory", Email: "mallory@example.com", Active: false}, "mallory-password"},
	} {
		if err := users.Add(u.user, u.pw); err != nil {
			t.Fatal(err)
		}
	}
	cfg := ec.cfg
	cfg.Secret = secret
	cfg.Users = users
	if cfg.Versions == nil {
		cfg.Versions = users
	}
	auth, err := gqljwt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, auth: auth, users: users}
	query := graphql.Fields{
		"me": &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
			id, err := gqljwt.FromContext(p.Context)
			if id == nil {
				return nil, err
			}
			return id.Username, nil
		}},
	}
	mutation := graphql.Fields{
		"createPost": &graphql.Field{Type: graphql.Int, Resolve: func(p graphql.ResolveParams) (any, error) {
			e.posts++
			return e.posts, nil
		}},
	}
	preset := ec.preset
	if preset.Name == "" {
		preset = mutations.Native()
	}
	if ec.withAuth != nil {
		ec.withAuth(auth, &ec.opts)
	}
	frag, err := mutations.New(auth, preset, ec.opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := frag.MergeInto(query, mutation); err != nil {
		t.Fatal(err)
	}
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query:    graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: query}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: mutation}),
	})
	if err != nil {
		t.Fatal(err)
	}
	h := middleware.Verifier(auth, append([]middleware.Extractor{middleware.FromHeader("JWT")}, ec.extractors...)...)(handler.New(&handler.Config{Schema: &schema}))
	if ec.wrap != nil {
		h = ec.wrap(h)
	}
	r := chi.NewRouter()
	r.Handle("/graphql", h)
	if ec.tls {
		e.srv = httptest.NewTLSServer(r)
	} else {
		e.srv = httptest.NewServer(r)
	}
	t.Cleanup(e.srv.Close)
	return e
}

// response is a GraphQL response as the client sees it.
type response struct {
	Data   map[string]any   `json:"data"`
	Errors []map[string]any `json:"errors"`
	Header http.Header      `json:"-"`
	Raw    string           `json:"-"`
}

// do posts a GraphQL request, with token as bearer token when not empty.
func (e *env) do(token, query string, vars map[string]any) *response {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", e.srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := &response{Header: resp.Header, Raw: string(raw)}
	if err := json.Unmarshal(raw, out); err != nil {
		e.t.Fatalf("response %q: %v", raw, err)
	}
	return out
}

// field returns data[path...] as a map step by step.
func (r *response) field(path ...string) any {
	var cur any = r.Data
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func (r *response) str(path ...string) string {
	s, _ := r.field(path...).(string)
	return s
}

// code returns extensions.code of the only error, failing otherwise.
func (r *response) code(t *testing.T) string {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("want exactly one error, got %s", r.Raw)
	}
	ext, _ := r.Errors[0]["extensions"].(map[string]any)
	c, _ := ext["code"].(string)
	return c
}

const loginQuery = `mutation Login($username: String, $email: String, $password: String!) {
  tokenAuth(username: $username, email: $email, password: $password) {
    token refreshToken payload tokenExpiresIn refreshExpiresIn user { id username }
  }
}`

// login logs in and returns the access and refresh tokens.
func (e *env) login(username, password string) (string, string) {
	e.t.Helper()
	r := e.do("", loginQuery, map[string]any{"username": username, "password": password})
	if len(r.Errors) > 0 {
		e.t.Fatalf("login %s: %s", username, r.Raw)
	}
	return r.str("tokenAuth", "token"), r.str("tokenAuth", "refreshToken")
}

var ctxBackground = context.Background()

// countingUsers is the real store, counting bcrypt comparisons.
type countingUsers struct {
	*memstore.Users
	mu sync.Mutex
	n  int
}

func (c *countingUsers) CheckPassword(ctx context.Context, u *gqljwt.User, pw string) (bool, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.Users.CheckPassword(ctx, u, pw)
}

func (c *countingUsers) CheckDummyPassword(ctx context.Context, pw string) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	c.Users.CheckDummyPassword(ctx, pw)
}

func (c *countingUsers) reset()           { c.mu.Lock(); c.n = 0; c.mu.Unlock() }
func (c *countingUsers) comparisons() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }
