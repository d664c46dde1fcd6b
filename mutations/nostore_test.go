package mutations_test

import (
	"slices"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/mutations"
)

// TestNoStoreOnlyWhereATokenIs: the engine marks responses that carry a
// token or a payload uncacheable (RFC 6749 section 5.1), once, and leaves
// other responses to the application's caching: a logout or a refused
// login holds nothing worth protecting.
func TestNoStoreOnlyWhereATokenIs(t *testing.T) {
	e := newEnv(t, envConfig{cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens()}})
	token, refresh := e.login("alice", "alice-password")
	if token == "" || refresh == "" {
		t.Fatalf("login: %q %q", token, refresh)
	}
	noStore := func(what string, r *response, want bool) {
		t.Helper()
		cc, pragma := r.Header.Values("Cache-Control"), r.Header.Values("Pragma")
		if want && (!slices.Equal(cc, []string{"no-store"}) || !slices.Equal(pragma, []string{"no-cache"})) {
			t.Errorf("%s: Cache-Control %q, Pragma %q, want [no-store] and [no-cache] (%s)", what, cc, pragma, r.Raw)
		}
		if !want && (cc != nil || pragma != nil) {
			t.Errorf("%s: Cache-Control %q, Pragma %q on a response without a token (%s)", what, cc, pragma, r.Raw)
		}
	}
	r := e.do("", `mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`, nil)
	if r.str("tokenAuth", "token") == "" {
		t.Fatalf("tokenAuth: %s", r.Raw)
	}
	noStore("tokenAuth", r, true)
	r = e.do("", `mutation($t: String!) { verifyToken(token: $t) { payload } }`, map[string]any{"t": token})
	if r.field("verifyToken", "payload") == nil {
		t.Fatalf("verifyToken: %s", r.Raw)
	}
	noStore("verifyToken", r, true)
	r = e.do("", `mutation($t: String!) { refreshToken(token: $t) { token } }`, map[string]any{"t": token})
	if r.str("refreshToken", "token") == "" {
		t.Fatalf("refreshToken (token): %s", r.Raw)
	}
	noStore("refreshToken (token)", r, true)
	r = e.do("", `mutation($rt: String!) { refreshToken(refreshToken: $rt) { refreshToken } }`, map[string]any{"rt": refresh})
	rotated := r.str("refreshToken", "refreshToken")
	if rotated == "" {
		t.Fatalf("refreshToken (refreshToken): %s", r.Raw)
	}
	noStore("refreshToken (refreshToken)", r, true)

	// No token in these.
	noStore("a refused login", e.do("", `mutation { tokenAuth(username: "alice", password: "wrong") { token } }`, nil), false)
	noStore("a refused verify", e.do("", `mutation { verifyToken(token: "x.y.z") { payload } }`, nil), false)
	noStore("a query", e.do(token, `{ me }`, nil), false)
	r = e.do("", `mutation($rt: String!) { revokeToken(refreshToken: $rt) { revoked } }`, map[string]any{"rt": rotated})
	if r.field("revokeToken", "revoked") == nil {
		t.Fatalf("revokeToken: %s", r.Raw)
	}
	noStore("revokeToken", r, false)
	// An aliased pair: one token-carrying field marks the whole response.
	bob, _ := e.login("bob", "bob-password")
	noStore("createPost with verifyToken", e.do(bob, `mutation { a: createPost b: verifyToken { payload } }`, nil), true)
	r = e.do(bob, `mutation { logout { success } }`, nil)
	if r.field("logout", "success") != true {
		t.Fatalf("logout: %s", r.Raw)
	}
	noStore("logout", r, false)
}

// TestNoStoreWithATokenHeader: a preset handing the token out in a header
// gets the same single pair of headers.
func TestNoStoreWithATokenHeader(t *testing.T) {
	e := newEnv(t, envConfig{preset: mutations.Toggle()})
	r := e.do("", `query { loginUser(username: "alice", password: "alice-password") { id } }`, nil)
	if r.Header.Get("Authorization") == "" {
		t.Fatalf("loginUser: %s %v", r.Raw, r.Header)
	}
	if cc, pragma := r.Header.Values("Cache-Control"), r.Header.Values("Pragma"); !slices.Equal(cc, []string{"no-store"}) || !slices.Equal(pragma, []string{"no-cache"}) {
		t.Errorf("loginUser: Cache-Control %q, Pragma %q", cc, pragma)
	}
}

// TestTokenHeaderExposedOnce: two logins of one document set the token
// header twice and list it among the exposed headers once.
func TestTokenHeaderExposedOnce(t *testing.T) {
	e := newEnv(t, envConfig{preset: mutations.Toggle()})
	r := e.do("", `query { a: loginUser(username: "alice", password: "alice-password") { id } b: loginUser(username: "bob", password: "bob-password") { id } }`, nil)
	if r.Header.Get("Authorization") == "" {
		t.Fatalf("loginUser: %s %v", r.Raw, r.Header)
	}
	if got := r.Header.Values("Access-Control-Expose-Headers"); !slices.Equal(got, []string{"Authorization"}) {
		t.Errorf("Access-Control-Expose-Headers %q", got)
	}
}
