package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/oidc"
	"github.com/gqljwt/gqljwt/oidc/oidctest"
)

// TestExternalTokensEndToEnd: RS256 and ES256 tokens of the provider and
// our own HS256 token pass one Verifier, over HTTP, through the guards;
// me answers from the claims.
func TestExternalTokensEndToEnd(t *testing.T) {
	p := newProvider(t)
	x := newIssuer(t, p, nil, nil)
	auth := newService(t, nil, nil, x)
	url := serve(t, newRouter(t, auth))
	const q = `{ me { id username issuer roles scopes } drafts orders }`
	for _, alg := range []string{"RS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			c := p.Claims("user-"+alg, audience, time.Now(), time.Hour)
			c["preferred_username"], c["roles"], c["scope"] = "ext-"+alg, []string{"EDITOR"}, "openid read:orders"
			got := post(t, url, sign(t, p, alg, c), q)
			if len(got.Errors) != 0 {
				t.Fatalf("errors: %+v", got.Errors)
			}
			want := map[string]any{
				"me":     map[string]any{"id": "user-" + alg, "username": "ext-" + alg, "issuer": p.Issuer(), "roles": []any{"EDITOR"}, "scopes": []any{"openid", "read:orders"}},
				"drafts": []any{"draft 1"}, "orders": []any{"order 1"},
			}
			if !reflect.DeepEqual(got.Data, want) {
				t.Fatalf("data = %v, want %v", got.Data, want)
			}
		})
	}
	t.Run("ours", func(t *testing.T) {
		tok, err := auth.IssueAccessToken(context.Background(), &gqljwt.User{ID: "7", Username: "ann", Roles: []string{"EDITOR"}})
		if err != nil {
			t.Fatal(err)
		}
		got := post(t, url, tok.Value, `{ me { id issuer } drafts }`)
		want := map[string]any{"me": map[string]any{"id": "7", "issuer": ""}, "drafts": []any{"draft 1"}}
		if len(got.Errors) != 0 || !reflect.DeepEqual(got.Data, want) {
			t.Fatalf("got %+v, want %v", got, want)
		}
	})
	t.Run("guards refuse what the claims do not grant", func(t *testing.T) {
		c := p.Claims("viewer", audience, time.Now(), time.Hour)
		got := post(t, url, sign(t, p, "RS256", c), `{ drafts orders }`)
		if len(got.Errors) != 2 {
			t.Fatalf("errors = %+v, want two", got.Errors)
		}
		for _, e := range got.Errors {
			if e.Extensions["code"] != "FORBIDDEN" || len(e.Path) != 1 || len(e.Locations) != 1 {
				t.Errorf("error %+v, want FORBIDDEN with path and location", e)
			}
		}
	})
}

