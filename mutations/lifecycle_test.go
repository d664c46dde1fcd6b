package mutations_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/mutations"
	"github.com/graphql-go/graphql"
	"golang.org/x/crypto/bcrypt"
)

const (
	verifyQuery  = `mutation V($token: String) { verifyToken(token: $token) { payload } }`
	refreshQuery = `mutation R($refreshToken: String, $token: String) {
  refreshToken(refreshToken: $refreshToken, token: $token) { token refreshToken payload tokenExpiresIn refreshExpiresIn }
}`
	revokeQuery = `mutation X($refreshToken: String!) { revokeToken(refreshToken: $refreshToken) { revoked } }`
)

// TestLongRunningLifecycle: login → authenticated query → verify → refresh
// (rotating) → revoke → the revoked session is refused.
func TestLongRunningLifecycle(t *testing.T) {
	e := newEnv(t, envConfig{cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens()}})

	r := e.do("", loginQuery, map[string]any{"username": "alice", "password": "alice-password"})
	if len(r.Errors) > 0 {
		t.Fatal(r.Raw)
	}
	access, refresh := r.str("tokenAuth", "token"), r.str("tokenAuth", "refreshToken")
	if access == "" || len(refresh) < 43 { // 32 random bytes, base64url
		t.Fatalf("tokens %q %q", access, refresh)
	}
	if r.str("tokenAuth", "user", "id") != "1" || r.str("tokenAuth", "payload", "username") != "alice" {
		t.Errorf("user/payload: %s", r.Raw)
	}
	exp, _ := r.field("tokenAuth", "tokenExpiresIn").(float64)
	rexp, _ := r.field("tokenAuth", "refreshExpiresIn").(float64)
	now := float64(time.Now().Unix())
	if exp < now+14*60 || exp > now+15*60+1 || rexp < now+7*86400-5 || rexp > now+7*86400+1 {
		t.Errorf("expiry: token %v refresh %v (now %v)", exp, rexp, now)
	}

	if r := e.do(access, `{ me }`, nil); r.str("me") != "alice" {
		t.Fatalf("authenticated query: %s", r.Raw)
	}
	if r := e.do("", verifyQuery, map[string]any{"token": access}); r.str("verifyToken", "payload", "sub") != "1" {
		t.Fatalf("verify: %s", r.Raw)
	}
	// Without an argument verifyToken checks the request's own token.
	if r := e.do(access, `mutation { verifyToken { payload } }`, nil); r.str("verifyToken", "payload", "sub") != "1" {
		t.Fatalf("verify own token: %s", r.Raw)
	}

	r = e.do("", refreshQuery, map[string]any{"refreshToken": refresh})
	access2, refresh2 := r.str("refreshToken", "token"), r.str("refreshToken", "refreshToken")
	if len(r.Errors) > 0 || access2 == "" || refresh2 == "" || refresh2 == refresh {
		t.Fatalf("refresh did not rotate: %s", r.Raw)
	}
	if r.str("refreshToken", "payload", "sid") != e.verifyPayload(access, "sid") {
		t.Errorf("refresh left the session: %s", r.Raw)
	}
	if r := e.do(access2, `{ me }`, nil); r.str("me") != "alice" {
		t.Fatalf("refreshed token: %s", r.Raw)
	}

	if r := e.do("", revokeQuery, map[string]any{"refreshToken": refresh2}); r.field("revokeToken", "revoked") == nil {
		t.Fatalf("revoke: %s", r.Raw)
	}
	r = e.do("", refreshQuery, map[string]any{"refreshToken": refresh2})
	if r.code(t) != "TOKEN_REVOKED" || r.Errors[0]["message"] != "Refresh token has been revoked" || r.field("refreshToken") != nil {
		t.Fatalf("refresh after revoke: %s", r.Raw)
	}
	r = e.do("", revokeQuery, map[string]any{"refreshToken": "not-a-token"})
	if r.code(t) != "TOKEN_INVALID" || r.Errors[0]["message"] != "Invalid refresh token" {
		t.Fatalf("revoke unknown: %s", r.Raw)
	}
}

