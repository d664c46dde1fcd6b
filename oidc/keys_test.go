package oidc_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/oidc"
)

// TestUnknownKidRefetchesOnceThenRateLimited: a token with an unknown kid
// refetches the key set once and is refused; 100 more, concurrent, with
// random kids cause no fetch within the interval, and one after it.
func TestUnknownKidRefetchesOnceThenRateLimited(t *testing.T) {
	p, clk, auth := fixture(t, nil)
	randomKid := func(i int) string {
		tok, err := p.SignHeader("RS256", map[string]any{"kid": fmt.Sprintf("random-%d", i)}, p.Claims("u", audience, clk.Now(), time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	start := p.JWKSRequests() // the first fetch, at New
	if start != 1 {
		t.Fatalf("%d fetches at start-up, want 1", start)
	}
	if _, err := auth.Verify(context.Background(), randomKid(0)); gqljwt.CodeOf(err) != gqljwt.CodeTokenInvalid {
		t.Fatalf("unknown kid: %v, want TOKEN_INVALID", err)
	}
	if got := p.JWKSRequests() - start; got != 1 {
		t.Fatalf("the unknown kid made %d fetches, want 1", got)
	}
	var wg sync.WaitGroup
	codes := make([]gqljwt.Code, 100)
	for i := range codes {
		wg.Go(func() {
			_, err := auth.Verify(context.Background(), randomKid(i+1))
			codes[i] = gqljwt.CodeOf(err)
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != gqljwt.CodeTokenInvalid {
			t.Fatalf("flood token %d: %q, want TOKEN_INVALID", i, c)
		}
	}
	if got := p.JWKSRequests() - start; got != 1 {
		t.Fatalf("after the flood: %d fetches, want still 1", got)
	}
	// A known kid still verifies meanwhile, without a fetch.
	if _, err := auth.Verify(context.Background(), sign(t, p, "ES256", p.Claims("u", audience, clk.Now(), time.Hour))); err != nil {
		t.Fatalf("known kid during the flood: %v", err)
	}
	clk.Advance(oidc.DefaultRefetchInterval)
	for i := range 100 {
		_, _ = auth.Verify(context.Background(), randomKid(1000+i))
	}
	if got := p.JWKSRequests() - start; got != 2 {
		t.Fatalf("100 unknown kids one interval later: %d fetches in all, want 2", got)
	}
}

// TestRotationPickedUp: the provider rotates its key; the first token with
// the new kid refetches the set and passes, without a restart; a cached
// token of the dropped key is refused once the set no longer holds it.
func TestRotationPickedUp(t *testing.T) {
	p, clk, auth := fixture(t, nil)
	url := serve(t, newRouter(t, auth))
	old := sign(t, p, "RS256", p.Claims("u1", audience, clk.Now(), time.Hour))
	if res := post(t, url, old, `{ me { id } }`); len(res.Errors) != 0 {
		t.Fatalf("before the rotation: %+v", res.Errors)
	}
	if _, err := p.Rotate("RS256", false); err != nil {
		t.Fatal(err)
	}
	fetches := p.JWKSRequests()
	rotated := sign(t, p, "RS256", p.Claims("u2", audience, clk.Now(), time.Hour))
	res := post(t, url, rotated, `{ me { id } }`)
	if len(res.Errors) != 0 || res.Data["me"].(map[string]any)["id"] != "u2" {
		t.Fatalf("after the rotation: %+v", res)
	}
	if got := p.JWKSRequests() - fetches; got != 1 {
		t.Fatalf("the rotation took %d fetches, want 1", got)
	}
	// old is in the verified-token cache; its key is gone from the set.
	res = post(t, url, old, `{ me { id } }`)
	if len(res.Errors) != 1 || res.Errors[0].Extensions["reason"] != "TOKEN_INVALID" {
		t.Fatalf("token of the dropped key: %+v, want refused", res)
	}
}

// TestBackgroundRefreshPicksUpRotation: with a short RefreshInterval the
// jwk.Cache fetches the set on its own; a kid published meanwhile is known
// without the unknown-kid path (whose one refetch is spent first and whose
// interval is long). Polls the provider's count, bounded.
func TestBackgroundRefreshPicksUpRotation(t *testing.T) {
	p := newProvider(t)
	x := newIssuer(t, p, nil, func(c *oidc.Config) { c.RefreshInterval, c.RefetchInterval = time.Second, time.Hour })
	auth := newService(t, nil, nil, x)
	spend, _ := p.SignHeader("RS256", map[string]any{"kid": "spend-the-refetch"}, p.Claims("u", audience, time.Now(), time.Hour))
	_, _ = auth.Verify(context.Background(), spend)
	if _, err := p.Rotate("RS256", true); err != nil {
		t.Fatal(err)
	}
	seen := p.JWKSRequests()
	deadline := time.Now().Add(10 * time.Second)
	for p.JWKSRequests() == seen {
		if time.Now().After(deadline) {
			t.Fatal("no background refresh within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The fetch that was counted may still be on its way into the cache.
	var err error
	for time.Now().Before(deadline) {
		if _, err = auth.Verify(context.Background(), sign(t, p, "RS256", p.Claims("u", audience, time.Now(), time.Hour))); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the new key after a background refresh: %v", err)
}

// TestProviderDown: while the provider is down the last good keys keep
// verifying, cached tokens and new ones, for MaxStale; past it every token
// of the issuer is AUTH_UNAVAILABLE, over HTTP too; once it is back the
// next allowed refetch restores it.
func TestProviderDown(t *testing.T) {
	p, clk, auth := fixture(t, func(c *oidc.Config) { c.MaxStale = 2 * time.Hour })
	url := serve(t, newRouter(t, auth))
	cached := sign(t, p, "RS256", p.Claims("u1", audience, clk.Now(), 3*time.Hour))
	if _, err := auth.Verify(context.Background(), cached); err != nil {
		t.Fatal(err)
	}
	p.SetDown(true)
	clk.Advance(2*time.Hour - time.Minute)
	fresh := sign(t, p, "ES256", p.Claims("u2", audience, clk.Now(), time.Hour))
	for name, tok := range map[string]string{"cached": cached, "new": fresh} {
		if _, err := auth.Verify(context.Background(), tok); err != nil {
			t.Fatalf("%s token within MaxStale: %v", name, err)
		}
	}
	clk.Advance(2 * time.Minute)
	for name, tok := range map[string]string{"cached": cached, "new": fresh} {
		if _, err := auth.Verify(context.Background(), tok); gqljwt.CodeOf(err) != gqljwt.CodeUnavailable {
			t.Fatalf("%s token past MaxStale: %v, want AUTH_UNAVAILABLE", name, err)
		}
		res := post(t, url, tok, `{ me { id } }`)
		if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "AUTH_UNAVAILABLE" || res.Errors[0].Path[0] != "me" {
			t.Fatalf("%s token over HTTP: %+v", name, res)
		}
	}
	// Our own tokens are not the provider's business.
	ours, _ := auth.IssueAccessToken(context.Background(), &gqljwt.User{ID: "9"})
	if _, err := auth.Verify(context.Background(), ours.Value); err != nil {
		t.Fatalf("our token while the provider is stale: %v", err)
	}
	p.SetDown(false)
	clk.Advance(oidc.DefaultRefetchInterval)
	if _, err := auth.Verify(context.Background(), fresh); err != nil {
		t.Fatalf("after the provider is back: %v", err)
	}
}

// TestCacheEntryBoundedByExp: a cached external token is refused once its
// own exp (plus leeway) has passed.
func TestCacheEntryBoundedByExp(t *testing.T) {
	p, clk, auth := fixture(t, nil)
	tok := sign(t, p, "RS256", p.Claims("u1", audience, clk.Now(), 2*time.Minute))
	for range 2 {
		if _, err := auth.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2*time.Minute + gqljwt.DefaultLeeway)
	if _, err := auth.Verify(context.Background(), tok); gqljwt.CodeOf(err) != gqljwt.CodeTokenExpired {
		t.Fatalf("past exp: %v, want TOKEN_EXPIRED", err)
	}
}

// TestRevocationAndLocalAccounts: the jti denylist applies to external
// tokens, per issuer; token versions and sessions of ours do not: an
// external sub equal to a local user ID neither is refused by that user's
// version nor acts as that user.
func TestRevocationAndLocalAccounts(t *testing.T) {
	a, b := newProvider(t), newProvider(t)
	users := newUsers(t)
	xa, xb := newIssuer(t, a, nil, nil), newIssuer(t, b, nil, nil)
	auth := newService(t, nil, func(c *gqljwt.Config) { c.Users = users }, xa, xb)
	ctx := context.Background()
	now := time.Now()
	ca, cb := a.Claims("1", audience, now, time.Hour), b.Claims("1", audience, now, time.Hour)
	cb["jti"] = ca["jti"] // the same jti at two issuers
	ta, tb := sign(t, a, "RS256", ca), sign(t, b, "RS256", cb)
	id, err := auth.Verify(ctx, ta)
	if err != nil {
		t.Fatalf("external sub equal to a local user with a version store: %v", err)
	}
	if id.IsLocalUser("1") || id.ExternalIssuer != a.Issuer() || id.TokenID == ca["jti"] {
		t.Fatalf("identity %+v taken for local user 1, or its TokenID is the bare jti", id)
	}
	if _, err := auth.RenewToken(ctx, ta); gqljwt.CodeOf(err) != gqljwt.CodeBadUserInput {
		t.Fatalf("RenewToken of an external token: %v, want BAD_USER_INPUT", err)
	}
	if err := auth.LogoutAll(ctx, id); gqljwt.CodeOf(err) != gqljwt.CodeBadUserInput {
		t.Fatalf("LogoutAll of an external caller: %v, want BAD_USER_INPUT", err)
	}
	// Bumping local user 1 leaves the external "1" alone.
	if _, err := auth.BumpTokenVersion(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Verify(ctx, ta); err != nil {
		t.Fatalf("after local user 1's version moved: %v", err)
	}
	if err := auth.Logout(ctx, id); err != nil {
		t.Fatalf("Logout of an external caller: %v", err)
	}
	if _, err := auth.Verify(ctx, ta); gqljwt.CodeOf(err) != gqljwt.CodeTokenRevoked {
		t.Fatalf("after its logout: %v, want TOKEN_REVOKED", err)
	}
	if _, err := auth.Verify(ctx, tb); err != nil {
		t.Fatalf("B's token with the same jti: %v", err)
	}
	// A token without jti is revoked by itself.
	cn := a.Claims("2", audience, now, time.Hour)
	delete(cn, "jti")
	tn := sign(t, a, "ES256", cn)
	idn, err := auth.Verify(ctx, tn)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.RevokeAccessToken(ctx, idn); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Verify(ctx, tn); gqljwt.CodeOf(err) != gqljwt.CodeTokenRevoked {
		t.Fatalf("revoked token without jti: %v, want TOKEN_REVOKED", err)
	}
	other := a.Claims("2", audience, now, time.Hour)
	delete(other, "jti")
	other["n"] = 1
	if _, err := auth.Verify(ctx, sign(t, a, "ES256", other)); err != nil {
		t.Fatalf("another token without jti: %v", err)
	}
}

// TestConcurrentNewKid: after a rotation, 50 concurrent first tokens of
// the new key all pass on one fetch: those arriving during the refetch
// wait for it instead of being refused or fetching again.
func TestConcurrentNewKid(t *testing.T) {
	p, clk, auth := fixture(t, nil)
	if _, err := p.Rotate("ES256", false); err != nil {
		t.Fatal(err)
	}
	before := p.JWKSRequests()
	tokens := make([]string, 50)
	for i := range tokens {
		tokens[i] = sign(t, p, "ES256", p.Claims(fmt.Sprintf("u%d", i), audience, clk.Now(), time.Hour))
	}
	subs := make([]string, len(tokens))
	errs := make([]error, len(tokens))
	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Go(func() {
			id, err := auth.Verify(context.Background(), tok)
			if err == nil {
				subs[i] = id.Subject
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil || subs[i] != fmt.Sprintf("u%d", i) {
			t.Fatalf("token %d: %q, %v", i, subs[i], err)
		}
	}
	if got := p.JWKSRequests() - before; got != 1 {
		t.Fatalf("%d fetches, want 1", got)
	}
}
