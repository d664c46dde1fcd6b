package middleware_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/middleware"
)

// TestRequiredAndStrict: the exact 401 answers, through Strict and through
// Verifier + Required on a route, while a public route of the same router
// keeps serving anonymous callers.
func TestRequiredAndStrict(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	tk := makeTokens(t, auth)

	strict := newServer(t, newRouter(t, middleware.Strict(auth, middleware.FromHeader("JWT"))))

	mixed := chi.NewRouter()
	mixed.Use(middleware.Verifier(auth, middleware.FromHeader("JWT")))
	mixed.Handle("/public/graphql", graphqlHandler(t))
	mixed.With(middleware.Required).Handle("/graphql", graphqlHandler(t))
	mixedSrv := newServer(t, mixed)

	refused := func(body, wwwAuth string) (int, string, map[string]string) {
		return http.StatusUnauthorized, body, map[string]string{
			"WWW-Authenticate": wwwAuth,
			"Content-Type":     "application/json; charset=utf-8",
			"Cache-Control":    "no-store",
		}
	}
	cases := []struct {
		name    string
		header  map[string]string
		status  int
		body    string
		headers map[string]string
	}{
		{name: "good token", header: bearer(tk.good), status: http.StatusOK, body: dataAuth(stateUser("u1")),
			headers: map[string]string{"WWW-Authenticate": "", "Cache-Control": ""}},
		{name: "JWT prefix", header: map[string]string{"Authorization": "JWT " + tk.good2}, status: http.StatusOK, body: dataAuth(stateUser("u2"))},
		{name: "inside leeway", header: bearer(tk.leeway), status: http.StatusOK, body: dataAuth(stateUser("u3"))},
	}
	add := func(name string, header map[string]string, status int, body string, headers map[string]string) {
		cases = append(cases, struct {
			name    string
			header  map[string]string
			status  int
			body    string
			headers map[string]string
		}{name, header, status, body, headers})
	}
	s, b, h := refused(bodyUnauthorized, "Bearer")
	add("no token", nil, s, b, h)
	add("Basic is no token", map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}, s, b, h)
	s, b, h = refused(bodyReason("TOKEN_EXPIRED"), challenge("Token has expired"))
	add("expired", bearer(tk.expired), s, b, h)
	s, b, h = refused(bodyReason("TOKEN_INVALID"), challenge("Invalid token"))
	add("bad signature", bearer(tk.badSig), s, b, h)
	add("garbage", bearer("garbage"), s, b, h)
	add("Bearer with no token", map[string]string{"Authorization": "Bearer"}, s, b, h)
	add("JWT with no token", map[string]string{"Authorization": "JWT"}, s, b, h)
	s, b, h = refused(bodyReason("TOKEN_REVOKED"), challenge("Token has been revoked"))
	add("revoked", bearer(tk.revoked), s, b, h)

	for _, srv := range []struct {
		name string
		srv  string
		c    *http.Client
	}{{"Strict", strict.URL, strict.Client()}, {"Verifier+Required", mixedSrv.URL, mixedSrv.Client()}} {
		for _, c := range cases {
			for _, round := range []string{"", " (cached)"} {
				got := do(t, srv.c, srv.srv, request{path: "/graphql", query: "{ auth }", header: c.header})
				checkReply(t, srv.name+" "+c.name+round, got, c.status, c.body, c.headers)
			}
		}
	}
	// The public route of the same router serves every caller.
	for _, c := range cases {
		got := do(t, mixedSrv.Client(), mixedSrv.URL, request{path: "/public/graphql", query: "{ hello }", header: c.header})
		checkReply(t, "public "+c.name, got, http.StatusOK, `{"data":{"hello":"world"}}`, map[string]string{"WWW-Authenticate": ""})
	}
}