func (e *env) verifyPayload(token, claim string) string {
	e.t.Helper()
	r := e.do("", verifyQuery, map[string]any{"token": token})
	v := r.field("verifyToken", "payload", claim)
	if v == nil {
		e.t.Fatalf("no claim %q: %s", claim, r.Raw)
	}
	return fmt.Sprint(v)
}

// TestRefreshReuseRevokesFamily: presenting a rotated refresh token again
// revokes the whole session, including the successor the thief does not
// have (RFC 9700 reuse detection). The grace is off: the replay comes at
// once, within the default grace (see the root's grace_test.go).
func TestRefreshReuseRevokesFamily(t *testing.T) {
	e := newEnv(t, envConfig{cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens(), RefreshReuseGrace: -1}})
	_, first := e.login("alice", "alice-password")
	_, otherSession := e.login("alice", "alice-password")

	r := e.do("", refreshQuery, map[string]any{"refreshToken": first})
	second := r.str("refreshToken", "refreshToken")
	if second == "" {
		t.Fatal(r.Raw)
	}
	// The stolen, already rotated token is replayed:
	r = e.do("", refreshQuery, map[string]any{"refreshToken": first})
	if r.code(t) != "TOKEN_REVOKED" {
		t.Fatalf("replay: %s", r.Raw)
	}
	// ...so the legitimate successor is dead too,
	r = e.do("", refreshQuery, map[string]any{"refreshToken": second})
	if r.code(t) != "TOKEN_REVOKED" {
		t.Fatalf("successor after replay: %s", r.Raw)
	}
	// ...but another session of the same user is not touched.
	if r := e.do("", refreshQuery, map[string]any{"refreshToken": otherSession}); len(r.Errors) > 0 {
		t.Fatalf("other session: %s", r.Raw)
	}
}

// TestConcurrentRefreshOneWinner: 100 clients refresh one token at once;
// exactly one gets new tokens. The store decides atomically. With the
// grace off; within the default grace all of them succeed.
func TestConcurrentRefreshOneWinner(t *testing.T) {
	e := newEnv(t, envConfig{cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens(), RefreshReuseGrace: -1}})
	_, refresh := e.login("bob", "bob-password")
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		successes int
		codes     = map[string]int{}
	)
	start := make(chan struct{})
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := e.do("", refreshQuery, map[string]any{"refreshToken": refresh})
			mu.Lock()
			defer mu.Unlock()
			if len(r.Errors) == 0 && r.str("refreshToken", "token") != "" {
				successes++
				return
			}
			if len(r.Errors) == 1 {
				ext, _ := r.Errors[0]["extensions"].(map[string]any)
				codes[fmt.Sprint(ext["code"])]++
				return
			}
			codes["unexpected: "+r.Raw]++
		}()
	}
	close(start)
	wg.Wait()
	if successes != 1 || codes["TOKEN_REVOKED"] != 99 {
		t.Fatalf("%d successes, failures %v", successes, codes)
	}
}

