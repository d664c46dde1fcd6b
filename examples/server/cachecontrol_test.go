package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// assertNoStore checks that a response carrying a token forbids caching it
// (RFC 6749 section 5.1), with exactly one value per header: a second,
// weaker Cache-Control value would leave caches to choose.
func assertNoStore(t *testing.T, what string, r *reply) {
	t.Helper()
	if got := r.header.Values("Cache-Control"); !slices.Equal(got, []string{"no-store"}) {
		t.Errorf("%s: Cache-Control %q, want [no-store] (%s)", what, got, r.raw)
	}
	if got := r.header.Values("Pragma"); !slices.Equal(got, []string{"no-cache"}) {
		t.Errorf("%s: Pragma %q, want [no-cache] (%s)", what, got, r.raw)
	}
}

// need fails the test when an operation that should have handed out a
// token did not: a missing header on an error response proves nothing.
func need(t *testing.T, what, value string, r *reply) string {
	t.Helper()
	if value == "" {
		t.Fatalf("%s: no token in %s", what, r.raw)
	}
	return value
}

// TestNoStoreOnGrapheneRelay: seed 000's documented operations, verbatim.
func TestNoStoreOnGrapheneRelay(t *testing.T) {
	doc := seed(t, "000")
	s := newServer(t, options{})
	const path = "/graphene-relay"
	creds := map[string]any{"username": "alice", "password": "alice-password"}

	r := s.post(path, operation(t, doc, "mutation TokenAuth(", 0), creds)
	token := need(t, "tokenAuth", r.str("data", "tokenAuth", "token"), r)
	assertNoStore(t, "tokenAuth", r)
	r = s.post(path, operation(t, doc, "mutation TokenAuth(", 1), creds)
	need(t, "tokenAuth returning the user", r.str("data", "tokenAuth", "token"), r)
	assertNoStore(t, "tokenAuth returning the user", r)

	r = s.post(path, operation(t, doc, "mutation VerifyToken(", 0), map[string]any{"token": token})
	need(t, "verifyToken", r.str("data", "verifyToken", "payload", "username"), r)
	assertNoStore(t, "verifyToken", r)

	r = s.post(path, operation(t, doc, "mutation RefreshToken(", 0), map[string]any{"token": token})
	need(t, "single token refresh", r.str("data", "refreshToken", "token"), r)
	assertNoStore(t, "single token refresh", r)

	r = s.post(path, `mutation TokenAuth($username: String!, $password: String!) {
  tokenAuth(input: {username: $username, password: $password}) { token refreshToken refreshExpiresIn }
}`, creds)
	refresh := need(t, "tokenAuth with refreshToken", r.str("data", "tokenAuth", "refreshToken"), r)
	assertNoStore(t, "tokenAuth with refreshToken", r)
	r = s.post(path, operation(t, doc, "mutation RefreshToken(", 1), map[string]any{"refreshToken": refresh})
	need(t, "long running refresh", r.str("data", "refreshToken", "refreshToken"), r)
	assertNoStore(t, "long running refresh", r)
}

// TestNoStoreOnGrapheneAndNative: the classic django-graphql-jwt
// operations of seed 000 on /graphene and on the native /graphql, plus
// the native refresh of the request's own token.
func TestNoStoreOnGrapheneAndNative(t *testing.T) {
	s := newServer(t, options{})
	for _, path := range []string{"/graphene", "/graphql"} {
		r := s.post(path, `mutation TokenAuth($username: String!, $password: String!) {
  tokenAuth(username: $username, password: $password) {
    token
    refreshToken
    user {
      id
    }
  }
}`, map[string]any{"username": "bob", "password": "bob-password"})
		token := need(t, path+" tokenAuth", r.str("data", "tokenAuth", "token"), r)
		refresh := need(t, path+" tokenAuth", r.str("data", "tokenAuth", "refreshToken"), r)
		assertNoStore(t, path+" tokenAuth", r)

		r = s.post(path, `mutation VerifyToken($token: String!) { verifyToken(token: $token) { payload } }`, map[string]any{"token": token})
		need(t, path+" verifyToken", r.str("data", "verifyToken", "payload", "username"), r)
		assertNoStore(t, path+" verifyToken", r)

		r = s.post(path, `mutation RefreshToken($token: String!) { refreshToken(token: $token) { token payload } }`, map[string]any{"token": token})
		need(t, path+" single token refresh", r.str("data", "refreshToken", "token"), r)
		assertNoStore(t, path+" single token refresh", r)

		r = s.post(path, `mutation RefreshToken($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) { token refreshToken payload } }`,
			map[string]any{"refreshToken": refresh})
		need(t, path+" long running refresh", r.str("data", "refreshToken", "refreshToken"), r)
		assertNoStore(t, path+" long running refresh", r)
	}
	// Native only: verify and refresh of the request's own token, and
	// tokenAuth in an Apollo batch, whose items share one response.
	r := s.post("/graphql", `mutation { tokenAuth(username: "carol", password: "carol-password") { token } }`, nil)
	token := need(t, "tokenAuth", r.str("data", "tokenAuth", "token"), r)
	r = s.post("/graphql", `mutation { verifyToken { payload } }`, nil, "Authorization", "Bearer "+token)
	need(t, "verifyToken of the request's token", r.str("data", "verifyToken", "payload", "username"), r)
	assertNoStore(t, "verifyToken of the request's token", r)
	r = s.post("/graphql", `mutation { refreshToken { token } }`, nil, "Authorization", "Bearer "+token)
	need(t, "refreshToken of the request's token", r.str("data", "refreshToken", "token"), r)
	assertNoStore(t, "refreshToken of the request's token", r)

	batch, _ := json.Marshal([]map[string]any{
		{"query": `{ posts { title } }`},
		{"query": `mutation { tokenAuth(username: "carol", password: "carol-password") { token } }`},
	})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader(batch))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("batch: %d", resp.StatusCode)
	}
	assertNoStore(t, "a batch with a tokenAuth", &reply{header: resp.Header})
}

