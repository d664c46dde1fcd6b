package main

import (
	"testing"
	"time"
)

// TestGrapheneWordsLikeDjangoGraphQLJWT: on /graphene and /graphene-relay
// refusals carry django-graphql-jwt's own messages (graphql_jwt/
// exceptions.py, utils.py get_payload, refresh_token/mixins.py and
// shortcuts.py, decorators.py login_required), which its clients match
// on, with gqljwt's codes and reasons beside them.
func TestGrapheneWordsLikeDjangoGraphQLJWT(t *testing.T) {
	clock := newTestClock()
	s := newServer(t, options{now: clock.Now})
	const path = "/graphene"
	login := s.post(path, `mutation { tokenAuth(username: "bob", password: "bob-password") { token refreshToken } }`, nil)
	token, refresh := login.str("data", "tokenAuth", "token"), login.str("data", "tokenAuth", "refreshToken")
	if token == "" || refresh == "" {
		t.Fatalf("tokenAuth: %s", login.raw)
	}
	const (
		verify  = `mutation V($token: String) { verifyToken(token: $token) { payload } }`
		renew   = `mutation R($token: String, $refreshToken: String) { refreshToken(token: $token, refreshToken: $refreshToken) { token refreshToken } }`
		revoke  = `mutation X($refreshToken: String!) { revokeToken(refreshToken: $refreshToken) { revoked } }`
		drafts  = `{ drafts { title } }`
		unknown = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	)
	type want struct{ message, code, reason string }
	check := func(name string, r *reply, w want) {
		t.Helper()
		if got := (want{r.str("errors", 0, "message"), r.str("errors", 0, "extensions", "code"), r.str("errors", 0, "extensions", "reason")}); got != w {
			t.Errorf("%s: got %+v, want %+v (%s)", name, got, w, r.raw)
		}
	}
	check("wrong password", s.post(path, `mutation { tokenAuth(username: "bob", password: "wrong") { token } }`, nil),
		want{"Please enter valid credentials", "INVALID_CREDENTIALS", ""})
	check("verifyToken, garbled", s.post(path, verify, map[string]any{"token": token[:len(token)-2] + "xx"}),
		want{"Error decoding signature", "TOKEN_INVALID", ""})
	check("refreshToken, unknown", s.post(path, renew, map[string]any{"refreshToken": unknown}),
		want{"Invalid refresh token", "TOKEN_INVALID", ""})
	check("refreshToken, neither argument", s.post(path, renew, nil),
		want{"Token is required", "BAD_USER_INPUT", ""})
	check("protected field, anonymous", s.post(path, drafts, nil),
		want{"You do not have permission to perform this action", "UNAUTHENTICATED", ""})
	check("protected field, garbled token", s.post(path, drafts, nil, "Authorization", "JWT "+token[:len(token)-2]+"xx"),
		want{"Error decoding signature", "UNAUTHENTICATED", "TOKEN_INVALID"})

	// A revoked refresh token is not found, as django-graphql-jwt's
	// handler only looks among the unrevoked ones.
	other := s.post(path, `mutation { tokenAuth(username: "alice", password: "alice-password") { refreshToken } }`, nil).str("data", "tokenAuth", "refreshToken")
	if r := s.post(path, revoke, map[string]any{"refreshToken": other}); r.get("data", "revokeToken", "revoked") == nil {
		t.Fatalf("revokeToken: %s", r.raw)
	}
	check("refreshToken, revoked", s.post(path, renew, map[string]any{"refreshToken": other}),
		want{"Invalid refresh token", "TOKEN_REVOKED", ""})

	// An hour on, the access token has expired: the message the clients'
	// error links refresh on.
	clock.Advance(time.Hour)
	check("verifyToken, expired", s.post(path, verify, map[string]any{"token": token}),
		want{"Signature has expired", "TOKEN_EXPIRED", ""})
	check("protected field, expired token", s.post(path, drafts, nil, "Authorization", "JWT "+token),
		want{"Signature has expired", "UNAUTHENTICATED", "TOKEN_EXPIRED"})
	check("refreshToken(token:), expired", s.post(path, renew, map[string]any{"token": token}),
		want{"Signature has expired", "TOKEN_EXPIRED", ""})
	// The refresh token still works: this is what the error link does.
	r := s.post(path, renew, map[string]any{"refreshToken": refresh})
	if r.str("data", "refreshToken", "token") == "" {
		t.Fatalf("refresh after expiry: %s", r.raw)
	}
	refresh = r.str("data", "refreshToken", "refreshToken")
	// A week on, the refresh token has expired too (and is still kept, so
	// the store can say so).
	clock.Advance(7*24*time.Hour + time.Minute)
	check("refreshToken, expired refresh token", s.post(path, renew, map[string]any{"refreshToken": refresh}),
		want{"Refresh token is expired", "TOKEN_EXPIRED", ""})

	// Other endpoints keep gqljwt's words.
	if r := s.post("/graphql", drafts, nil); r.str("errors", 0, "message") != "Unauthorized" {
		t.Errorf("/graphql keeps its own message: %s", r.raw)
	}
}