// TestSingleTokenRefresh: without a refresh store, refreshToken(token:)
// renews a still-valid token inside the refresh window, keeping origIat.
func TestSingleTokenRefresh(t *testing.T) {
	var mu sync.Mutex
	now := time.Now().Truncate(time.Second)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	e := newEnv(t, envConfig{cfg: gqljwt.Config{Now: clock, AccessTTL: 5 * time.Minute, RefreshTTL: 12 * time.Minute}})

	token, refresh := e.login("alice", "alice-password")
	if refresh != "" {
		t.Fatalf("single-token mode handed out a refresh token")
	}
	origIat := e.verifyPayload(token, "origIat")
	advance(4 * time.Minute)
	r := e.do("", refreshQuery, map[string]any{"token": token})
	renewed := r.str("refreshToken", "token")
	if renewed == "" || renewed == token {
		t.Fatalf("renew: %s", r.Raw)
	}
	if fmt.Sprint(r.field("refreshToken", "payload", "origIat")) != origIat {
		t.Errorf("origIat changed: %s", r.Raw)
	}
	// The request's own token is used when no argument is given.
	advance(4 * time.Minute)
	r = e.do(renewed, `mutation { refreshToken { token } }`, nil)
	renewed = r.str("refreshToken", "token")
	if renewed == "" {
		t.Fatalf("renew own token: %s", r.Raw)
	}
	// An expired token cannot be renewed.
	advance(6 * time.Minute)
	if r := e.do("", refreshQuery, map[string]any{"token": renewed}); r.code(t) != "TOKEN_EXPIRED" {
		t.Fatalf("renew expired: %s", r.Raw)
	}
	// A fresh login at minute 14; at minute 14+12 the window is over even
	// though the token renewed at minute 24 is still valid.
	token, _ = e.login("alice", "alice-password")
	advance(4 * time.Minute)
	token = e.do("", refreshQuery, map[string]any{"token": token}).str("refreshToken", "token")
	advance(4 * time.Minute)
	token = e.do("", refreshQuery, map[string]any{"token": token}).str("refreshToken", "token")
	advance(4 * time.Minute)
	r = e.do("", refreshQuery, map[string]any{"token": token})
	if r.code(t) != "TOKEN_EXPIRED" || r.Errors[0]["message"] != "Refresh has expired" {
		t.Fatalf("renew past the window: %s", r.Raw)
	}
	if r := e.do("", `mutation { refreshToken { token } }`, nil); r.code(t) != "BAD_USER_INPUT" {
		t.Fatalf("refresh without anything: %s", r.Raw)
	}
}

// TestRefreshRechecksUser: a disabled or deleted user cannot refresh.
func TestRefreshRechecksUser(t *testing.T) {
	e := newEnv(t, envConfig{cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens()}})
	access, refresh := e.login("bob", "bob-password")
	if err := e.users.SetActive("2", false); err != nil {
		t.Fatal(err)
	}
	for name, vars := range map[string]map[string]any{"long-running": {"refreshToken": refresh}, "single-token": {"token": access}} {
		if r := e.do("", refreshQuery, vars); r.code(t) != "TOKEN_REVOKED" {
			t.Errorf("%s refresh of a disabled user: %s", name, r.Raw)
		}
	}
	if r := e.do("", loginQuery, map[string]any{"username": "bob", "password": "bob-password"}); r.code(t) != "INVALID_CREDENTIALS" {
		t.Errorf("login of a disabled user: %s", r.Raw)
	}
}

// TestAccessTokenRevocation: logout revokes the access token at once (it
// was cached by the verifier) and its refresh tokens; logoutAll ends
// every session through the token version.
func TestLogoutAndLogoutAll(t *testing.T) {
	e := newEnv(t, envConfig{cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens()}})
	a1, r1 := e.login("alice", "alice-password")
	a2, r2 := e.login("alice", "alice-password")
	bob, _ := e.login("bob", "bob-password")
	for _, tok := range []string{a1, a2} {
		if r := e.do(tok, `{ me }`, nil); r.str("me") != "alice" {
			t.Fatal(r.Raw)
		}
	}

	if r := e.do(a1, `mutation { logout { success revoked } }`, nil); r.field("logout", "success") != true {
		t.Fatalf("logout: %s", r.Raw)
	}
	if r := e.do(a1, `{ me }`, nil); r.field("me") != nil || !strings.Contains(r.Raw, "Token has been revoked") {
		t.Fatalf("logged-out token: %s", r.Raw)
	}
	if r := e.do("", refreshQuery, map[string]any{"refreshToken": r1}); r.code(t) != "TOKEN_REVOKED" {
		t.Fatalf("logged-out refresh token: %s", r.Raw)
	}
	if r := e.do(a2, `{ me }`, nil); r.str("me") != "alice" {
		t.Fatalf("other session after logout: %s", r.Raw)
	}

	if r := e.do(a2, `mutation { logoutAll { success } }`, nil); r.field("logoutAll", "success") != true {
		t.Fatalf("logoutAll: %s", r.Raw)
	}
	if r := e.do(a2, `{ me }`, nil); r.field("me") != nil {
		t.Fatalf("token after logoutAll: %s", r.Raw)
	}
	if r := e.do("", refreshQuery, map[string]any{"refreshToken": r2}); r.code(t) != "TOKEN_REVOKED" {
		t.Fatalf("refresh after logoutAll: %s", r.Raw)
	}
	if r := e.do(bob, `{ me }`, nil); r.str("me") != "bob" {
		t.Fatalf("another user after logoutAll: %s", r.Raw)
	}
	// New logins work again.
	a3, _ := e.login("alice", "alice-password")
	if r := e.do(a3, `{ me }`, nil); r.str("me") != "alice" {
		t.Fatalf("login after logoutAll: %s", r.Raw)
	}
	// Logout needs a caller.
	r := e.do("", `mutation { logout { success } }`, nil)
	if r.code(t) != "UNAUTHENTICATED" || r.Errors[0]["message"] != "Unauthorized" {
		t.Fatalf("anonymous logout: %s", r.Raw)
	}
}

