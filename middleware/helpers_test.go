package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/jwtauth/v5"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/handler"

	"github.com/gqljwt/gqljwt"
)

// secret is the HS256 secret of every service in these tests; otherSecret
// signs tokens that must not verify.
var (
	secret      = []byte("middleware-test-secret-0123456789abcdef")
	otherSecret = []byte("another-secret-nobody-trusts-0123456789")
)

func newService(t testing.TB, cfg gqljwt.Config) *gqljwt.Service {
	t.Helper()
	if cfg.Secret == nil && cfg.SigningKey.Secret == nil && cfg.SigningKey.Private == nil {
		cfg.Secret = secret
	}
	s, err := gqljwt.New(cfg)
	if err != nil {
		t.Fatalf("gqljwt.New: %v", err)
	}
	return s
}

func issue(t testing.TB, s *gqljwt.Service, sub string) string {
	t.Helper()
	tok, err := s.IssueAccessToken(context.Background(), &gqljwt.User{ID: sub, Username: "name-" + sub, Roles: []string{"reader"}})
	if err != nil {
		t.Fatalf("IssueAccessToken(%s): %v", sub, err)
	}
	return tok.Value
}

// tokens is the set of tokens the tests send, all for the service under test.
type tokens struct {
	good    string // sub u1
	good2   string // sub u2
	leeway  string // sub u3, expired 10 s ago: inside the 30 s leeway
	expired string // expired 2 h ago
	badSig  string // signed with otherSecret
	revoked string // sub u4, revoked through the service
}

func makeTokens(t testing.TB, auth *gqljwt.Service) tokens {
	t.Helper()
	past := func(d time.Duration) *gqljwt.Service {
		return newService(t, gqljwt.Config{Now: func() time.Time { return time.Now().Add(-d) }})
	}
	tk := tokens{
		good:    issue(t, auth, "u1"),
		good2:   issue(t, auth, "u2"),
		leeway:  issue(t, past(gqljwt.DefaultAccessTTL+10*time.Second), "u3"),
		expired: issue(t, past(2*time.Hour), "u-expired"),
		badSig:  issue(t, newService(t, gqljwt.Config{Secret: otherSecret}), "u1"),
		revoked: issue(t, auth, "u4"),
	}
	id, err := auth.Verify(context.Background(), tk.revoked)
	if err != nil {
		t.Fatalf("Verify(revoked token before revoking): %v", err)
	}
	if err := auth.RevokeAccessToken(context.Background(), id); err != nil {
		t.Fatalf("RevokeAccessToken: %v", err)
	}
	return tk
}

// authState describes what a handler sees of the verification result, both
// through gqljwt.FromContext and through jwtauth.FromContext, as one string
// the tests compare exactly.
func authState(ctx context.Context) string {
	id, err := gqljwt.FromContext(ctx)
	tok, claims, jerr := jwtauth.FromContext(ctx)
	var ja string
	switch {
	case tok != nil:
		sub, _ := tok.Subject()
		ja = fmt.Sprintf("jwtauth:%s/%v/%s", sub, claims["sub"], errName(jerr))
	default:
		ja = "jwtauth:" + errName(jerr)
	}
	if id != nil {
		if err != nil {
			return "BROKEN: identity and error"
		}
		return "user:" + id.Subject + " " + ja
	}
	return "error:" + errName(err) + " " + ja
}

// errName names a verification error by its code, telling "no token sent"
// apart from the other UNAUTHENTICATED errors, and checks that jwtauth's
// sentinels still match through errors.Is.
func errName(err error) string {
	if err == nil {
		return "nil"
	}
	var e *gqljwt.Error
	if !errors.As(err, &e) {
		return "FOREIGN(" + err.Error() + ")"
	}
	name := string(e.Code)
	switch {
	case errors.Is(err, jwtauth.ErrNoTokenFound):
		name = "NO_TOKEN"
	case errors.Is(err, jwtauth.ErrExpired):
		name += "+jwtauth.ErrExpired"
	case errors.Is(err, jwtauth.ErrUnauthorized):
		name += "+jwtauth.ErrUnauthorized"
	}
	return name
}

// newSchema is the tiny real schema: hello (public), me (the subject, or the
// verification error as a GraphQL error), auth (authState) and login, which
// sets a header and a cookie through the response bridge.
func newSchema(t testing.TB) *graphql.Schema {
	t.Helper()
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{
		Name: "Query",
		Fields: graphql.Fields{
			"hello": {Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return "world", nil }},
			"me": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
				id, err := gqljwt.FromContext(p.Context)
				if err != nil {
					return nil, err
				}
				return id.Subject, nil
			}},
			"auth": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
				return authState(p.Context), nil
			}},
			"login": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
				resp, ok := gqljwt.ResponseFromContext(p.Context)
				if !ok {
					return nil, errors.New("no response bridge")
				}
				resp.Header().Set("X-Auth-Token", "issued-token")
				resp.SetCookie(&http.Cookie{Name: "jwt", Value: "issued-cookie", Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
				return "ok", nil
			}},
		},
	})})
	if err != nil {
		t.Fatalf("graphql.NewSchema: %v", err)
	}
	return &schema
}