// TestNoStoreOnCollectiveAccess: seed 001's login and refresh queries.
func TestNoStoreOnCollectiveAccess(t *testing.T) {
	doc := seed(t, "001")
	s := newServer(t, options{users: []demoUser{apiUser}})
	const path = "/service/Auth"
	r := s.post(path, operation(t, doc, "query {\nlogin(", 0), nil)
	refresh := need(t, "login", r.str("data", "login", "refresh"), r)
	assertNoStore(t, "login", r)

	refreshOp := operation(t, doc, "query {\nrefresh(", 0)
	seedToken := refreshOp[strings.Index(refreshOp, `"`)+1 : strings.LastIndex(refreshOp, `"`)]
	r = s.post(path, strings.Replace(refreshOp, seedToken, refresh, 1), nil)
	need(t, "refresh", r.str("data", "refresh", "jwt"), r)
	assertNoStore(t, "refresh", r)
}

// TestNoStoreOnWPGraphQL: seed 002's operations that hand out tokens or
// user secrets, with every provider.
func TestNoStoreOnWPGraphQL(t *testing.T) {
	doc := seed(t, "002")
	provider := newOAuthServer(t)
	s := newServer(t, options{siteToken: []byte(siteToken), siteTokenHeader: "X-Site-Token",
		oauth2: provider.config(), userInfoURL: provider.URL + "/userinfo"})
	const path = "/wpgraphql"

	r := s.post(path, wpOperation(t, doc, "mutation loginWithPassword("), map[string]any{"username": "bob", "password": "bob-password"})
	auth := need(t, "loginWithPassword", r.str("data", "login", "authToken"), r)
	refresh := need(t, "loginWithPassword", r.str("data", "login", "refreshToken"), r)
	assertNoStore(t, "loginWithPassword", r)

	r = s.post(path, operation(t, doc, "mutation refreshToken(", 0), map[string]any{"token": refresh})
	need(t, "refreshToken", r.str("data", "refreshToken", "authToken"), r)
	assertNoStore(t, "refreshToken", r)

	r = s.post(path, wpOperation(t, doc, "mutation loginAsIdentity("), map[string]any{"identity": "carol@example.com"}, "X-Site-Token", siteToken)
	need(t, "loginAsIdentity", r.str("data", "login", "authToken"), r)
	assertNoStore(t, "loginAsIdentity", r)

	// OAUTH2_GENERIC: link bob's account at the provider, then log in.
	link := operation(t, doc, "mutation linkUserIdentity(", 0)
	link = strings.Replace(link, "to verify the authenticity of the response.\n {", "to verify the authenticity of the response.\n) {", 1)
	az := s.authorize(t, provider, "acct-7")
	vars := map[string]any{"provider": "OAUTH2_GENERIC", "userId": "2", "code": az.code, "state": az.state}
	if r = s.post(path, link, vars, "Authorization", "Bearer "+auth, "Cookie", az.cookie); r.get("data", "linkUserIdentity", "success") != true {
		t.Fatalf("linkUserIdentity: %s", r.raw)
	}
	az = s.authorize(t, provider, "acct-7")
	vars = map[string]any{"provider": "OAUTH2_GENERIC", "code": az.code, "state": az.state}
	r = s.post(path, wpOperation(t, doc, "mutation login("), vars, "Cookie", az.cookie)
	need(t, "OAuth2 login", r.str("data", "login", "authToken"), r)
	assertNoStore(t, "OAuth2 login", r)

	r = s.post(path, operation(t, doc, "mutation refreshUserSecret(", 0), map[string]any{"userId": "2"}, "Authorization", "Bearer "+auth)
	auth = need(t, "refreshUserSecret", r.str("data", "refreshUserSecret", "authToken"), r)
	assertNoStore(t, "refreshUserSecret", r)

	r = s.post(path, operation(t, doc, "mutation revokeUserSecret(", 0), map[string]any{"userId": "2"}, "Authorization", "Bearer "+auth)
	need(t, "revokeUserSecret", r.str("data", "revokeUserSecret", "revokedUserSecret"), r)
	assertNoStore(t, "revokeUserSecret", r)
}

// TestNoStoreOnToggle: seed 003's loginUser, whose token travels in the
// Authorization response header.
func TestNoStoreOnToggle(t *testing.T) {
	s := newServer(t, options{})
	r := s.post("/toggle", operation(t, seed(t, "003"), "query($email:String", 0),
		map[string]any{"email": "alice@example.com", "password": "alice-password"})
	bearer(t, r)
	assertNoStore(t, "loginUser", r)
}

// TestNoStoreOnDE: seed 004's login and refreshToken.
func TestNoStoreOnDE(t *testing.T) {
	doc := seed(t, "004")
	s := newServer(t, options{})
	r := s.post("/de", operation(t, doc, "mutation Login(", 0), map[string]any{"email": "alice@example.com", "password": "alice-password"})
	refresh := need(t, "login", r.str("data", "login", "refreshToken"), r)
	assertNoStore(t, "login", r)
	r = s.post("/de", operation(t, doc, "mutation Refresh(", 0), map[string]any{"refreshToken": refresh})
	need(t, "refreshToken", r.str("data", "refreshToken", "token"), r)
	assertNoStore(t, "refreshToken", r)
}