// TestPasswordChangeLogsOut: changing the password moves the token
// version on, which refuses earlier tokens.
func TestPasswordChangeLogsOut(t *testing.T) {
	e := newEnv(t, envConfig{cfg: gqljwt.Config{VersionCacheTTL: time.Nanosecond}})
	tok, _ := e.login("bob", "bob-password")
	if err := e.users.SetPassword("2", "new-password"); err != nil {
		t.Fatal(err)
	}
	if r := e.do(tok, `{ me }`, nil); r.field("me") != nil {
		t.Fatalf("token after password change: %s", r.Raw)
	}
	tok, _ = e.login("bob", "new-password")
	if r := e.do(tok, `{ me }`, nil); r.str("me") != "bob" {
		t.Fatal(r.Raw)
	}
}

// TestLoginErrorsAreIndistinguishable: unknown user, wrong password and
// disabled user get byte-identical bodies, and each costs one bcrypt
// comparison.
func TestLoginErrorsAreIndistinguishable(t *testing.T) {
	e := newEnv(t, envConfig{})
	counting := &countingUsers{Users: e.users}
	auth, err := gqljwt.New(gqljwt.Config{Secret: secret, Users: counting})
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]string{}
	for name, creds := range map[string][2]string{
		"unknown user":   {"nobody", "alice-password"},
		"wrong password": {"alice", "wrong"},
		"disabled user":  {"mallory", "mallory-password"},
	} {
		r := e.do("", loginQuery, map[string]any{"username": creds[0], "password": creds[1]})
		bodies[name] = r.Raw
		counting.reset()
		_, err := auth.Authenticate(ctxBackground, gqljwt.Credentials{Username: creds[0], Password: creds[1]})
		if !strings.Contains(err.Error(), "Please enter valid credentials") {
			t.Errorf("%s: %v", name, err)
		}
		if n := counting.comparisons(); n != 1 {
			t.Errorf("%s: %d bcrypt comparisons, want 1", name, n)
		}
	}
	want := `{"data":{"tokenAuth":null},"errors":[{"message":"Please enter valid credentials","locations":[{"line":2,"column":3}],"path":["tokenAuth"],"extensions":{"code":"INVALID_CREDENTIALS"}}]}`
	for name, body := range bodies {
		if body != want {
			t.Errorf("%s:\n got %s\nwant %s", name, body, want)
		}
	}
}

