package gqljwt_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

func TestConfigRefusals(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	weakRSA, _ := rsa.GenerateKey(rand.Reader, 1024)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	secret := []byte(strings.Repeat("s", 32))
	tests := []struct {
		name string
		cfg  gqljwt.Config
		want string
	}{
		{"no key", gqljwt.Config{}, "HS256 secret is 0 bytes, at least 32 are required"},
		{"empty secret", gqljwt.Config{Secret: []byte{}}, "HS256 secret is 0 bytes, at least 32 are required"},
		{"31-byte secret", gqljwt.Config{Secret: secret[:31]}, "HS256 secret is 31 bytes, at least 32 are required"},
		{"short verification secret", gqljwt.Config{Secret: secret, VerificationKeys: []gqljwt.Key{{ID: "old", Secret: []byte("x")}}}, `verification key "old": HS256 secret is 1 bytes`},
		{"secret and signing key", gqljwt.Config{Secret: secret, SigningKey: gqljwt.Key{Secret: secret}}, "set either Secret or SigningKey, not both"},
		{"unknown algorithm", gqljwt.Config{Algorithm: "HS512", Secret: secret}, `unsupported algorithm "HS512"`},
		{"TTL differs from the version cache's", gqljwt.Config{Secret: secret, VersionCacheTTL: time.Second, VersionCache: gqljwt.NewVersionCache(time.Minute)}, "VersionCacheTTL (1s) differs from the VersionCache's TTL (1m0s)"},
		{"window differs from the throttle's", gqljwt.Config{Secret: secret, LoginWindow: time.Minute, LoginThrottle: gqljwt.NewLoginThrottle(time.Hour)}, "LoginWindow (1m0s) differs from the LoginThrottle's window (1h0m0s)"},
		{"alg none", gqljwt.Config{Algorithm: "none", Secret: secret}, `unsupported algorithm "none"`},
		{"HS256 with key pair", gqljwt.Config{SigningKey: gqljwt.Key{Private: rsaKey}}, "HS256 takes a Secret, not a key pair"},
		{"RS256 with secret", gqljwt.Config{Algorithm: gqljwt.RS256, Secret: secret}, "RS256 takes a key pair, not a Secret"},
		{"RS256 without private key", gqljwt.Config{Algorithm: gqljwt.RS256, SigningKey: gqljwt.Key{Public: &rsaKey.PublicKey}}, "RS256 needs a private key to sign"},
		{"RS256 1024 bits", gqljwt.Config{Algorithm: gqljwt.RS256, SigningKey: gqljwt.Key{Private: weakRSA}}, "RSA key is 1024 bits, at least 2048 are required"},
		{"RS256 with EC key", gqljwt.Config{Algorithm: gqljwt.RS256, SigningKey: gqljwt.Key{Private: ecKey}}, "RS256 needs an RSA key"},
		{"ES256 with P-384", gqljwt.Config{Algorithm: gqljwt.ES256, SigningKey: gqljwt.Key{Private: p384}}, "ES256 needs a P-256 ECDSA key"},
		{"EdDSA with RSA", gqljwt.Config{Algorithm: gqljwt.EdDSA, SigningKey: gqljwt.Key{Private: rsaKey}}, "EdDSA needs an Ed25519 key"},
		{"mismatched public", gqljwt.Config{Algorithm: gqljwt.EdDSA, SigningKey: gqljwt.Key{Private: edKey, Public: ecKey.Public()}}, "Public does not match Private"},
		{"duplicate kid", gqljwt.Config{SigningKey: gqljwt.Key{ID: "a", Secret: secret}, VerificationKeys: []gqljwt.Key{{ID: "a", Secret: secret}}}, `two keys share kid "a"`},
		{"negative AccessTTL", gqljwt.Config{Secret: secret, AccessTTL: -time.Second}, "AccessTTL must not be negative"},
		{"access longer than refresh", gqljwt.Config{Secret: secret, AccessTTL: 2 * time.Hour, RefreshTTL: time.Hour}, "AccessTTL (2h0m0s) is longer than RefreshTTL (1h0m0s)"},
		{"negative leeway", gqljwt.Config{Secret: secret, Leeway: -time.Second}, "Leeway must not be negative"},
		{"huge leeway", gqljwt.Config{Secret: secret, Leeway: time.Hour}, "Leeway 1h0m0s is over the 5m0s maximum"},
		{"fractional leeway", gqljwt.Config{Secret: secret, Leeway: 1500 * time.Millisecond}, "Leeway 1.5s is not a whole number of seconds"},
		{"reserved claim name", gqljwt.Config{Secret: secret, RolesClaim: "sub"}, `claim name "sub" is reserved`},
		{"negative MaxTokenSize", gqljwt.Config{Secret: secret, MaxTokenSize: -1}, "MaxTokenSize must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := gqljwt.New(tt.cfg)
			if err == nil {
				t.Fatalf("accepted: %v", s)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	s := mustService(t, gqljwt.Config{})
	cfg := s.Settings()
	if cfg.Algorithm != gqljwt.HS256 || cfg.AccessTTL != 15*time.Minute || cfg.RefreshTTL != 7*24*time.Hour ||
		cfg.Leeway != 30*time.Second || cfg.MaxTokenSize != 8<<10 || cfg.MaxLoginFailures != 5 || cfg.LoginWindow != 15*time.Minute {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestClaimsHook(t *testing.T) {
	s := mustService(t, gqljwt.Config{Claims: func(_ context.Context, u *gqljwt.User) (map[string]any, error) {
		return map[string]any{"tenant": "acme", "email": u.Email}, nil
	}})
	tok, err := s.IssueAccessToken(ctx, &gqljwt.User{ID: "1", Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Verify(ctx, tok.Value)
	if err != nil {
		t.Fatal(err)
	}
	claims := id.Claims()
	if claims["tenant"] != "acme" || claims["email"] != "a@example.com" || claims["sub"] != "1" {
		t.Errorf("claims %v", claims)
	}
	claims["tenant"] = "changed"
	if id.Claims()["tenant"] != "acme" {
		t.Error("Claims() returned shared state")
	}

	for _, reserved := range []string{"sub", "exp", "typ", "jti", "sid", "ver"} {
		bad := mustService(t, gqljwt.Config{Claims: func(context.Context, *gqljwt.User) (map[string]any, error) {
			return map[string]any{reserved: "x"}, nil
		}})
		if _, err := bad.IssueAccessToken(ctx, alice); codeOf(err) != gqljwt.CodeInternal {
			t.Errorf("hook setting %q: %v", reserved, err)
		}
	}
}

func TestScopesFromStringAndArray(t *testing.T) {
	c := newClock()
	s := mustService(t, gqljwt.Config{Now: c.Now})
	claims := with(validClaims(c.Now()), "scope", "read:posts write:posts", "scp", []string{"write:posts", "admin"}, "roles", []string{"EDITOR"})
	id, err := s.Verify(ctx, forge(t, map[string]any{"alg": "HS256"}, claims, testSecret))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(id.Scopes, " "); got != "read:posts write:posts admin" {
		t.Errorf("scopes %q", got)
	}
	if !id.HasScope("admin") || !id.HasRole("EDITOR") || id.HasRole("ADMIN") {
		t.Errorf("HasScope/HasRole on %+v", id)
	}
	custom := mustService(t, gqljwt.Config{Now: c.Now, RolesClaim: "groups", ScopeClaim: "perms"})
	claims = with(validClaims(c.Now()), "groups", []string{"ADMIN"}, "perms", "a b")
	id, err = custom.Verify(ctx, forge(t, map[string]any{"alg": "HS256"}, claims, testSecret))
	if err != nil {
		t.Fatal(err)
	}
	if !id.HasRole("ADMIN") || !id.HasScope("b") {
		t.Errorf("custom claim names: %+v", id)
	}
}

func TestJWKSHandler(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	old, _ := rsa.GenerateKey(rand.Reader, 2048)
	s := mustService(t, gqljwt.Config{Algorithm: gqljwt.RS256, SigningKey: gqljwt.Key{ID: "new", Private: key},
		VerificationKeys: []gqljwt.Key{{ID: "old", Public: &old.PublicKey}}})
	srv := httptest.NewServer(s.JWKSHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/jwk-set+json" || len(set.Keys) != 2 {
		t.Fatalf("status %d, type %q, keys %v", resp.StatusCode, resp.Header.Get("Content-Type"), set.Keys)
	}
	kids := map[string]bool{}
	for _, k := range set.Keys {
		kids[k["kid"].(string)] = true
		if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || k["n"] == nil {
			t.Errorf("key %v", k)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, leaked := k[private]; leaked {
				t.Errorf("JWKS leaks private parameter %q", private)
			}
		}
	}
	if !kids["new"] || !kids["old"] {
		t.Errorf("kids %v", kids)
	}

	hs := httptest.NewRecorder()
	mustService(t, gqljwt.Config{}).JWKSHandler().ServeHTTP(hs, httptest.NewRequest("GET", "/", nil))
	if hs.Code != http.StatusNotFound || strings.Contains(hs.Body.String(), string(testSecret)) {
		t.Errorf("HS256 JWKS: %d %q", hs.Code, hs.Body.String())
	}
}

func TestFromContextWithoutVerifier(t *testing.T) {
	id, err := gqljwt.FromContext(context.Background())
	if id != nil || err != gqljwt.ErrUnauthenticated {
		t.Errorf("got %v %v", id, err)
	}
	if _, ok := gqljwt.ResponseFromContext(context.Background()); ok {
		t.Error("response bridge without a verifier")
	}
	if gqljwt.ClientAddr(context.Background()) != "" {
		t.Error("client address without a request")
	}
}
