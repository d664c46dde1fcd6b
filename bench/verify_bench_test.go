package bench

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/jwtauth/v5"
	golangjwt "github.com/golang-jwt/jwt/v5"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/handler"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/middleware"
)

// The verification benchmarks compare gqljwt with the libraries it builds
// on and with the hand-written floor, all on HS256 tokens that gqljwt
// issued (sub, iat, exp, jti, typ, origIat, sid, username, roles) and the
// same secret:
//
//	go test -run '^$' -bench 'Middleware|Jwtauth|GolangJWT|StdlibFloor|GraphQL' -benchmem
//
// "New token" benchmarks use a different token in every iteration, issued
// before the timer starts, so no cache can help; "seen token" ones repeat
// one token that the verifier has already seen.

var vbSecret = []byte("bench-verify-secret-0123456789abcdef-012345")

// vbLeeway is gqljwt's default leeway, given to the other libraries too.
const vbLeeway = gqljwt.DefaultLeeway

// vbPool holds tokens issued by one issuer, shared by all benchmarks and
// grown on demand: token i belongs to user i.
var vbPool struct {
	sync.Mutex
	issuer  *gqljwt.Service
	tokens  []string
	bearers [][]string // "Bearer <token>", as a header value slice
}

// vbTokens returns n distinct tokens and their Authorization values.
func vbTokens(b testing.TB, n int) ([]string, [][]string) {
	b.Helper()
	vbPool.Lock()
	defer vbPool.Unlock()
	if vbPool.issuer == nil {
		// An hour of validity keeps the pool usable through -count runs.
		issuer, err := gqljwt.New(gqljwt.Config{Secret: vbSecret, AccessTTL: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		vbPool.issuer = issuer
	}
	grown := false
	for i := len(vbPool.tokens); i < n; i++ {
		id := fmt.Sprintf("user-%d", i)
		tok, err := vbPool.issuer.IssueAccessToken(context.Background(), &gqljwt.User{ID: id, Username: id, Roles: []string{"reader", "editor"}})
		if err != nil {
			b.Fatal(err)
		}
		vbPool.tokens = append(vbPool.tokens, tok.Value)
		vbPool.bearers = append(vbPool.bearers, []string{"Bearer " + tok.Value})
		grown = true
	}
	if grown {
		// Issuing leaves garbage behind. Collected here, it is not swept
		// and marked inside the timed loop of whichever benchmark
		// happened to grow the pool.
		runtime.GC()
	}
	return vbPool.tokens[:n], vbPool.bearers[:n]
}

// vbService is the verifying service: defaults, same secret. cacheEntries
// 0 keeps the default bound.
func vbService(b testing.TB, cacheEntries int) *gqljwt.Service {
	b.Helper()
	s, err := gqljwt.New(gqljwt.Config{Secret: vbSecret, CacheEntries: cacheEntries})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// vbWriter is a ResponseWriter that keeps nothing, so the middleware
// benchmarks time the middleware and not a recorder.
type vbWriter struct{ h http.Header }

func (w vbWriter) Header() http.Header       { return w.h }
func (vbWriter) Write(p []byte) (int, error) { return len(p), nil }
func (vbWriter) WriteHeader(int)             {}

// vbIdentityHandler is the no-op next handler: it reads the identity and
// refuses to continue without one.
func vbIdentityHandler(b *testing.B) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, err := gqljwt.FromContext(r.Context()); id == nil {
			b.Fatalf("no identity: %v", err)
		}
	})
}

// BenchmarkMiddlewareSeenToken: gqljwt's Verifier (extract, verify,
// context) with a token it verified before, i.e. a verified-token cache
// hit plus the revocation check. Target: ≤ 300 ns/op, ≤ 2 allocs/op.
func BenchmarkMiddlewareSeenToken(b *testing.B) {
	_, bearers := vbTokens(b, 1)
	h := middleware.Verifier(vbService(b, 0))(vbIdentityHandler(b))
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header["Authorization"] = bearers[0]
	w := vbWriter{h: http.Header{}}
	h.ServeHTTP(w, req) // now it is seen
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.ServeHTTP(w, req)
	}
}

// BenchmarkMiddlewareNewToken: the same with a token never seen before in
// every iteration: full verification, the identity built and, while the
// cache has room (default bound: 10000 entries), added to it. This is the
// configuration users run. Target: ≤ 1.1× BenchmarkJwtauthVerifyToken.
func BenchmarkMiddlewareNewToken(b *testing.B) { benchmarkNewToken(b, 0) }

// BenchmarkMiddlewareNewTokenNoCache: the same with the cache disabled
// (CacheEntries < 0): verification and identity alone.
func BenchmarkMiddlewareNewTokenNoCache(b *testing.B) { benchmarkNewToken(b, -1) }

// BenchmarkMiddlewareNewTokenCacheAll: the same with a cache large enough
// to keep every token, so every iteration pays for an insertion and the
// heap keeps growing: the worst case.
func BenchmarkMiddlewareNewTokenCacheAll(b *testing.B) { benchmarkNewToken(b, b.N+1) }

func benchmarkNewToken(b *testing.B, cacheEntries int) {
	_, bearers := vbTokens(b, b.N)
	h := middleware.Verifier(vbService(b, cacheEntries))(vbIdentityHandler(b))
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	w := vbWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req.Header["Authorization"] = bearers[i]
		h.ServeHTTP(w, req)
	}
}