// TestLoginThrottling: past 5 failures from one client (here an address:
// the harness has no device cookies) an account answers that client
// TOO_MANY_ATTEMPTS with the first lockout's 15 minutes as retry time,
// without checking the password, and aliased logins in one request count
// one by one. Other clients of the account are in lockout_test.go.
func TestLoginThrottling(t *testing.T) {
	e := newEnv(t, envConfig{})
	var aliases []string
	for i := 0; i < 7; i++ {
		aliases = append(aliases, fmt.Sprintf(`a%d: tokenAuth(username: "bob", password: "guess%d") { token }`, i, i))
	}
	r := e.do("", "mutation { "+strings.Join(aliases, "\n")+" }", nil)
	if len(r.Errors) != 7 {
		t.Fatalf("want 7 errors: %s", r.Raw)
	}
	for i, err := range r.Errors {
		ext := err["extensions"].(map[string]any)
		want := "INVALID_CREDENTIALS"
		if i >= 5 {
			want = "TOO_MANY_ATTEMPTS"
			if retry, _ := ext["retryAfter"].(float64); retry < 890 || retry > 900 {
				t.Errorf("alias %d: retryAfter %v", i, ext["retryAfter"])
			}
		}
		if ext["code"] != want {
			t.Errorf("alias %d (%v): %v, want %s", i, err["path"], ext["code"], want)
		}
	}
	// The right password is refused too while this client is locked out:
	// it is not checked.
	r = e.do("", loginQuery, map[string]any{"username": "bob", "password": "bob-password"})
	if r.code(t) != "TOO_MANY_ATTEMPTS" || r.Errors[0]["message"] != "Too many failed login attempts" {
		t.Fatalf("throttled correct password: %s", r.Raw)
	}
	// ...also by email: username and email share the account's budget.
	r = e.do("", loginQuery, map[string]any{"email": "bob@example.com", "password": "bob-password"})
	if r.code(t) != "TOO_MANY_ATTEMPTS" {
		t.Fatalf("throttled by email: %s", r.Raw)
	}
	// Another account is not affected by bob's count (the address budget
	// of 20 is not reached).
	if tok, _ := e.login("alice", "alice-password"); tok == "" {
		t.Fatal("alice throttled")
	}
}

// TestAddressThrottling: one address spraying many accounts is stopped by
// the per-address budget, for every account, including ones it has not
// tried yet.
func TestAddressThrottling(t *testing.T) {
	e := newEnv(t, envConfig{cfg: gqljwt.Config{MaxAddressFailures: 3}})
	for i := 0; i < 3; i++ {
		if r := e.do("", loginQuery, map[string]any{"username": fmt.Sprint("user", i), "password": "x"}); r.code(t) != "INVALID_CREDENTIALS" {
			t.Fatal(r.Raw)
		}
	}
	if r := e.do("", loginQuery, map[string]any{"username": "alice", "password": "alice-password"}); r.code(t) != "TOO_MANY_ATTEMPTS" {
		t.Fatalf("fourth attempt from the address: %s", r.Raw)
	}
}

func TestLoginByEmailAndInputBounds(t *testing.T) {
	e := newEnv(t, envConfig{})
	r := e.do("", loginQuery, map[string]any{"email": "ALICE@example.com", "password": "alice-password"})
	if r.str("tokenAuth", "user", "username") != "alice" {
		t.Fatalf("login by email: %s", r.Raw)
	}
	tests := []struct {
		name string
		vars map[string]any
		code string
		msg  string
	}{
		{"no name", map[string]any{"password": "x"}, "BAD_USER_INPUT", "A username or an email is required"},
		{"long password", map[string]any{"username": "alice", "password": strings.Repeat("p", 2000)}, "BAD_USER_INPUT", "Username, email or password is too long"},
		{"long username", map[string]any{"username": strings.Repeat("u", 300), "password": "x"}, "BAD_USER_INPUT", "Username, email or password is too long"},
	}
	for _, tt := range tests {
		r := e.do("", loginQuery, tt.vars)
		if r.code(t) != tt.code || r.Errors[0]["message"] != tt.msg {
			t.Errorf("%s: %s", tt.name, r.Raw)
		}
	}
	r = e.do("", loginQuery, map[string]any{"username": "alice"})
	if len(r.Errors) != 1 || r.Errors[0]["message"] != `Variable "$password" of required type "String!" was not provided.` {
		t.Errorf("missing password: %s", r.Raw)
	}
}