// TestRefusals: every token below is refused with its code, by Verify and
// over HTTP (UNAUTHENTICATED with the code as reason, AUTH_UNAVAILABLE as
// it is).
func TestRefusals(t *testing.T) {
	a, b := newProvider(t), newProvider(t)
	now := time.Now()
	xa, xb := newIssuer(t, a, nil, nil), newIssuer(t, b, nil, nil)
	auth := newService(t, nil, nil, xa, xb)
	url := serve(t, newRouter(t, auth))
	good := func() map[string]any { return a.Claims("u1", audience, now, time.Hour) }
	with := func(edit func(map[string]any)) map[string]any { c := good(); edit(c); return c }
	signA := func(c map[string]any) string { return sign(t, a, "RS256", c) }
	header := func(h map[string]any) string {
		tok, err := a.SignHeader("RS256", h, good())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	attacker, _ := rsa.GenerateKey(rand.Reader, 2048)
	attackerJWK, _ := jwk.Import(attacker.Public())
	pubDER, _ := x509.MarshalPKIXPublicKey(a.PublicKey("RS256"))
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs256 := func(secret []byte, kid string, c map[string]any) string {
		return rawToken(map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}, c, func(in []byte) []byte {
			m := hmac.New(sha256.New, secret)
			m.Write(in)
			return m.Sum(nil)
		})
	}
	mustSignWith := func(tok string, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	cases := []struct {
		name, token string
		code        gqljwt.Code
	}{
		{"provider's key, another iss", signA(with(func(c map[string]any) { c["iss"] = "https://evil.example.test" })), gqljwt.CodeTokenInvalid},
		{"provider's key, our iss", signA(with(func(c map[string]any) { c["iss"] = ourIssuer })), gqljwt.CodeTokenInvalid},
		{"provider's key, no iss", signA(with(func(c map[string]any) { delete(c, "iss") })), gqljwt.CodeTokenInvalid},
		{"iss with a trailing slash", signA(with(func(c map[string]any) { c["iss"] = a.Issuer() + "/" })), gqljwt.CodeTokenInvalid},
		{"wrong aud", signA(with(func(c map[string]any) { c["aud"] = "api://other" })), gqljwt.CodeTokenInvalid},
		{"missing aud", signA(with(func(c map[string]any) { delete(c, "aud") })), gqljwt.CodeTokenInvalid},
		{"aud array without ours", signA(with(func(c map[string]any) { c["aud"] = []string{"x", "y"} })), gqljwt.CodeTokenInvalid},
		{"missing exp", signA(with(func(c map[string]any) { delete(c, "exp") })), gqljwt.CodeTokenInvalid},
		{"exp as a string", signA(with(func(c map[string]any) { c["exp"] = fmt.Sprint(now.Add(time.Hour).Unix()) })), gqljwt.CodeTokenInvalid},
		{"missing sub", signA(with(func(c map[string]any) { delete(c, "sub") })), gqljwt.CodeTokenInvalid},
		{"expired", signA(with(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() })), gqljwt.CodeTokenExpired},
		{"not yet valid", signA(with(func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() })), gqljwt.CodeTokenInvalid},
		{"issued in the future", signA(with(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() })), gqljwt.CodeTokenInvalid},
		{"roles not strings", signA(with(func(c map[string]any) { c["roles"] = []any{1, 2} })), gqljwt.CodeTokenInvalid},
		{"HS256 with the provider's public key (PEM) as secret", hs256(pubPEM, a.KID("RS256"), good()), gqljwt.CodeTokenInvalid},
		{"HS256 with the provider's public key (DER) as secret", hs256(pubDER, a.KID("RS256"), good()), gqljwt.CodeTokenInvalid},
		{"HS256 with our own secret, provider's iss", hs256(ourSecret, "", good()), gqljwt.CodeTokenInvalid},
		{"alg none", rawToken(map[string]any{"alg": "none", "kid": a.KID("RS256")}, good(), nil), gqljwt.CodeTokenInvalid},
		{"alg none, empty signature segment", rawToken(map[string]any{"alg": "none"}, good(), func([]byte) []byte { return nil }), gqljwt.CodeTokenInvalid},
		{"PS256, not pinned", mustSignWith(oidctest.SignWith(a.PrivateKey("RS256"), "PS256", a.KID("RS256"), nil, good())), gqljwt.CodeTokenInvalid},
		{"jku pointing elsewhere", header(map[string]any{"jku": "https://evil.example.test/jwks"}), gqljwt.CodeTokenInvalid},
		{"x5u pointing elsewhere", header(map[string]any{"x5u": "https://evil.example.test/cert"}), gqljwt.CodeTokenInvalid},
		{"jwk embedding the attacker's key", mustSignWith(oidctest.SignWith(attacker, "RS256", a.KID("RS256"), map[string]any{"jwk": attackerJWK}, good())), gqljwt.CodeTokenInvalid},
		{"attacker's key under the provider's kid", mustSignWith(oidctest.SignWith(attacker, "RS256", a.KID("RS256"), nil, good())), gqljwt.CodeTokenInvalid},
		{"no kid", header(map[string]any{"kid": ""}), gqljwt.CodeTokenInvalid},
		{"issuer A's token signed with B's key, B's kid", mustSignWith(oidctest.SignWith(b.PrivateKey("RS256"), "RS256", b.KID("RS256"), nil, good())), gqljwt.CodeTokenInvalid},
		{"issuer A's token signed with B's key, A's kid", mustSignWith(oidctest.SignWith(b.PrivateKey("RS256"), "RS256", a.KID("RS256"), nil, good())), gqljwt.CodeTokenInvalid},
		{"issuer A's ES256 kid on an RS256 token", header(map[string]any{"kid": a.KID("ES256")}), gqljwt.CodeTokenInvalid},
		{"A's claims, B's key and iss B's audience mismatch", mustSignWith(b.Sign("RS256", with(func(c map[string]any) { c["iss"] = b.Issuer(); c["aud"] = "api://b" }))), gqljwt.CodeTokenInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.Verify(context.Background(), tc.token)
			if got := gqljwt.CodeOf(err); got != tc.code {
				t.Fatalf("Verify: code %q (%v), want %q", got, err, tc.code)
			}
			res := post(t, url, tc.token, `{ me { id } }`)
			if len(res.Errors) != 1 {
				t.Fatalf("errors = %+v, want one", res.Errors)
			}
			e := res.Errors[0]
			if e.Extensions["code"] != "UNAUTHENTICATED" || e.Extensions["reason"] != string(tc.code) || e.Message != "Unauthorized" ||
				len(e.Path) != 1 || e.Path[0] != "me" || len(e.Locations) != 1 {
				t.Fatalf("error = %+v, want UNAUTHENTICATED, reason %s, at me", e, tc.code)
			}
		})
	}
	// The good token passes, so the refusals above are the changes'.
	if _, err := auth.Verify(context.Background(), signA(good())); err != nil {
		t.Fatalf("the unaltered token: %v", err)
	}
	// B's own token passes too: each issuer with its own keys.
	if _, err := auth.Verify(context.Background(), sign(t, b, "ES256", b.Claims("u2", audience, now, time.Hour))); err != nil {
		t.Fatalf("issuer B's token: %v", err)
	}
}

