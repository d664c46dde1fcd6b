package main

import (
	"net/http/httptest"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/gqljwt/gqljwt/internal/redistest"
)

// TestTwoInstancesOnRedis: two demo servers sharing one Redis serve as
// one: a session started on A refreshes on B, a logout on A is honoured
// by B at once, and a refresh token reused across them ends the session.
func TestTwoInstancesOnRedis(t *testing.T) {
	redis := redistest.Start(t)
	instance := func() *server {
		a, err := newApp(options{secret: testSecret, bcryptCost: bcrypt.MinCost, redis: redis.Addr})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.close)
		srv := httptest.NewServer(a.router)
		t.Cleanup(srv.Close)
		return &server{t: t, app: a, url: srv.URL}
	}
	a, b := instance(), instance()
	const path = "/graphql"
	login := a.post(path, `mutation { tokenAuth(username: "bob", password: "bob-password") { token refreshToken } }`, nil)
	token, refresh := login.str("data", "tokenAuth", "token"), login.str("data", "tokenAuth", "refreshToken")
	if token == "" || refresh == "" {
		t.Fatalf("login on A: %s", login.raw)
	}
	if r := b.post(path, `{ me { username } }`, nil, "Authorization", "Bearer "+token); r.str("data", "me", "username") != "bob" {
		t.Fatalf("A's token on B: %s", r.raw)
	}
	// Refresh on B; the new pair works on A.
	r := b.post(path, `mutation R($t: String) { refreshToken(refreshToken: $t) { token refreshToken } }`, map[string]any{"t": refresh})
	token2, refresh2 := r.str("data", "refreshToken", "token"), r.str("data", "refreshToken", "refreshToken")
	if token2 == "" || refresh2 == "" {
		t.Fatalf("refresh on B: %s", r.raw)
	}
	if r := a.post(path, `{ me { username } }`, nil, "Authorization", "Bearer "+token2); r.str("data", "me", "username") != "bob" {
		t.Fatalf("B's token on A: %s", r.raw)
	}
	// Logout on A: B refuses the session's tokens at once.
	if r := a.post(path, `mutation { logout { success } }`, nil, "Authorization", "Bearer "+token2); r.get("data", "logout", "success") != true {
		t.Fatalf("logout on A: %s", r.raw)
	}
	for _, tok := range []string{token, token2} {
		if r := b.post(path, `{ me { username } }`, nil, "Authorization", "Bearer "+tok); r.str("errors", 0, "extensions", "reason") != "TOKEN_REVOKED" {
			t.Errorf("a logged-out token on B: %s", r.raw)
		}
	}
	if r := b.post(path, `mutation R($t: String) { refreshToken(refreshToken: $t) { token } }`, map[string]any{"t": refresh2}); r.str("errors", 0, "extensions", "code") != "TOKEN_REVOKED" {
		t.Errorf("a logged-out refresh token on B: %s", r.raw)
	}
	// Failed logins count once for both: five on A and B together lock
	// the attacker's address out of carol on either.
	for i := range 5 {
		inst := []*server{a, b}[i%2]
		inst.post(path, `mutation { tokenAuth(username: "carol", password: "wrong") { token } }`, nil)
	}
	if r := b.post(path, `mutation { tokenAuth(username: "carol", password: "wrong") { token } }`, nil); r.str("errors", 0, "extensions", "code") != "TOO_MANY_ATTEMPTS" {
		t.Errorf("the sixth failure across instances: %s", r.raw)
	}
}