// TestRelayVariant: the same mutations with one input argument, echoing
// clientMutationId.
func TestRelayVariant(t *testing.T) {
	e := newEnv(t, envConfig{preset: mutations.NativeRelay(), cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens()}})
	r := e.do("", `mutation TokenAuth($username: String!, $password: String!) {
  tokenAuth(input: {username: $username, password: $password, clientMutationId: "m1"}) {
    token refreshToken clientMutationId user { id }
  }
}`, map[string]any{"username": "alice", "password": "alice-password"})
	if r.str("tokenAuth", "clientMutationId") != "m1" || r.str("tokenAuth", "token") == "" || r.str("tokenAuth", "user", "id") != "1" {
		t.Fatalf("relay tokenAuth: %s", r.Raw)
	}
	refresh := r.str("tokenAuth", "refreshToken")
	r = e.do("", `mutation RefreshToken($refreshToken: String!) {
  refreshToken(input: {refreshToken: $refreshToken, clientMutationId: "m2"}) { token refreshToken payload clientMutationId }
}`, map[string]any{"refreshToken": refresh})
	if r.str("refreshToken", "clientMutationId") != "m2" || r.str("refreshToken", "refreshToken") == "" {
		t.Fatalf("relay refresh: %s", r.Raw)
	}
	r = e.do("", `mutation { revokeToken(input: {refreshToken: "`+r.str("refreshToken", "refreshToken")+`"}) { revoked clientMutationId } }`, nil)
	if r.field("revokeToken", "revoked") == nil || r.field("revokeToken", "clientMutationId") != nil {
		t.Fatalf("relay revoke without clientMutationId: %s", r.Raw)
	}
	r = e.do("", `mutation { tokenAuth(input: {username: "alice", password: "nope", clientMutationId: "m3"}) { token } }`, nil)
	if r.code(t) != "INVALID_CREDENTIALS" {
		t.Fatalf("relay failure: %s", r.Raw)
	}
}

func TestMergeCollisionRefused(t *testing.T) {
	e := newEnv(t, envConfig{})
	frag, err := mutations.New(e.auth, mutations.Native(), mutations.Options{})
	if err != nil {
		t.Fatal(err)
	}
	appMutation := graphql.Fields{
		"tokenAuth":  &graphql.Field{Type: graphql.String},
		"createPost": &graphql.Field{Type: graphql.String},
	}
	err = frag.MergeInto(graphql.Fields{}, appMutation)
	if err == nil || err.Error() != `mutations: Mutation already has field(s) ["tokenAuth"]; rename the application's field or pick another preset` {
		t.Fatalf("collision: %v", err)
	}
	if len(appMutation) != 2 || appMutation["tokenAuth"].Type != graphql.String {
		t.Fatal("a refused merge changed the application's fields")
	}
	cfg := graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{"verifyToken": &graphql.Field{Type: graphql.String}}}
	if err := mutations.MergeObject(&cfg, frag.Mutation); err == nil || !strings.Contains(err.Error(), `Mutation already has field(s) ["verifyToken"]`) {
		t.Fatalf("MergeObject collision: %v", err)
	}
	cfg = graphql.ObjectConfig{Name: "Mutation"}
	if err := mutations.MergeObject(&cfg, frag.Mutation); err != nil || len(cfg.Fields.(graphql.Fields)) != len(frag.Mutation) {
		t.Fatalf("MergeObject into empty: %v", err)
	}
}

