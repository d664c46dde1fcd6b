package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDECompatUnusableRefreshTokens: seed 004 documents one refusal of a
// refresh token, "invalid signature" under INTERNAL_SERVER_ERROR: so is
// every unusable one, expired, revoked and reused after its rotation
// included, not only a forged one (seed004_test.go).
func TestDECompatUnusableRefreshTokens(t *testing.T) {
	clock := newTestClock()
	s := newServer(t, options{now: clock.Now})
	const path = "/de"
	doc := seed(t, "004")
	login, refreshOp := operation(t, doc, "mutation Login(", 0), operation(t, doc, "mutation Refresh(", 0)
	tokens := func(user string) (string, string) {
		t.Helper()
		r := s.post(path, login, map[string]any{"email": user + "@example.com", "password": user + "-password"})
		return r.str("data", "login", "token"), r.str("data", "login", "refreshToken")
	}
	refresh := func(rt string) *reply { return s.post(path, refreshOp, map[string]any{"refreshToken": rt}) }
	refused := func(name string, r *reply) {
		t.Helper()
		if r.get("data", "refreshToken") != nil || r.str("errors", 0, "message") != "invalid signature" || r.str("errors", 0, "extensions", "code") != "INTERNAL_SERVER_ERROR" {
			t.Errorf("%s: %s", name, r.raw)
		}
	}
	refused("unknown", refresh("not-a-refresh-token"))

	// Reused after its rotation (past the grace): refused, and the
	// session with it, so the token it was exchanged for is refused too.
	_, first := tokens("bob")
	second := refresh(first).str("data", "refreshToken", "refreshToken")
	if second == "" {
		t.Fatal("rotation failed")
	}
	clock.Advance(time.Minute)
	refused("reused", refresh(first))
	refused("revoked with its session", refresh(second))

	// Expired: seven days on.
	_, rt := tokens("carol")
	clock.Advance(7*24*time.Hour + time.Minute)
	refused("expired", refresh(rt))
}

// TestCollectiveAccessCompatClaims: seed 001's tokens (its login's jwt,
// decoded) carry nbf = iat and the user's ID as the claim id; ours do,
// and work at once.
func TestCollectiveAccessCompatClaims(t *testing.T) {
	clock := newTestClock()
	s := newServer(t, options{now: clock.Now})
	r := s.post("/service/Auth", `query { login(username: "carol", password: "carol-password") { jwt } }`, nil)
	jwt := r.str("data", "login", "jwt")
	claims := tokenClaims(t, jwt)
	iat := strconv.FormatInt(clock.Now().Unix(), 10)
	if claims["id"] != "3" || mustJSON(t, claims["iat"]) != iat || mustJSON(t, claims["nbf"]) != iat {
		t.Errorf("claims %v: want id \"3\" and nbf = iat (%s)", claims, r.raw)
	}
	if r := s.post("/service/Auth", `{ me { id } }`, nil, "Authorization", "Bearer "+jwt); !jsonEqual(t, r.raw, `{"ok": true, "data": {"me": {"id": 3}}}`) {
		t.Errorf("the token: %s", r.raw)
	}
}

// tokenClaims decodes the payload of a JWT, numbers as json.Number.
func tokenClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	seg := strings.Split(jwt, ".")
	if len(seg) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	payload, err := base64.RawURLEncoding.DecodeString(seg[1])
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	var claims map[string]any
	if err := d.Decode(&claims); err != nil {
		t.Fatal(err)
	}
	return claims
}
