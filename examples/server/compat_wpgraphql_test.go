package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const wpPath = "/wpgraphql"

// wpServer is the demo with the SITETOKEN provider enabled.
func wpServer(t *testing.T, o options) *server {
	o.siteToken, o.siteTokenHeader = []byte(siteToken), "X-Site-Token"
	return newServer(t, o)
}

const wpSiteTokenLogin = `mutation LoginWithSiteToken($input: LoginInput!) {
  login(input: $input) {
    authToken authTokenExpiration refreshToken refreshTokenExpiration
    user { auth { isUserSecretRevoked linkedIdentities { id provider } userSecret } databaseId: id email username }
  }
}`

func wpPasswordLogin(t *testing.T, s *server, user string) (auth, refresh string) {
	t.Helper()
	r := s.post(wpPath, `mutation($u: String!, $p: String!) { login(input: {provider: PASSWORD, credentials: {username: $u, password: $p}}) { authToken refreshToken } }`,
		map[string]any{"u": user, "p": user + "-password"})
	auth, refresh = r.str("data", "login", "authToken"), r.str("data", "login", "refreshToken")
	if auth == "" || refresh == "" {
		t.Fatalf("login %s: %s", user, r.raw)
	}
	return auth, refresh
}

type wpWant struct{ message, code string }

func wpError(r *reply) wpWant {
	return wpWant{r.str("errors", 0, "message"), r.str("errors", 0, "extensions", "code")}
}