func TestPresetNeedsItsStores(t *testing.T) {
	auth, err := gqljwt.New(gqljwt.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mutations.New(auth, mutations.Native(), mutations.Options{}); err == nil || !strings.Contains(err.Error(), "login needs gqljwt.Config.Users") {
		t.Fatalf("no user store: %v", err)
	}
}

// TestPresetMistakesAreErrors: an unknown kind and an unknown result are
// both refused by New with an error, not a panic.
func TestPresetMistakesAreErrors(t *testing.T) {
	auth, err := gqljwt.New(gqljwt.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]mutations.Operation{
		`mutations: preset p, x: unknown kind "teleport"`: {Kind: "teleport", Name: "x", TypeName: "X"},
		`mutations: preset p, y: field z: unknown result "tokn"`: {Kind: mutations.Verify, Name: "y", TypeName: "Y",
			Fields: []mutations.Field{{Name: "z", Result: "tokn"}}},
	}
	for want, op := range cases {
		_, err := mutations.New(auth, mutations.Preset{Name: "p", Operations: []mutations.Operation{op}}, mutations.Options{})
		if err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	}
}

// TestAuthOperations: a fragment lists its operations for
// middleware.OperationLimits, by root type and name.
func TestAuthOperations(t *testing.T) {
	auth, err := gqljwt.New(gqljwt.Config{Secret: secret, Users: memstore.NewUsers(), Refresh: memstore.NewRefreshTokens()})
	if err != nil {
		t.Fatal(err)
	}
	frag, err := mutations.New(auth, mutations.CollectiveAccess(), mutations.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := frag.AuthOperations()
	if got["Query.login"] != "login" || got["Query.refresh"] != "refresh" || len(got) != len(mutations.CollectiveAccess().Operations) {
		t.Errorf("AuthOperations: %v", got)
	}
	got["Query.login"] = "changed"
	if frag.AuthOperations()["Query.login"] != "login" {
		t.Error("AuthOperations hands out the fragment's own map")
	}
}

// TestPresetsAreFreshValues: a preset is a constructor. Editing one copy
// changes no other, and two schemas built from the same preset share no
// type a guard could reach, so each takes its own rules.
func TestPresetsAreFreshValues(t *testing.T) {
	p := mutations.Native()
	p.Operations[0].Name = "changed"
	p.Operations[0].Fields[0].Name = "changed"
	if q := mutations.Native(); q.Operations[0].Name != "tokenAuth" || q.Operations[0].Fields[0].Name != "token" {
		t.Fatalf("editing one Native() changed the next: %+v", q.Operations[0])
	}
	d := mutations.DE()
	d.Errors[gqljwt.CodeInvalidCredential] = mutations.ErrorShape{Message: "changed"}
	if mutations.DE().Errors[gqljwt.CodeInvalidCredential].Message != "Incorrect email or password" {
		t.Fatal("editing one DE() changed the next")
	}

	auth, err := gqljwt.New(gqljwt.Config{Secret: secret, Users: memstore.NewUsers(), Refresh: memstore.NewRefreshTokens()})
	if err != nil {
		t.Fatal(err)
	}
	schemas := make([]graphql.Schema, 2)
	for i := range schemas {
		frag, err := mutations.New(auth, mutations.Native(), mutations.Options{})
		if err != nil {
			t.Fatal(err)
		}
		q := graphql.Fields{"hello": &graphql.Field{Type: graphql.String}}
		m := graphql.Fields{}
		if err := frag.MergeInto(q, m); err != nil {
			t.Fatal(err)
		}
		if schemas[i], err = graphql.NewSchema(graphql.SchemaConfig{
			Query:    graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: q}),
			Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: m}),
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := directives.Apply(&schemas[0], map[string]directives.Rule{"AuthUser.email": directives.AnyRole("ADMIN")}); err != nil {
		t.Fatal(err)
	}
	if err := directives.Apply(&schemas[1], map[string]directives.Rule{"AuthUser.email": directives.Authenticated()}); err != nil {
		t.Errorf("a second schema from the same preset cannot be guarded: %v", err)
	}
}

// TestConcurrentRefreshWithinGrace: three refreshes of one token at once
// over HTTP (three queries failing with an expired token, two tabs) all
// succeed with the default grace, and every token handed out works: each
// access token on a guarded field, each refresh token for a refresh of
// its own.
func TestConcurrentRefreshWithinGrace(t *testing.T) {
	e := newEnv(t, envConfig{cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens()}})
	_, refresh := e.login("bob", "bob-password")
	type pair struct{ access, refresh string }
	pairs := make([]pair, 3)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := e.do("", refreshQuery, map[string]any{"refreshToken": refresh})
			pairs[i] = pair{r.str("refreshToken", "token"), r.str("refreshToken", "refreshToken")}
			if len(r.Errors) != 0 || pairs[i].access == "" || pairs[i].refresh == "" {
				t.Errorf("refresh %d: %s", i, r.Raw)
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, p := range pairs {
		if r := e.do(p.access, `{ me }`, nil); r.str("me") != "bob" {
			t.Errorf("access token %d: %s", i, r.Raw)
		}
		if r := e.do("", refreshQuery, map[string]any{"refreshToken": p.refresh}); r.str("refreshToken", "token") == "" {
			t.Errorf("refresh token %d: %s", i, r.Raw)
		}
	}
}

// TestSeparateVersionStoreOverHTTP: with Config.Versions apart from the
// user store, the tokens of an HTTP login work on the next request, and
// after the user's version moves on (a password change) neither access
// nor refresh token does.
func TestSeparateVersionStoreOverHTTP(t *testing.T) {
	versions := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	for _, id := range []string{"1", "2"} {
		if err := versions.Add(gqljwt.User{ID: id, TokenVersion: 41}, "unused"); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, envConfig{cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens(), Versions: versions}})
	access, refresh := e.login("bob", "bob-password")
	if r := e.do(access, `{ me }`, nil); r.str("me") != "bob" {
		t.Fatalf("the login's token on the next request: %s", r.Raw)
	}
	if _, err := e.auth.BumpTokenVersion(context.Background(), "2"); err != nil {
		t.Fatal(err)
	}
	if r := e.do(access, `{ me }`, nil); r.code(t) != "TOKEN_REVOKED" {
		t.Errorf("access token after the bump: %s", r.Raw)
	}
	if r := e.do("", refreshQuery, map[string]any{"refreshToken": refresh}); r.code(t) != "TOKEN_REVOKED" {
		t.Errorf("refresh token after the bump: %s", r.Raw)
	}
}