// graphqlHandler serves the schema with graphql-go/handler.
func graphqlHandler(t testing.TB) http.Handler {
	return handler.New(&handler.Config{Schema: newSchema(t), Pretty: false})
}

// newRouter mounts the GraphQL handler on /graphql and a plain handler
// writing authState on /state, behind mws.
func newRouter(t testing.TB, mws ...func(http.Handler) http.Handler) chi.Router {
	r := chi.NewRouter()
	r.Use(mws...)
	r.Handle("/graphql", graphqlHandler(t))
	r.Get("/state", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, authState(r.Context()))
	})
	return r
}

func newServer(t testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// reply is what the client received.
type reply struct {
	status int
	header http.Header
	body   string
}

// request describes one request: path (with query) plus extras.
type request struct {
	method  string // default POST for /graphql, GET otherwise
	path    string
	query   string // GraphQL query, sent as a JSON body
	header  map[string]string
	cookies []*http.Cookie
}

func do(t testing.TB, client *http.Client, base string, rq request) reply {
	t.Helper()
	method := rq.method
	var body io.Reader
	if rq.query != "" {
		if method == "" {
			method = http.MethodPost
		}
		body = strings.NewReader(fmt.Sprintf(`{"query":%q}`, rq.query))
	}
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, base+rq.path, body)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	for _, c := range rq.cookies {
		req.AddCookie(c)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rq.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// dataAuth is the body graphql-go/handler sends for { auth }.
func dataAuth(state string) string {
	return `{"data":{"auth":"` + state + `"}}`
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// The authState strings of the usual outcomes.
const (
	stateNoToken  = "error:NO_TOKEN jwtauth:NO_TOKEN"
	stateInvalid  = "error:TOKEN_INVALID+jwtauth.ErrUnauthorized jwtauth:TOKEN_INVALID+jwtauth.ErrUnauthorized"
	stateExpired  = "error:TOKEN_EXPIRED+jwtauth.ErrExpired jwtauth:TOKEN_EXPIRED+jwtauth.ErrExpired"
	stateRevoked  = "error:TOKEN_REVOKED jwtauth:TOKEN_REVOKED"
	stateNoVerify = "error:UNAUTHENTICATED jwtauth:nil"
)

func stateUser(sub string) string {
	return "user:" + sub + " jwtauth:" + sub + "/" + sub + "/nil"
}

// Exact 401/503 bodies of Required.
const (
	bodyUnauthorized = `{"errors":[{"message":"Unauthorized","extensions":{"code":"UNAUTHENTICATED"}}]}` + "\n"
	bodyUnavailable  = `{"errors":[{"message":"Authentication is temporarily unavailable","extensions":{"code":"AUTH_UNAVAILABLE"}}]}` + "\n"
)

func bodyReason(reason string) string {
	return `{"errors":[{"message":"Unauthorized","extensions":{"code":"UNAUTHENTICATED","reason":"` + reason + `"}}]}` + "\n"
}

// challenge is the RFC 6750 WWW-Authenticate value for a refused token.
func challenge(desc string) string {
	return `Bearer error="invalid_token", error_description="` + desc + `"`
}

// failingStore is a RevocationStore whose IsRevoked fails while fail is set
// and which counts the questions it was asked.
type failingStore struct {
	mu      sync.Mutex
	fail    bool
	asked   int
	revoked map[string]bool
}

func (s *failingStore) setFail(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = v
}

func (s *failingStore) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.asked
}

func (s *failingStore) RevokeToken(_ context.Context, id string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("store down")
	}
	if s.revoked == nil {
		s.revoked = map[string]bool{}
	}
	s.revoked[id] = true
	return nil
}

func (s *failingStore) IsRevoked(_ context.Context, id, session string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked++
	if s.fail {
		return false, errors.New("store down: connection refused")
	}
	return s.revoked[id] || s.revoked[session], nil
}

// checkReply compares status, body and the listed headers exactly; a header
// listed with "" must be absent.
func checkReply(t testing.TB, name string, got reply, status int, body string, headers map[string]string) {
	t.Helper()
	if got.status != status {
		t.Errorf("%s: status %d, want %d (body %q)", name, got.status, status, got.body)
	}
	if got.body != body {
		t.Errorf("%s: body\n got %q\nwant %q", name, got.body, body)
	}
	for k, want := range headers {
		vs := got.header.Values(k)
		switch {
		case want == "" && len(vs) != 0:
			t.Errorf("%s: header %s = %q, want it absent", name, k, vs)
		case want != "" && (len(vs) != 1 || vs[0] != want):
			t.Errorf("%s: header %s = %q, want [%q]", name, k, vs, want)
		}
	}
}