// vbJWTAuth is a jwtauth verifier checking what gqljwt checks: HS256,
// required exp, iat, sub and jti, typ "access", the same leeway.
func vbJWTAuth() *jwtauth.JWTAuth {
	return jwtauth.New("HS256", vbSecret, nil,
		jwxjwt.WithRequiredClaim(jwxjwt.ExpirationKey),
		jwxjwt.WithRequiredClaim(jwxjwt.IssuedAtKey),
		jwxjwt.WithRequiredClaim(jwxjwt.SubjectKey),
		jwxjwt.WithRequiredClaim(jwxjwt.JwtIDKey),
		jwxjwt.WithClaimValue("typ", "access"),
		jwxjwt.WithAcceptableSkew(vbLeeway),
	)
}

// BenchmarkJwtauthVerifyToken: jwtauth.VerifyToken (jwx parse, signature,
// validation) on a new token every iteration.
func BenchmarkJwtauthVerifyToken(b *testing.B) {
	tokens, _ := vbTokens(b, b.N)
	ja := vbJWTAuth()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := jwtauth.VerifyToken(ja, tokens[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJwtauthVerifier: jwtauth's own middleware, Verifier followed by
// a handler calling jwtauth.FromContext (which builds the claims map).
// jwtauth has no cache, so a repeated token costs what a new one does.
func BenchmarkJwtauthVerifier(b *testing.B) {
	_, bearers := vbTokens(b, 1)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok, _, err := jwtauth.FromContext(r.Context()); err != nil || tok == nil {
			b.Fatalf("jwtauth: %v", err)
		}
	})
	h := jwtauth.Verifier(vbJWTAuth())(next)
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header["Authorization"] = bearers[0]
	w := vbWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.ServeHTTP(w, req)
	}
}

// BenchmarkGolangJWTParse: golang-jwt/jwt v5 jwt.Parse with an HS256
// keyfunc, the method pinned, exp required and the same leeway, on a new
// token every iteration.
func BenchmarkGolangJWTParse(b *testing.B) {
	tokens, _ := vbTokens(b, b.N)
	keyfunc := func(*golangjwt.Token) (any, error) { return vbSecret, nil }
	opts := []golangjwt.ParserOption{
		golangjwt.WithValidMethods([]string{"HS256"}),
		golangjwt.WithLeeway(vbLeeway),
		golangjwt.WithExpirationRequired(),
		golangjwt.WithIssuedAt(),
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t, err := golangjwt.Parse(tokens[i], keyfunc, opts...)
		if err != nil || !t.Valid {
			b.Fatal(err)
		}
	}
}

// vbFloor is the least any HS256 verifier must do: split, HMAC-SHA256 over
// the signing input, base64url-decode and compare the signature, decode
// the claims JSON. No header check, no claim validation.
func vbFloor(token string) (map[string]any, error) {
	last := strings.LastIndexByte(token, '.')
	first := strings.IndexByte(token, '.')
	if first < 0 || last <= first {
		return nil, errors.New("malformed")
	}
	mac := hmac.New(sha256.New, vbSecret)
	mac.Write([]byte(token[:last]))
	want := mac.Sum(nil)
	sig, err := base64.RawURLEncoding.DecodeString(token[last+1:])
	if err != nil || !hmac.Equal(sig, want) {
		return nil, errors.New("bad signature")
	}
	payload, err := base64.RawURLEncoding.DecodeString(token[first+1 : last])
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// BenchmarkStdlibFloor: vbFloor on a new token every iteration.
func BenchmarkStdlibFloor(b *testing.B) {
	tokens, _ := vbTokens(b, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if c, err := vbFloor(tokens[i]); err != nil || c["sub"] == nil {
			b.Fatal(err)
		}
	}
}

// vbGraphQL is chi + Verifier + graphql-go/handler serving { hello }.
func vbGraphQL(b *testing.B) http.Handler {
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{
		Name: "Query",
		Fields: graphql.Fields{
			"hello": &graphql.Field{Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return "world", nil }},
		},
	})})
	if err != nil {
		b.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(middleware.Verifier(vbService(b, 0)))
	r.Handle("/graphql", handler.New(&handler.Config{Schema: &schema, Pretty: false}))
	return r
}

func benchmarkGraphQL(b *testing.B, authorization []string) {
	h := vbGraphQL(b)
	const body = `{"query":"{ hello }"}`
	serve := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header["Content-Type"] = []string{"application/json"}
		if authorization != nil {
			req.Header["Authorization"] = authorization
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := serve(); rec.Code != http.StatusOK || rec.Body.String() != `{"data":{"hello":"world"}}` {
		b.Fatalf("%d %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serve()
	}
}

// BenchmarkGraphQLAnonymous: { hello } through chi, the Verifier (no token)
// and graphql-go/handler.
func BenchmarkGraphQLAnonymous(b *testing.B) { benchmarkGraphQL(b, nil) }

// BenchmarkGraphQLAuthenticated: the same with a token seen before.
// Target: ≤ 1.02× BenchmarkGraphQLAnonymous.
func BenchmarkGraphQLAuthenticated(b *testing.B) {
	_, bearers := vbTokens(b, 1)
	benchmarkGraphQL(b, bearers[0])
}
