package main

import (
	"testing"

	"github.com/gqljwt/gqljwt/internal/redistest"
)

// TestRevokedSecretAcrossInstancesOnRedis: a user secret revoked through
// one instance is revoked for the other at once, on every endpoint: the
// revoked mark lives beside the version in Redis (redisstore.Versions, a
// gqljwt.UserSecretStore) and is read, uncached, before each token is
// issued; refreshed through the other instance, the user logs in again on
// the first.
func TestRevokedSecretAcrossInstancesOnRedis(t *testing.T) {
	redis := redistest.Start(t)
	a, b := onRedis(t, redis.Addr, options{}), onRedis(t, redis.Addr, options{})
	bob, _ := wpPasswordLogin(t, a, "bob")
	alice, _ := wpPasswordLogin(t, b, "alice")
	if r := a.post(wpPath, `mutation { revokeUserSecret(input: {userId: "2"}) { success } }`, nil, "Authorization", "Bearer "+bob); r.get("data", "revokeUserSecret", "success") != true {
		t.Fatalf("revokeUserSecret on A: %s", r.raw)
	}
	const wpLogin = `mutation { login(input: {provider: PASSWORD, credentials: {username: "bob", password: "bob-password"}}) { authToken } }`
	if r := b.post(wpPath, wpLogin, nil); wpError(r) != (wpWant{"A JWT token cannot be issued for this user.", "FORBIDDEN"}) {
		t.Errorf("login on B while revoked: %s", r.raw)
	}
	// Another endpoint, in its own words: no token for bob there either.
	if r := b.post("/graphql", `mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`, nil); r.str("errors", 0, "message") != "No token can be issued for this user: the user secret is revoked" ||
		r.str("errors", 0, "extensions", "reason") != "TOKEN_REVOKED" {
		t.Errorf("/graphql login on B while revoked: %s", r.raw)
	}
	const status = `{ user(id: "2") { auth { isUserSecretRevoked } } }`
	if r := b.post(wpPath, status, nil, "Authorization", "Bearer "+alice); r.raw != `{"data":{"user":{"auth":{"isUserSecretRevoked":true}}}}` {
		t.Errorf("isUserSecretRevoked on B: %s", r.raw)
	}
	if r := b.post(wpPath, `mutation { refreshUserSecret(input: {userId: "2"}) { success } }`, nil, "Authorization", "Bearer "+alice); r.get("data", "refreshUserSecret", "success") != true {
		t.Fatalf("refreshUserSecret on B: %s", r.raw)
	}
	again, _ := wpPasswordLogin(t, a, "bob")
	for name, s := range map[string]*server{"A": a, "B": b} {
		if r := s.post(wpPath, `{ viewer { id auth { isUserSecretRevoked } } }`, nil, "Authorization", "Bearer "+again); r.raw != `{"data":{"viewer":{"auth":{"isUserSecretRevoked":false},"id":"2"}}}` {
			t.Errorf("bob's new token on %s: %s", name, r.raw)
		}
	}
}