// TestRevokeThroughService: a token that worked is refused with
// TOKEN_REVOKED right after RevokeAccessToken, although it is cached, and
// other tokens of the same user are unaffected.
func TestRevokeThroughService(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	srv := newServer(t, newRouter(t, middleware.Strict(auth)))
	a, b := issue(t, auth, "u1"), issue(t, auth, "u1")
	for i := 0; i < 2; i++ {
		checkReply(t, "before", do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ me }", header: bearer(a)}), http.StatusOK, `{"data":{"me":"u1"}}`, nil)
	}
	id, err := auth.Verify(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.RevokeAccessToken(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		checkReply(t, "after", do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ me }", header: bearer(a)}),
			http.StatusUnauthorized, bodyReason("TOKEN_REVOKED"), map[string]string{"WWW-Authenticate": challenge("Token has been revoked")})
	}
	checkReply(t, "other token", do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ me }", header: bearer(b)}), http.StatusOK, `{"data":{"me":"u1"}}`, nil)
}

// TestUnavailableStore: a RevocationStore that fails means "no": 503 with
// AUTH_UNAVAILABLE for a good token, cached or not, and no WWW-Authenticate
// challenge (credentials would not help). Tokens refused before the store
// is asked keep their own answer.
func TestUnavailableStore(t *testing.T) {
	store := &failingStore{}
	auth := newService(t, gqljwt.Config{Revocations: store})
	tk := makeTokensNoRevoke(t, auth)
	srv := newServer(t, newRouter(t, middleware.Strict(auth)))
	open := newServer(t, newRouter(t, middleware.Verifier(auth)))

	query := func(tok string) reply {
		var h map[string]string
		if tok != "" {
			h = bearer(tok)
		}
		return do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ me }", header: h})
	}
	unavailable := map[string]string{"WWW-Authenticate": "", "Cache-Control": "no-store", "Content-Type": "application/json; charset=utf-8"}

	// Working store: the token is verified and cached.
	checkReply(t, "store up", query(tk.good), http.StatusOK, `{"data":{"me":"u1"}}`, nil)
	// The token and its session are checked in one call to the store.
	before := store.calls()
	checkReply(t, "store up, cached token", query(tk.good), http.StatusOK, `{"data":{"me":"u1"}}`, nil)
	if got := store.calls() - before; got != 1 {
		t.Errorf("one request asked the revocation store %d times, want 1", got)
	}
	store.setFail(true)
	asked := store.calls()
	checkReply(t, "store down, cached token", query(tk.good), http.StatusServiceUnavailable, bodyUnavailable, unavailable)
	checkReply(t, "store down, new token", query(tk.good2), http.StatusServiceUnavailable, bodyUnavailable, unavailable)
	if got := store.calls() - asked; got != 2 {
		t.Errorf("store asked %d times for two good tokens, want 2", got)
	}
	asked = store.calls()
	checkReply(t, "store down, bad token", query(tk.badSig), http.StatusUnauthorized, bodyReason("TOKEN_INVALID"), map[string]string{"WWW-Authenticate": challenge("Invalid token")})
	checkReply(t, "store down, expired token", query(tk.expired), http.StatusUnauthorized, bodyReason("TOKEN_EXPIRED"), nil)
	checkReply(t, "store down, no token", query(""), http.StatusUnauthorized, bodyUnauthorized, map[string]string{"WWW-Authenticate": "Bearer"})
	if got := store.calls() - asked; got != 0 {
		t.Errorf("store asked %d times for tokens refused before the revocation check, want 0", got)
	}
	// The plain Verifier lets the request through with the error in context.
	got := do(t, open.Client(), open.URL, request{path: "/graphql", query: "{ auth }", header: bearer(tk.good)})
	checkReply(t, "verifier, store down", got, http.StatusOK, dataAuth("error:AUTH_UNAVAILABLE jwtauth:AUTH_UNAVAILABLE"), nil)
	if err := auth.RevokeAccessToken(context.Background(), &gqljwt.Identity{TokenID: "x"}); gqljwt.CodeOf(err) != gqljwt.CodeUnavailable {
		t.Errorf("RevokeAccessToken with the store down: %v, want AUTH_UNAVAILABLE", err)
	}
	// Back up: served again, from the cache.
	store.setFail(false)
	checkReply(t, "store up again", query(tk.good), http.StatusOK, `{"data":{"me":"u1"}}`, nil)
	checkReply(t, "store up again, second token", query(tk.good2), http.StatusOK, `{"data":{"me":"u2"}}`, nil)
}

