package main

import (
	"context"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

// audienceOf reads the aud claim of a token without verifying it: the
// test looks at what the server wrote, whatever it would accept.
func audienceOf(t *testing.T, token string) any {
	t.Helper()
	return tokenClaims(t, token)["aud"]
}

// TestTokensStayWithTheirEndpoint: every endpoint writes its own audience
// and refuses every other endpoint's tokens, as bearer and as an argument.
func TestTokensStayWithTheirEndpoint(t *testing.T) {
	s := newServer(t, options{})
	bob, err := s.app.users.UserByUsername(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, ep := range s.app.endpoints {
		sess, err := s.app.services[ep.path].StartSession(context.Background(), bob)
		if err != nil {
			t.Fatal(err)
		}
		tokens[ep.path] = sess.Access.Value
		if got, want := mustJSON(t, audienceOf(t, sess.Access.Value)), mustJSON(t, []string{demoAudience(ep.path)}); got != want {
			t.Errorf("%s: aud %s, want %s", ep.path, got, want)
		}
	}
	for _, from := range s.app.endpoints {
		for _, to := range s.app.endpoints {
			r := s.post(to.path, `{ me { username } }`, nil, "Authorization", "Bearer "+tokens[from.path])
			if from.path == to.path {
				if r.str("data", "me", "username") != "bob" {
					t.Errorf("a %s token on %s: %s", from.path, to.path, r.raw)
				}
				continue
			}
			if r.get("data", "me") != nil || r.str("errors", 0, "extensions", "code") != "UNAUTHENTICATED" ||
				r.str("errors", 0, "extensions", "reason") != "TOKEN_INVALID" || r.header.Get("Authorization") != "" {
				t.Errorf("a %s token on %s: %s %v", from.path, to.path, r.raw, r.header)
			}
			if _, err := s.app.services[to.path].Verify(context.Background(), tokens[from.path]); gqljwt.CodeOf(err) != gqljwt.CodeTokenInvalid {
				t.Errorf("%s verifying a %s token: %v", to.path, from.path, err)
			}
		}
	}
	// Given as an argument: /graphql neither vouches for a /de token nor
	// renews it.
	for _, op := range []struct{ name, query string }{
		{"verifyToken", `mutation V($token: String!) { verifyToken(token: $token) { payload } }`},
		{"refreshToken", `mutation R($token: String!) { refreshToken(token: $token) { token } }`},
	} {
		r := s.post("/graphql", op.query, map[string]any{"token": tokens["/de"]})
		if r.get("data", op.name) != nil || r.str("errors", 0, "extensions", "code") != "TOKEN_INVALID" {
			t.Errorf("%s of a /de token on /graphql: %s", op.name, r.raw)
		}
	}
}

// TestSlidingRefreshRenewsOnlyItsOwnTokens: /toggle's sliding refresh
// renews a /toggle token near expiry, but a /service/Auth token (900 s)
// near expiry is refused there, not turned into a 60-minute /toggle token.
func TestSlidingRefreshRenewsOnlyItsOwnTokens(t *testing.T) {
	clock := newTestClock()
	s := newServer(t, options{now: clock.Now, users: []demoUser{apiUser}})
	r := s.post("/service/Auth", operation(t, seed(t, "001"), "query {\nlogin(", 0), nil)
	caToken := r.str("data", "login", "jwt")
	if caToken == "" {
		t.Fatalf("login on /service/Auth: %s", r.raw)
	}
	r = s.post("/toggle", operation(t, seed(t, "003"), "query($email:String", 0),
		map[string]any{"username": "my_api_login_name", "password": "my_api_password"})
	toggleToken := bearer(t, r)

	// 6 minutes in, the /service/Auth token expires within the sliding
	// window; it is still good where it was issued.
	clock.Advance(6 * time.Minute)
	const me = `{ me { id } }`
	if r := s.post("/service/Auth", me, nil, "Authorization", "Bearer "+caToken); r.get("data", "me", "id") != float64(2) {
		t.Fatalf("the /service/Auth token on /service/Auth: %s", r.raw)
	}
	r = s.post("/toggle", me, nil, "Authorization", "Bearer "+caToken)
	if r.get("data", "me") != nil || r.str("errors", 0, "extensions", "reason") != "TOKEN_INVALID" {
		t.Errorf("the /service/Auth token on /toggle: %s", r.raw)
	}
	if got := r.header.Get("Authorization"); got != "" {
		t.Errorf("/toggle renewed a /service/Auth token: Authorization %q", got)
	}

	// 55 minutes in, the /toggle token is renewed on /toggle, for /toggle.
	clock.Advance(49 * time.Minute)
	r = s.post("/toggle", me, nil, "Authorization", "Bearer "+toggleToken)
	fresh := bearer(t, r)
	if fresh == toggleToken || r.str("data", "me", "id") != "2" {
		t.Fatalf("sliding refresh on /toggle: %s", r.raw)
	}
	id, err := s.app.services["/toggle"].Verify(context.Background(), fresh)
	if err != nil {
		t.Fatal(err)
	}
	if got := id.ExpiresAt.Sub(clock.Now()); got != time.Hour {
		t.Errorf("the renewed token lives %v, want 60 minutes", got)
	}
	if got := mustJSON(t, audienceOf(t, fresh)); got != `["gqljwt-demo/toggle"]` {
		t.Errorf("the renewed token's aud is %s", got)
	}
}
