package middleware_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/middleware"
)

// recordState is a next handler that writes authState, so a direct call of
// the middleware shows what the verifier decided.
var recordState = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write([]byte(authState(r.Context())))
})

// TestHugeAuthorizationHeader: a 1 MB header is answered TOKEN_INVALID
// without the token being decoded. Decoding would at least copy the token
// (jwtauth's Decode converts it to []byte); the test measures the bytes
// allocated per request and requires them to stay far below the token's
// size, which proves the size bound ran first.
func TestHugeAuthorizationHeader(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	h := middleware.Strict(auth)(recordState)

	const size = 1 << 20
	shapes := map[string]string{
		"one segment":   strings.Repeat("a", size),
		"jwt shaped":    "eyJhbGciOiJIUzI1NiJ9." + strings.Repeat("a", size) + ".c2ln",
		"bad character": strings.Repeat("a", size-1) + "!",
	}
	for name, tok := range shapes {
		req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		serve := func() *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		rec := serve()
		checkReply(t, name, reply{status: rec.Code, header: rec.Header(), body: rec.Body.String()}, http.StatusUnauthorized, bodyReason("TOKEN_INVALID"),
			map[string]string{"WWW-Authenticate": challenge("Invalid token")})

		const runs = 20
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := 0; i < runs; i++ {
			serve()
		}
		runtime.ReadMemStats(&after)
		perReq := (after.TotalAlloc - before.TotalAlloc) / runs
		t.Logf("%s: %d bytes allocated per request", name, perReq)
		if perReq > size/16 {
			t.Errorf("%s: %d bytes allocated per request for a %d-byte token: the token was copied or decoded", name, perReq, size)
		}
	}
}

// TestHugeAuthorizationHeaderOverHTTP: the same through a real server whose
// MaxHeaderBytes admits the header (Go's default of 1 MB answers 431 before
// any handler runs).
func TestHugeAuthorizationHeaderOverHTTP(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	srv := httptest.NewUnstartedServer(newRouter(t, middleware.Strict(auth)))
	srv.Config.MaxHeaderBytes = 4 << 20
	srv.Start()
	t.Cleanup(srv.Close)
	for _, size := range []int{1 << 20, 3 << 20} {
		got := do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ me }", header: bearer(strings.Repeat("x", size))})
		checkReply(t, fmt.Sprintf("%d-byte token", size), got, http.StatusUnauthorized, bodyReason("TOKEN_INVALID"),
			map[string]string{"WWW-Authenticate": challenge("Invalid token")})
	}
}

// TestTokenSizeBound: a correctly signed token longer than MaxTokenSize is
// refused; the same token verifies once the bound admits it.
func TestTokenSizeBound(t *testing.T) {
	pad := strings.Repeat("p", 9<<10)
	claims := func(cfg gqljwt.Config) gqljwt.Config {
		cfg.Claims = func(_ context.Context, _ *gqljwt.User) (map[string]any, error) {
			return map[string]any{"pad": pad}, nil
		}
		return cfg
	}
	small := newService(t, claims(gqljwt.Config{}))
	large := newService(t, claims(gqljwt.Config{MaxTokenSize: 64 << 10}))
	// A service does not issue tokens it would refuse.
	if _, err := small.IssueAccessToken(context.Background(), &gqljwt.User{ID: "u1"}); gqljwt.CodeOf(err) != gqljwt.CodeInternal {
		t.Fatalf("issuing over MaxTokenSize: %v", err)
	}
	tok := issue(t, large, "u1")
	if len(tok) <= gqljwt.DefaultMaxTokenSize {
		t.Fatalf("token is %d bytes, want over %d", len(tok), gqljwt.DefaultMaxTokenSize)
	}
	for _, c := range []struct {
		name string
		auth *gqljwt.Service
		want string
	}{{"default 8 KiB bound", small, stateInvalid}, {"64 KiB bound", large, stateUser("u1")}} {
		srv := newServer(t, newRouter(t, middleware.Verifier(c.auth)))
		got := do(t, srv.Client(), srv.URL, request{path: "/graphql", query: "{ auth }", header: bearer(tok)})
		checkReply(t, c.name, got, http.StatusOK, dataAuth(c.want), nil)
	}
}

// TestMalformedTokens: hostile shapes are TOKEN_INVALID, never a panic,
// never an identity; sent straight to the handler so that bytes no HTTP
// client would send (NUL, newline, invalid UTF-8) are covered too.
func TestMalformedTokens(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	good := issue(t, auth, "u1")
	parts := strings.Split(good, ".")
	h, p, s := parts[0], parts[1], parts[2]
	cases := map[string]string{
		"one segment":            h,
		"two segments":           h + "." + p,
		"four segments":          good + "." + s,
		"five segments (JWE)":    h + "." + p + "." + s + "." + s + "." + s,
		"empty header":           "." + p + "." + s,
		"empty payload":          h + ".." + s,
		"empty signature":        h + "." + p + ".",
		"dots only":              "..",
		"padding":                h + "." + p + "." + s + "=",
		"standard alphabet +":    h + "." + p + "." + strings.Replace(s, s[:1], "+", 1),
		"standard alphabet /":    h + "/." + p + "." + s,
		"space inside":           h + "." + p[:5] + " " + p[5:] + "." + s,
		"NUL":                    h + "." + p + "\x00." + s,
		"newline":                h + "." + p + "." + s + "\n",
		"invalid UTF-8":          h + "." + p + "." + s + "\xff",
		"unicode letter":         h + "." + p + "é." + s,
		"JSON serialization":     `{"payload":"` + p + `","signatures":[]}`,
		"header not base64":      "!!!!." + p + "." + s,
		"header not JSON":        "bm90IGpzb24." + p + "." + s,
		"alg none":               "eyJhbGciOiJub25lIn0." + p + ".",
		"alg none, fake sig":     "eyJhbGciOiJub25lIn0." + p + "." + s,
		"alg RS256":              "eyJhbGciOiJSUzI1NiJ9." + p + "." + s,
		"payload swapped":        h + "." + strings.Split(issue(t, auth, "u2"), ".")[1] + "." + s,
		"signature truncated":    h + "." + p + "." + s[:len(s)-4],
		"header 600 bytes":       strings.Repeat("e", 600) + "." + p + "." + s,
		"just over 8 KiB":        h + "." + strings.Repeat("A", 8<<10) + "." + s,
		"Bearer inside token":    "Bearer " + good,
		"quoted token":           `"` + good + `"`,
		"token with trailing ws": good + " ",
	}
	handler := middleware.Verifier(auth, middleware.FromHeader("JWT"), middleware.FromQuery("jwt"), middleware.FromCookie("jwt"))(recordState)
	for name, tok := range cases {
		req := httptest.NewRequest(http.MethodGet, "/graphql", nil)
		req.Header["Authorization"] = []string{"Bearer " + tok}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if got := rec.Body.String(); got != stateInvalid {
			t.Errorf("%s: %q, want %q", name, got, stateInvalid)
		}
	}
	// Sanity: the unmodified token is accepted by the same handler.
	req := httptest.NewRequest(http.MethodGet, "/graphql", nil)
	req.Header.Set("Authorization", "Bearer "+good)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	if got := rec.Body.String(); got != stateUser("u1") {
		t.Errorf("good token: %q", got)
	}
}