// rawToken builds a compact token by hand; sig signs the signing input
// (nil: no signature segment at all, as alg none writes it).
func rawToken(header, claims map[string]any, sig func([]byte) []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	if sig == nil {
		return in + "."
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig([]byte(in)))
}

// TestOurTokensNeverMeetTheirKeys: a token we issue verifies with our key
// only, even when it names a configured issuer; a token signed with a key
// of ours but naming the provider goes to the provider and is refused.
func TestOurTokensNeverMeetTheirKeys(t *testing.T) {
	p := newProvider(t)
	x := newIssuer(t, p, nil, nil)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	// Our Service signs ES256 with kid "k1"; the provider's ES256 kid
	// differs, so only routing by iss decides which keys apply.
	auth := newService(t, nil, func(c *gqljwt.Config) {
		c.Secret, c.Algorithm, c.SigningKey = nil, gqljwt.ES256, gqljwt.Key{ID: p.KID("ES256"), Private: ecKey}
	}, x)
	ours, err := auth.IssueAccessToken(context.Background(), &gqljwt.User{ID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Verify(context.Background(), ours.Value); err != nil {
		t.Fatalf("our token: %v", err)
	}
	// Our key and kid, the provider's iss and audience.
	forged, err := oidctest.SignWith(ecKey, "ES256", p.KID("ES256"), nil, p.Claims("1", audience, time.Now(), time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Verify(context.Background(), forged); gqljwt.CodeOf(err) != gqljwt.CodeTokenInvalid {
		t.Fatalf("our key under the provider's iss: %v, want TOKEN_INVALID", err)
	}
}

// TestConfigRefusals: New refuses what would weaken verification.
func TestConfigRefusals(t *testing.T) {
	p := newProvider(t)
	cases := []struct {
		name string
		cfg  oidc.Config
	}{
		{"no issuer", oidc.Config{Audience: []string{audience}}},
		{"no audience", oidc.Config{Issuer: p.Issuer()}},
		{"empty audience", oidc.Config{Issuer: p.Issuer(), Audience: []string{""}}},
		{"HS256", oidc.Config{Issuer: p.Issuer(), Audience: []string{audience}, Algorithms: []string{"HS256"}}},
		{"none", oidc.Config{Issuer: p.Issuer(), Audience: []string{audience}, Algorithms: []string{"none"}}},
		{"RS256 and HS512", oidc.Config{Issuer: p.Issuer(), Audience: []string{audience}, Algorithms: []string{"RS256", "HS512"}}},
		{"http off loopback", oidc.Config{Issuer: "http://idp.example.test", Audience: []string{audience}}},
		{"JWKS over http off loopback", oidc.Config{Issuer: p.Issuer(), JWKSURL: "http://idp.example.test/jwks", Audience: []string{audience}}},
		{"discovery names another issuer", oidc.Config{Issuer: p.Issuer() + "/", Audience: []string{audience}}},
		{"leeway over 5 min", oidc.Config{Issuer: p.Issuer(), Audience: []string{audience}, Leeway: 6 * time.Minute}},
		{"MaxStale under twice the refresh", oidc.Config{Issuer: p.Issuer(), Audience: []string{audience}, RefreshInterval: time.Hour, MaxStale: time.Hour}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x, err := oidc.New(context.Background(), tc.cfg)
			if err == nil {
				_ = x.Close()
				t.Fatal("New accepted it")
			}
		})
	}
	t.Run("provider down at start-up", func(t *testing.T) {
		p.SetDown(true)
		defer p.SetDown(false)
		if _, err := oidc.New(context.Background(), oidc.Config{Issuer: p.Issuer(), Audience: []string{audience}}); err == nil {
			t.Fatal("New accepted it")
		}
	})
	t.Run("given JWKS URL, no discovery", func(t *testing.T) {
		before := p.DiscoveryRequests()
		x := newIssuer(t, p, nil, func(c *oidc.Config) { c.JWKSURL = p.JWKSURL() })
		if x.JWKSURL() != p.JWKSURL() || p.DiscoveryRequests() != before {
			t.Fatalf("JWKSURL %s, %d discovery requests", x.JWKSURL(), p.DiscoveryRequests()-before)
		}
	})
	x := newIssuer(t, p, nil, nil)
	for name, cfg := range map[string]gqljwt.Config{
		"two issuers with one iss": {Secret: ourSecret, Issuers: []gqljwt.ExternalIssuer{x, x}},
		"our own iss":              {Secret: ourSecret, Issuer: p.Issuer(), Issuers: []gqljwt.ExternalIssuer{x}},
		"a nil issuer":             {Secret: ourSecret, Issuers: []gqljwt.ExternalIssuer{nil}},
	} {
		if _, err := gqljwt.New(cfg); err == nil {
			t.Errorf("gqljwt.New accepted %s", name)
		}
	}
}

// TestCacheClockSteppedBack: an external token the cache holds gets, on a
// clock stepped back past the leeway (its iat then in the future), the
// answer an uncached Service gives, and is served again once the clock
// is past the time it was cached.
func TestCacheClockSteppedBack(t *testing.T) {
	p := newProvider(t)
	clk := newClock()
	x := newIssuer(t, p, clk.Now, nil)
	cached := newService(t, clk.Now, nil, x)
	uncached := newService(t, clk.Now, func(c *gqljwt.Config) { c.CacheEntries = -1 }, x)
	tok := sign(t, p, "RS256", p.Claims("user-1", audience, clk.Now(), time.Hour))
	ctx := context.Background()
	if _, err := cached.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		step  time.Duration
		valid bool
		miss  bool
	}{
		{"ten minutes back", -10 * time.Minute, false, true},
		{"back where it was cached", 10 * time.Minute, true, false},
	} {
		clk.Advance(c.step)
		misses := cached.CacheStats().Misses
		_, errCached := cached.Verify(ctx, tok)
		_, errUncached := uncached.Verify(ctx, tok)
		if (errCached == nil) != c.valid || (errUncached == nil) != c.valid || gqljwt.CodeOf(errCached) != gqljwt.CodeOf(errUncached) {
			t.Errorf("%s: cached %v, uncached %v; want both valid: %v", c.name, errCached, errUncached, c.valid)
		}
		if missed := cached.CacheStats().Misses > misses; missed != c.miss {
			t.Errorf("%s: verified in full %v, want %v", c.name, missed, c.miss)
		}
	}
}

// TestLineBreakRefused: the issuer itself refuses a token with a line
// break, which base64's decoder would skip: a second spelling of a token
// it accepts. Its base64url reading (canonb64) refuses it before any key;
// the signature, whose input holds the break, would refuse it too.
func TestLineBreakRefused(t *testing.T) {
	p := newProvider(t)
	x := newIssuer(t, p, nil, nil)
	tok := sign(t, p, "RS256", p.Claims("u1", audience, time.Now(), time.Hour))
	if _, err := x.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	dot := strings.IndexByte(tok, '.')
	for _, brk := range []string{"\n", "\r\n"} {
		broken := tok[:dot+5] + brk + tok[dot+5:]
		if _, err := x.Verify(context.Background(), broken); gqljwt.CodeOf(err) != gqljwt.CodeTokenInvalid {
			t.Errorf("a token with %q in its payload: %v, want %s", brk, err, gqljwt.CodeTokenInvalid)
		}
	}
}