// makeTokensNoRevoke is makeTokens for services whose store the test
// controls: tk.revoked is left unrevoked.
func makeTokensNoRevoke(t *testing.T, auth *gqljwt.Service) tokens {
	t.Helper()
	full := makeTokens(t, newService(t, gqljwt.Config{}))
	return tokens{
		good:    issue(t, auth, "u1"),
		good2:   issue(t, auth, "u2"),
		leeway:  full.leeway,
		expired: full.expired,
		badSig:  full.badSig,
	}
}

// TestRequiredWithoutVerifier: Required alone refuses everything with the
// plain 401.
func TestRequiredWithoutVerifier(t *testing.T) {
	srv := newServer(t, newRouter(t, middleware.Required))
	got := do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ hello }", header: bearer("whatever")})
	checkReply(t, "no verifier", got, http.StatusUnauthorized, bodyUnauthorized, map[string]string{"WWW-Authenticate": "Bearer"})
}

// TestWriteUnauthorized pins the answer for each kind of error, including
// errors that are not token errors.
func TestWriteUnauthorized(t *testing.T) {
	cases := []struct {
		name    string
		err     error
		status  int
		body    string
		wwwAuth string
	}{
		{"nil", nil, 401, bodyUnauthorized, "Bearer"},
		{"no token", gqljwt.ErrNoToken, 401, bodyUnauthorized, "Bearer"},
		{"unauthenticated", gqljwt.ErrUnauthenticated, 401, bodyUnauthorized, "Bearer"},
		{"foreign error", errors.New("secret detail"), 401, bodyUnauthorized, "Bearer"},
		{"forbidden is still 401 here", gqljwt.ErrForbidden, 401, bodyUnauthorized, "Bearer"},
		{"expired", gqljwt.ErrTokenExpired, 401, bodyReason("TOKEN_EXPIRED"), challenge("Token has expired")},
		{"wrapped invalid", errors.Join(errors.New("x"), gqljwt.ErrTokenInvalid.WithCause(errors.New("secret detail"))), 401, bodyReason("TOKEN_INVALID"), challenge("Invalid token")},
		{"revoked", gqljwt.ErrTokenRevoked, 401, bodyReason("TOKEN_REVOKED"), challenge("Token has been revoked")},
		{"unavailable", gqljwt.ErrUnavailable.WithCause(errors.New("redis: connection refused")), 503, bodyUnavailable, ""},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		middleware.WriteUnauthorized(rec, c.err)
		checkReply(t, c.name, reply{status: rec.Code, header: rec.Header(), body: rec.Body.String()}, c.status, c.body,
			map[string]string{"WWW-Authenticate": c.wwwAuth, "Cache-Control": "no-store", "Content-Type": "application/json; charset=utf-8"})
	}
}

// TestRevokeWithServiceClock: revocation works for a service whose clock
// (Config.Now) is not the wall clock, as in tests and replays. The
// in-process store must compute the entry's lifetime with the service
// clock; with time.Until a token whose expiry lies in the wall-clock past
// is silently not revoked.
func TestRevokeWithServiceClock(t *testing.T) {
	now := time.Now().Add(-24 * time.Hour)
	auth := newService(t, gqljwt.Config{Now: func() time.Time { return now }})
	tok := issue(t, auth, "u1")
	srv := newServer(t, newRouter(t, middleware.Strict(auth)))
	checkReply(t, "before", do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ me }", header: bearer(tok)}), http.StatusOK, `{"data":{"me":"u1"}}`, nil)
	id, err := auth.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.RevokeAccessToken(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	got := do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ me }", header: bearer(tok)})
	problem := ""
	if got.status != http.StatusUnauthorized || got.body != bodyReason("TOKEN_REVOKED") {
		problem = "revoked token still served: " + strconv.Itoa(got.status) + " " + got.body
	}
	if problem != "" {
		t.Fatal(problem)
	}
}