// downRefresh is a RefreshStore that cannot answer.
type downRefresh struct{ *memstore.RefreshTokens }

func (downRefresh) Get(context.Context, string) (gqljwt.RefreshRecord, error) {
	return gqljwt.RefreshRecord{}, fmt.Errorf("connection refused")
}

// TestRefusalAsPayload: a refused refresh token answers success false and
// no token, as WPGraphQL Headless Login's refreshToken does; a store that
// cannot answer stays an error, since that is no verdict on the token.
func TestRefusalAsPayload(t *testing.T) {
	preset := mutations.Preset{Name: "p", Operations: []mutations.Operation{{
		Kind: mutations.Refresh, Name: "refreshToken", TypeName: "R", RefusalAsPayload: true, KeepRefreshToken: true,
		Args:   []mutations.Arg{{Name: "refreshToken", Role: mutations.ArgRefreshToken, Required: true}},
		Fields: []mutations.Field{{Name: "authToken", Result: mutations.ResultToken}, {Name: "success", Result: mutations.ResultSuccess}},
	}}}
	const q = `mutation R($t: String!) { refreshToken(refreshToken: $t) { authToken success } }`
	e := newEnv(t, envConfig{preset: preset, cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens()}})
	if r := e.do("", q, map[string]any{"t": "unknown"}); r.Raw != `{"data":{"refreshToken":{"authToken":null,"success":false}}}` {
		t.Errorf("refused token: %s", r.Raw)
	}
	down := newEnv(t, envConfig{preset: preset, cfg: gqljwt.Config{Refresh: downRefresh{memstore.NewRefreshTokens()}}})
	if r := down.do("", q, map[string]any{"t": "unknown"}); r.code(t) != "AUTH_UNAVAILABLE" {
		t.Errorf("store down: %s", r.Raw)
	}
}