// TestWPGraphQLCompatSiteToken: tests/wpunit/ProviderMutationsSiteTokenTest.php
// testLoginWithNoProvisioning and testLinkUserIdentity, over HTTP.
func TestWPGraphQLCompatSiteToken(t *testing.T) {
	s := wpServer(t, options{})
	login := func(input map[string]any, headers ...string) *reply {
		input["provider"] = "SITETOKEN"
		return s.post(wpPath, wpSiteTokenLogin, map[string]any{"input": input}, headers...)
	}
	header := []string{"X-Site-Token", siteToken}
	for _, c := range []struct {
		name    string
		input   map[string]any
		headers []string
		want    wpWant
	}{
		{"no header", map[string]any{"identity": "carol"}, nil, wpWant{"Missing site token in custom header.", "UNAUTHENTICATED"}},
		{"wrong token", map[string]any{"identity": "carol"}, []string{"X-Site-Token", "nope"}, wpWant{"Invalid site token.", "UNAUTHENTICATED"}},
		{"no identity", map[string]any{}, header, wpWant{"The SITE_TOKEN provider requires the use of the `identity` input arg.", "BAD_USER_INPUT"}},
		{"bad identity", map[string]any{"identity": "bad_user"}, header, wpWant{"The user could not be logged in.", "INVALID_CREDENTIALS"}},
	} {
		if got := wpError(login(c.input, c.headers...)); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
	// Logged out: tokens, and the login's user is the current user, who
	// sees their own auth data; the identity is linked for future logins.
	r := login(map[string]any{"identity": "carol"}, header...)
	if r.get("errors") != nil || r.str("data", "login", "authToken") == "" || r.str("data", "login", "refreshTokenExpiration") == "" ||
		r.str("data", "login", "user", "databaseId") != "3" || r.str("data", "login", "user", "auth", "userSecret") == "" ||
		r.get("data", "login", "user", "auth", "isUserSecretRevoked") != false ||
		!jsonEqual(t, mustJSON(t, r.get("data", "login", "user", "auth", "linkedIdentities")), `[{"id": "carol", "provider": "SITETOKEN"}]`) {
		t.Fatalf("SITETOKEN login: %s", r.raw)
	}
	carol := r.str("data", "login", "authToken")
	// Already logged in, as that user or another.
	if got := wpError(login(map[string]any{"identity": "carol"}, append(header, "Authorization", "Bearer "+carol)...)); got != (wpWant{"You are already logged in.", "FORBIDDEN"}) {
		t.Errorf("logged in: %+v", got)
	}

	// linkUserIdentity with the identity input.
	const link = `mutation LinkUser($input: LinkUserIdentityInput!) { linkUserIdentity(input: $input) { success user { auth { linkedIdentities { id provider } } databaseId: id } } }`
	linkAs := func(userID, identity string, headers ...string) *reply {
		return s.post(wpPath, link, map[string]any{"input": map[string]any{"provider": "SITETOKEN", "userId": userID, "identity": identity}}, headers...)
	}
	bob, _ := wpPasswordLogin(t, s, "bob")
	asBob := []string{"Authorization", "Bearer " + bob}
	for _, c := range []struct {
		name string
		r    *reply
		want wpWant
	}{
		{"anonymous", linkAs("2", "12345", header...), wpWant{"You must be logged in to link your identity.", "UNAUTHENTICATED"}},
		{"as another user", linkAs("3", "12345", append(header, asBob...)...), wpWant{"You must be logged in as the user to link your identity.", "FORBIDDEN"}},
		{"no identity", linkAs("2", "", append(header, asBob...)...), wpWant{"The SITE_TOKEN provider requires the use of the `identity` input arg.", "BAD_USER_INPUT"}},
		{"no header", linkAs("2", "12345", asBob...), wpWant{"Missing site token in custom header.", "UNAUTHENTICATED"}},
		{"wrong token", linkAs("2", "12345", "Authorization", "Bearer "+bob, "X-Site-Token", "nope"), wpWant{"Invalid site token.", "UNAUTHENTICATED"}},
		// testLinkUserIdentityWithConflictingIdentity
		{"linked to another account", linkAs("2", "carol", append(header, asBob...)...), wpWant{"This identity is already linked to another account.", "BAD_USER_INPUT"}},
		// tests/wpunit/ProviderMutationsPasswordTest.php testLinkUserIdentity
		{"PASSWORD", s.post(wpPath, link, map[string]any{"input": map[string]any{"provider": "PASSWORD", "userId": "2"}}, asBob...),
			wpWant{"You cannot link two identities from the same WordPress site. Please use a different `provider`.", "BAD_USER_INPUT"}},
	} {
		if got := wpError(c.r); got != c.want {
			t.Errorf("link, %s: got %+v, want %+v (%s)", c.name, got, c.want, c.r.raw)
		}
	}
	r = linkAs("dXNlcjoy", "12345", append(header, asBob...)...)
	if r.get("data", "linkUserIdentity", "success") != true ||
		!jsonEqual(t, mustJSON(t, r.get("data", "linkUserIdentity", "user", "auth", "linkedIdentities")), `[{"id": "12345", "provider": "SITETOKEN"}]`) {
		t.Fatalf("link: %s", r.raw)
	}
	if got := wpError(linkAs("2", "12345", append(header, asBob...)...)); got != (wpWant{"This identity is already linked to your account.", "BAD_USER_INPUT"}) {
		t.Errorf("link again: %+v", got)
	}
	// The linked identity logs bob in.
	if r := login(map[string]any{"identity": "12345"}, header...); r.str("data", "login", "user", "databaseId") != "2" {
		t.Errorf("login by the linked identity: %s", r.raw)
	}
}

// TestWPGraphQLCompatRefreshToken: tests/wpunit/RefreshTokenMutationTest.php:
// a bad, an access or a revoked token answers success false with null
// tokens and no error; a valid one a token expiring 300 s on.
func TestWPGraphQLCompatRefreshToken(t *testing.T) {
	clock := newTestClock()
	s := wpServer(t, options{now: clock.Now})
	const q = `mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { authToken authTokenExpiration success } }`
	auth, refresh := wpPasswordLogin(t, s, "bob")
	refused := `{"data": {"refreshToken": {"authToken": null, "authTokenExpiration": null, "success": false}}}`
	for name, tok := range map[string]string{"testWithBadToken": "not-a-token", "testWithAuthToken": auth} {
		if r := s.post(wpPath, q, map[string]any{"t": tok}); !jsonEqual(t, r.raw, refused) {
			t.Errorf("%s: %s", name, r.raw)
		}
	}
	// testWithValidRefreshToken
	r := s.post(wpPath, q, map[string]any{"t": refresh})
	if r.get("errors") != nil || r.get("data", "refreshToken", "success") != true || r.str("data", "refreshToken", "authToken") == "" ||
		r.str("data", "refreshToken", "authTokenExpiration") != strconv.FormatInt(clock.Now().Add(300*time.Second).Unix(), 10) {
		t.Fatalf("testWithValidRefreshToken: %s", r.raw)
	}
	// testWithSecretRevoked
	const secret = `{ viewer { auth { isUserSecretRevoked userSecret } } }`
	before := s.post(wpPath, secret, nil, "Authorization", "Bearer "+auth).str("data", "viewer", "auth", "userSecret")
	if r := s.post(wpPath, `mutation { revokeUserSecret(input: {userId: "2"}) { success revokedUserSecret } }`, nil, "Authorization", "Bearer "+auth); r.get("data", "revokeUserSecret", "success") != true ||
		before == "" || r.str("data", "revokeUserSecret", "revokedUserSecret") != before {
		t.Fatalf("revokeUserSecret (secret %q): %s", before, r.raw)
	}
	if r := s.post(wpPath, q, map[string]any{"t": refresh}); !jsonEqual(t, r.raw, refused) {
		t.Errorf("testWithSecretRevoked: %s", r.raw)
	}
}

// TestWPGraphQLCompatRevokedSecret: the revoked user secret, from the
// plugin's source and tests, over HTTP. revokeUserSecret marks the secret
// revoked (src/Auth/TokenManager.php revoke_user_secret); while it is, no
// token is signed for the user (src/CoreSchemaFilters.php
// check_if_secret_is_revoked, tests/wpunit/CoreSchemaFiltersTest.php
// testCheckIfSecretIsRevokedWhenRevoked), refresh tokens are refused
// (RefreshTokenMutationTest.php testWithSecretRevoked) and
// isUserSecretRevoked is true (src/Model/User.php); refreshUserSecret
// issues a new secret and clears the mark (refresh_user_secret,
// issue_new_user_secret), after which the old secret's refresh tokens stay
// refused (testWithOldSecret) and new tokens work. An administrator acting
// on the user sees neither secret nor tokens (RevokeUserSecretMutationTest
// .php and RefreshUserSecretMutationTest.php testMutation).
func TestWPGraphQLCompatRevokedSecret(t *testing.T) {
	s := wpServer(t, options{})
	bob, bobRefresh := wpPasswordLogin(t, s, "bob")
	alice, _ := wpPasswordLogin(t, s, "alice")
	// An administrator looking at bob: the flag, and null secret, tokens
	// and expirations (UserAuthenticationQueryTest.php, as another user).
	const status = `query($id: ID!) { user(id: $id) { auth { isUserSecretRevoked userSecret authToken authTokenExpiration refreshToken refreshTokenExpiration linkedIdentities { id } } } }`
	revokedAs := func(t *testing.T, want bool) {
		t.Helper()
		want0 := `{"data": {"user": {"auth": {"isUserSecretRevoked": ` + strconv.FormatBool(want) + `, "userSecret": null, "authToken": null, "authTokenExpiration": null, "refreshToken": null, "refreshTokenExpiration": null, "linkedIdentities": null}}}}`
		if r := s.post(wpPath, status, map[string]any{"id": "dXNlcjoy"}, "Authorization", "Bearer "+alice); !jsonEqual(t, r.raw, want0) {
			t.Errorf("isUserSecretRevoked as an administrator: %s, want %s", r.raw, want0)
		}
	}
	revokedAs(t, false)
	before := s.post(wpPath, `{ viewer { auth { userSecret } } }`, nil, "Authorization", "Bearer "+bob).str("data", "viewer", "auth", "userSecret")
	r := s.post(wpPath, `mutation { revokeUserSecret(input: {userId: "2"}) { success revokedUserSecret } }`, nil, "Authorization", "Bearer "+bob)
	if want := `{"data": {"revokeUserSecret": {"success": true, "revokedUserSecret": "` + before + `"}}}`; before == "" || !jsonEqual(t, r.raw, want) {
		t.Fatalf("revokeUserSecret: %s, want %s", r.raw, want)
	}
	revokedAs(t, true)

	refused := `{"data": {"refreshToken": {"authToken": null, "success": false}}}`
	const refresh = `mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { authToken success } }`
	if r := s.post(wpPath, refresh, map[string]any{"t": bobRefresh}); !jsonEqual(t, r.raw, refused) {
		t.Errorf("refreshToken while revoked: %s", r.raw)
	}
	// A login with the right password: the plugin's UserError, with our
	// code and reason beside it.
	const login = `mutation { login(input: {provider: PASSWORD, credentials: {username: "bob", password: "bob-password"}}) { authToken refreshToken } }`
	r = s.post(wpPath, login, nil)
	if r.str("errors", 0, "message") != "A JWT token cannot be issued for this user." || r.str("errors", 0, "extensions", "code") != "FORBIDDEN" ||
		r.str("errors", 0, "extensions", "reason") != "TOKEN_REVOKED" || r.get("data", "login") != nil || len(r.get("errors").([]any)) != 1 {
		t.Errorf("login while revoked: %s", r.raw)
	}
	// A wrong password still answers as one.
	if r := s.post(wpPath, `mutation { login(input: {provider: PASSWORD, credentials: {username: "bob", password: "nope"}}) { authToken } }`, nil); r.str("errors", 0, "message") != "The user could not be logged in." {
		t.Errorf("wrong password while revoked: %s", r.raw)
	}
	// The documented deviation: bob's token of before is refused at once
	// (the plugin honours it until it expires), so the request is
	// anonymous with a 403, and bob cannot lift the revocation himself.
	r = s.post(wpPath, `mutation { refreshUserSecret(input: {userId: "2"}) { success } }`, nil, "Authorization", "Bearer "+bob)
	if r.status != http.StatusForbidden || wpError(r) != (wpWant{"You are not allowed to refresh the user secret.", "UNAUTHENTICATED"}) {
		t.Errorf("refreshUserSecret with the revoked token: %d %s", r.status, r.raw)
	}
	// The administrator refreshes it: success, and no secret or token for
	// the administrator.
	r = s.post(wpPath, `mutation { refreshUserSecret(input: {userId: "dXNlcjoy"}) { success authToken refreshToken userSecret revokedUserSecret } }`, nil, "Authorization", "Bearer "+alice)
	if want := `{"data": {"refreshUserSecret": {"success": true, "authToken": null, "refreshToken": null, "userSecret": null, "revokedUserSecret": null}}}`; !jsonEqual(t, r.raw, want) {
		t.Fatalf("refreshUserSecret as an administrator: %s, want %s", r.raw, want)
	}
	revokedAs(t, false)
	if r := s.post(wpPath, refresh, map[string]any{"t": bobRefresh}); !jsonEqual(t, r.raw, refused) {
		t.Errorf("refreshToken of the old secret after refreshUserSecret: %s", r.raw)
	}
	again, againRefresh := wpPasswordLogin(t, s, "bob")
	r = s.post(wpPath, `{ viewer { auth { isUserSecretRevoked userSecret } } }`, nil, "Authorization", "Bearer "+again)
	secret := r.str("data", "viewer", "auth", "userSecret")
	if r.get("data", "viewer", "auth", "isUserSecretRevoked") != false || secret == "" || secret == before {
		t.Errorf("viewer after refreshUserSecret: %s", r.raw)
	}
	if r := s.post(wpPath, refresh, map[string]any{"t": againRefresh}); r.get("data", "refreshToken", "success") != true {
		t.Errorf("refreshToken of the new secret: %s", r.raw)
	}
	// refreshUserSecret as the user: new tokens that work, the old one
	// refused (RefreshUserSecretMutationTest.php testMutation, as the user).
	r = s.post(wpPath, `mutation { refreshUserSecret(input: {userId: "2"}) { success authToken refreshToken userSecret revokedUserSecret } }`, nil, "Authorization", "Bearer "+again)
	newToken := r.str("data", "refreshUserSecret", "authToken")
	if r.get("data", "refreshUserSecret", "success") != true || newToken == "" || r.str("data", "refreshUserSecret", "refreshToken") == "" ||
		r.str("data", "refreshUserSecret", "revokedUserSecret") != secret || r.str("data", "refreshUserSecret", "userSecret") == secret {
		t.Fatalf("refreshUserSecret as the user: %s", r.raw)
	}
	if r := s.post(wpPath, `{ viewer { id } }`, nil, "Authorization", "Bearer "+newToken); r.status != http.StatusOK || r.str("data", "viewer", "id") != "2" {
		t.Errorf("the token of refreshUserSecret: %d %s", r.status, r.raw)
	}
	if r := s.post(wpPath, `{ viewer { id } }`, nil, "Authorization", "Bearer "+again); r.status != http.StatusForbidden || r.get("data", "viewer") != nil {
		t.Errorf("the token of the secret before refreshUserSecret: %d %s", r.status, r.raw)
	}
}

// TestWPGraphQLCompatUserSecretAndLogout: tests/wpunit/
// RevokeUserSecretMutationTest.php and RefreshUserSecretMutationTest.php
// testWithBadPermissions and testWithBadId; LogoutMutationTest.php
// testWithMutationEnabled.
func TestWPGraphQLCompatUserSecretAndLogout(t *testing.T) {
	s := wpServer(t, options{})
	carol, _ := wpPasswordLogin(t, s, "carol")
	for _, verb := range []string{"revoke", "refresh"} {
		q := `mutation($id: ID!) { ` + verb + `UserSecret(input: {userId: $id}) { success } }`
		want := wpWant{"You are not allowed to " + verb + " the user secret.", ""}
		for name, c := range map[string]struct {
			id      string
			headers []string
			code    string
		}{
			"testWithBadPermissions": {"2", []string{"Authorization", "Bearer " + carol}, "FORBIDDEN"},
			"anonymous":              {"2", nil, "UNAUTHENTICATED"},
			"testWithBadId":          {"", []string{"Authorization", "Bearer " + carol}, "BAD_USER_INPUT"},
		} {
			want.code = c.code
			if got := wpError(s.post(wpPath, q, map[string]any{"id": c.id}, c.headers...)); got != want {
				t.Errorf("%sUserSecret, %s: got %+v, want %+v", verb, name, got, want)
			}
		}
	}
	const logout = `mutation { logout(input: {}) { success } }`
	if r := s.post(wpPath, logout, nil); r.raw != `{"data":{"logout":{"success":null}}}` {
		t.Errorf("logout, anonymous: %s", r.raw)
	}
	if r := s.post(wpPath, logout, nil, "Authorization", "Bearer "+carol); r.raw != `{"data":{"logout":{"success":true}}}` {
		t.Errorf("logout: %s", r.raw)
	}
	// Stronger than the plugin, whose logout leaves the token valid: the
	// token is revoked, so the caller is anonymous after it.
	if r := s.post(wpPath, `{ viewer { id } }`, nil, "Authorization", "Bearer "+carol); r.get("data", "viewer") != nil {
		t.Errorf("viewer after logout: %s", r.raw)
	}
	// The root mutation type's name shows in graphql-go's messages, as in
	// LogoutMutationTest.php testWithMutationDisabled.
	if r := s.post(wpPath, `mutation { nope { success } }`, nil); !strings.HasPrefix(r.str("errors", 0, "message"), `Cannot query field "nope" on type "RootMutation".`) {
		t.Errorf("root mutation type: %s", r.raw)
	}
	if r := s.post(wpPath, `{ nope }`, nil); !strings.HasPrefix(r.str("errors", 0, "message"), `Cannot query field "nope" on type "RootQuery".`) {
		t.Errorf("root query type: %s", r.raw)
	}
}

// TestWPGraphQLCompatRequests: tests/functional/AuthenticatedQueryCest.php:
// an invalid bearer token answers 403 with public data and viewer null and
// no token headers; no token, 200 and no headers; a valid token, the
// X-WPGraphQL-Login-Token header with a working token. The token claims
// carry data.user.id (src/Auth/TokenManager.php prepare_token), and live
// 300 s and 365 days.
func TestWPGraphQLCompatRequests(t *testing.T) {
	clock := newTestClock()
	s := wpServer(t, options{now: clock.Now})
	const q = `{ viewer { id } posts { id title } }`
	for name, headers := range map[string][]string{"invalid token": {"Authorization", "Bearer not.a.token"}, "no token": nil} {
		r := s.post(wpPath, q, nil, headers...)
		want := http.StatusOK
		if headers != nil {
			want = http.StatusForbidden
		}
		if r.status != want || r.get("errors") != nil || r.get("data", "viewer") != nil || r.str("data", "posts", 0, "title") == "" ||
			r.header.Get("X-WPGraphQL-Login-Token") != "" {
			t.Errorf("%s: %d %v %s", name, r.status, r.header, r.raw)
		}
	}
	r := s.post(wpPath, `mutation { login(input: {provider: PASSWORD, credentials: {username: "bob", password: "bob-password"}}) { authToken authTokenExpiration refreshTokenExpiration } }`, nil)
	token := r.str("data", "login", "authToken")
	if r.str("data", "login", "authTokenExpiration") != strconv.FormatInt(clock.Now().Add(300*time.Second).Unix(), 10) ||
		r.str("data", "login", "refreshTokenExpiration") != strconv.FormatInt(clock.Now().Add(365*24*time.Hour).Unix(), 10) {
		t.Errorf("lifetimes: %s", r.raw)
	}
	// src/Auth/TokenManager.php prepare_token: iss is the site URL, nbf
	// is iat, data.user.id the user's ID.
	claims := tokenClaims(t, token)
	iat := strconv.FormatInt(clock.Now().Unix(), 10)
	if data, _ := claims["data"].(map[string]any); mustJSON(t, data) != `{"user":{"id":2}}` || claims["iss"] != wpSiteURL ||
		mustJSON(t, claims["iat"]) != iat || mustJSON(t, claims["nbf"]) != iat {
		t.Errorf("claims: %v", claims)
	}
	clock.Advance(time.Minute)
	r = s.post(wpPath, q, nil, "Authorization", "Bearer "+token)
	renewed := r.header.Get("X-WPGraphQL-Login-Token")
	if r.status != http.StatusOK || r.str("data", "viewer", "id") != "2" || renewed == "" || renewed == token ||
		!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "X-WPGraphQL-Login-Token") || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("valid token: %d %v %s", r.status, r.header, r.raw)
	}
	// src/Auth/Request.php add_tokens_to_headers sends a refresh token
	// too, on this request only (one with a valid bearer token): the
	// README's deviation, since each would be a stored session.
	if h := r.header.Get("X-WPGraphQL-Login-Refresh-Token"); h != "" {
		t.Errorf("X-WPGraphQL-Login-Refresh-Token sent: %q", h)
	}
	// The renewed token works, and expires 300 s after it was issued.
	clock.Advance(280 * time.Second)
	if r := s.post(wpPath, q, nil, "Authorization", "Bearer "+renewed); r.str("data", "viewer", "id") != "2" {
		t.Errorf("renewed token: %s", r.raw)
	}
	if r := s.post(wpPath, q, nil, "Authorization", "Bearer "+token); r.status != http.StatusForbidden || r.get("data", "viewer") != nil {
		t.Errorf("the first token, expired: %d %s", r.status, r.raw)
	}
	// validate_token requires the site's iss: a token of another
	// endpoint, signed with the same key but without it, is refused.
	other := s.post("/graphql", `mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`, nil).str("data", "tokenAuth", "token")
	if r := s.post(wpPath, q, nil, "Authorization", "Bearer "+other); other == "" || r.status != http.StatusForbidden || r.get("data", "viewer") != nil {
		t.Errorf("a token without the iss: %d %s", r.status, r.raw)
	}
}

// TestWPGraphQLCompatLoginClients: tests/wpunit/LoginClientQueriesTest.php
// testClientsQuery and testClientQuery: the enabled providers, and a
// disabled one answered with isEnabled false.
func TestWPGraphQLCompatLoginClients(t *testing.T) {
	s := wpServer(t, options{})
	r := s.post(wpPath, `{ loginClients { name provider isEnabled order clientId authorizationUrl } loginClient(provider: OAUTH2_GENERIC) { provider isEnabled } }`, nil)
	want := `{"data": {"loginClients": [
  {"name": "Password", "provider": "PASSWORD", "isEnabled": true, "order": 0, "clientId": null, "authorizationUrl": null},
  {"name": "Site Token", "provider": "SITETOKEN", "isEnabled": true, "order": 1, "clientId": null, "authorizationUrl": null}],
 "loginClient": {"provider": "OAUTH2_GENERIC", "isEnabled": false}}}`
	if !jsonEqual(t, r.raw, want) {
		t.Errorf("loginClients: %s", r.raw)
	}
}
