package main

import (
	"strings"
	"testing"
)

// Seed 000: django-graphql-jwt's Relay mutations, sent verbatim to
// /graphene-relay.
func TestSeed000GrapheneRelay(t *testing.T) {
	doc := seed(t, "000")
	s := newServer(t, options{})
	const path = "/graphene-relay"
	creds := map[string]any{"username": "alice", "password": "alice-password"}

	// tokenAuth
	r := s.post(path, operation(t, doc, "mutation TokenAuth(", 0), creds)
	token := r.str("data", "tokenAuth", "token")
	if len(r.body) != 1 || strings.Count(token, ".") != 2 {
		t.Fatalf("tokenAuth: %s", r.raw)
	}
	// The customized tokenAuth returning the user.
	r = s.post(path, operation(t, doc, "mutation TokenAuth(", 1), creds)
	if r.str("data", "tokenAuth", "user", "id") != "1" || r.str("data", "tokenAuth", "token") == "" {
		t.Fatalf("customized tokenAuth: %s", r.raw)
	}

	// verifyToken
	r = s.post(path, operation(t, doc, "mutation VerifyToken(", 0), map[string]any{"token": token})
	if r.str("data", "verifyToken", "payload", "username") != "alice" || r.get("data", "verifyToken", "payload", "exp") == nil {
		t.Fatalf("verifyToken: %s", r.raw)
	}
	r = s.post(path, operation(t, doc, "mutation VerifyToken(", 0), map[string]any{"token": token + "x"})
	if r.str("errors", 0, "extensions", "code") != "TOKEN_INVALID" || r.get("data", "verifyToken") != nil {
		t.Fatalf("verifyToken of a forged token: %s", r.raw)
	}

	// Single token refresh.
	r = s.post(path, operation(t, doc, "mutation RefreshToken(", 0), map[string]any{"token": token})
	renewed := r.str("data", "refreshToken", "token")
	if renewed == "" || r.get("data", "refreshToken", "payload", "origIat") == nil {
		t.Fatalf("single token refresh: %s", r.raw)
	}

	// Long running refresh tokens: the refresh token comes with tokenAuth.
	r = s.post(path, `mutation TokenAuth($username: String!, $password: String!) {
  tokenAuth(input: {username: $username, password: $password}) { token refreshToken refreshExpiresIn }
}`, creds)
	refresh := r.str("data", "tokenAuth", "refreshToken")
	if refresh == "" || r.get("data", "tokenAuth", "refreshExpiresIn") == nil {
		t.Fatalf("tokenAuth with refreshToken: %s", r.raw)
	}
	longRunning := operation(t, doc, "mutation RefreshToken(", 1)
	r = s.post(path, longRunning, map[string]any{"refreshToken": refresh})
	rotated := r.str("data", "refreshToken", "refreshToken")
	if r.str("data", "refreshToken", "token") == "" || rotated == "" || rotated == refresh || r.get("data", "refreshToken", "payload") == nil {
		t.Fatalf("long running refresh: %s", r.raw)
	}

	// revokeToken: immediate, and the token cannot be used again.
	r = s.post(path, operation(t, doc, "mutation RevokeToken(", 0), map[string]any{"refreshToken": rotated})
	if _, ok := r.get("data", "revokeToken", "revoked").(float64); !ok {
		t.Fatalf("revokeToken: %s", r.raw)
	}
	r = s.post(path, longRunning, map[string]any{"refreshToken": rotated})
	if r.str("errors", 0, "extensions", "code") != "TOKEN_REVOKED" || r.get("data", "refreshToken") != nil {
		t.Fatalf("refresh after revoke: %s", r.raw)
	}

	// django-graphql-jwt clients send "Authorization: JWT <token>".
	r = s.post(path, `{ me { username } }`, nil, "Authorization", "JWT "+renewed)
	if r.str("data", "me", "username") != "alice" {
		t.Fatalf("JWT prefix: %s", r.raw)
	}
}

// The same operations in django-graphql-jwt's classic (non-Relay) style on
// /graphene: the seed's mutations without input:.
func TestSeed000GrapheneClassic(t *testing.T) {
	s := newServer(t, options{})
	const path = "/graphene"
	r := s.post(path, `mutation TokenAuth($username: String!, $password: String!) {
  tokenAuth(username: $username, password: $password) {
    token
    refreshToken
    user {
      id
    }
  }
}`, map[string]any{"username": "bob", "password": "bob-password"})
	token, refresh := r.str("data", "tokenAuth", "token"), r.str("data", "tokenAuth", "refreshToken")
	if token == "" || refresh == "" || r.str("data", "tokenAuth", "user", "id") != "2" {
		t.Fatalf("tokenAuth: %s", r.raw)
	}
	r = s.post(path, `mutation VerifyToken($token: String!) { verifyToken(token: $token) { payload } }`, map[string]any{"token": token})
	if r.str("data", "verifyToken", "payload", "username") != "bob" {
		t.Fatalf("verifyToken: %s", r.raw)
	}
	r = s.post(path, `mutation RefreshToken($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) { token refreshToken payload } }`,
		map[string]any{"refreshToken": refresh})
	if r.str("data", "refreshToken", "refreshToken") == "" {
		t.Fatalf("refreshToken: %s", r.raw)
	}
	r = s.post(path, `mutation RevokeToken($refreshToken: String!) { revokeToken(refreshToken: $refreshToken) { revoked } }`,
		map[string]any{"refreshToken": r.str("data", "refreshToken", "refreshToken")})
	if r.get("data", "revokeToken", "revoked") == nil {
		t.Fatalf("revokeToken: %s", r.raw)
	}
	r = s.post(path, `mutation { tokenAuth(username: "bob", password: "wrong") { token } }`, nil)
	if r.str("errors", 0, "message") != "Please enter valid credentials" {
		t.Fatalf("bad credentials: %s", r.raw)
	}
}
