package main

import (
	"strings"
	"testing"
)

// TestViewerAuth: WPGraphQL Headless Login's clients read their tokens
// from viewer { auth { … } } (src/Type/WPObject/AuthenticationData.php):
// a new session for the caller, its tokens working; nothing for an
// anonymous caller.
func TestViewerAuth(t *testing.T) {
	s := newServer(t, options{})
	const path = "/wpgraphql"
	const q = `{ viewer { id auth { authToken authTokenExpiration refreshToken refreshTokenExpiration userSecret isUserSecretRevoked linkedIdentities { id provider } } } }`
	login := s.post(path, `mutation { login(input: {provider: PASSWORD, credentials: {username: "bob", password: "bob-password"}}) { authToken } }`, nil)
	token := login.str("data", "login", "authToken")
	if token == "" {
		t.Fatalf("login: %s", login.raw)
	}
	r := s.post(path, q, nil, "Authorization", "Bearer "+token)
	auth := func(k string) any { return r.get("data", "viewer", "auth", k) }
	if r.get("errors") != nil || r.str("data", "viewer", "id") != "2" {
		t.Fatalf("viewer: %s", r.raw)
	}
	newToken, _ := auth("authToken").(string)
	refresh, _ := auth("refreshToken").(string)
	secret, _ := auth("userSecret").(string)
	if newToken == "" || newToken == token || refresh == "" || auth("authTokenExpiration") == nil || auth("refreshTokenExpiration") == nil ||
		!strings.HasPrefix(secret, "graphql_jwt_") || auth("isUserSecretRevoked") != false || auth("linkedIdentities") != nil {
		t.Fatalf("viewer.auth: %s", r.raw)
	}
	// The tokens handed out work: the access token on a guarded field,
	// the refresh token with refreshToken.
	if me := s.post(path, `{ me { username } }`, nil, "Authorization", "Bearer "+newToken); me.str("data", "me", "username") != "bob" {
		t.Errorf("viewer.auth.authToken: %s", me.raw)
	}
	ref := s.post(path, `mutation { refreshToken(input: {refreshToken: "`+refresh+`"}) { authToken success } }`, nil)
	if ref.get("data", "refreshToken", "success") != true || ref.str("data", "refreshToken", "authToken") == "" {
		t.Errorf("viewer.auth.refreshToken: %s", ref.raw)
	}
	// Anonymous: viewer is null, and no error.
	if r := s.post(path, q, nil); r.raw != `{"data":{"viewer":null}}` {
		t.Errorf("anonymous viewer: %s", r.raw)
	}
}
