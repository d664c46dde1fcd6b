package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"
)

// oauthServer is an in-process OAuth2 authorization server: it issues an
// authorization code for an account, exchanges it once for an access
// token and answers the user-info request for that token.
type oauthServer struct {
	*httptest.Server
	mu         sync.Mutex
	codes      map[string]string // code -> account
	challenges map[string]string // code -> PKCE S256 challenge
	tokens     map[string]string // access token -> account
}

func newOAuthServer(t *testing.T) *oauthServer {
	o := &oauthServer{codes: map[string]string{}, challenges: map[string]string{}, tokens: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "authorization_code" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		if id, secret, ok := r.BasicAuth(); !ok || id != "demo-client" || secret != "demo-secret" {
			if r.Form.Get("client_id") != "demo-client" || r.Form.Get("client_secret") != "demo-secret" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
				return
			}
		}
		o.mu.Lock()
		code := r.Form.Get("code")
		account, ok := o.codes[code]
		// PKCE (RFC 7636): the code goes only with the verifier of the
		// challenge the authorization carried.
		sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
		if ok && base64.RawURLEncoding.EncodeToString(sum[:]) != o.challenges[code] {
			ok = false
		}
		delete(o.codes, code)
		token := randomString(t)
		if ok {
			o.tokens[token] = account
		}
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("/userinfo", func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		account, ok := o.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		o.mu.Unlock()
		if !ok {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if id, numeric := strings.CutPrefix(account, "num:"); numeric {
			// An integer ID past 2^53, as a JSON number.
			_, _ = w.Write([]byte(`{"id": ` + id + `}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"sub": account, "email": account + "@provider.example"})
	})
	o.Server = httptest.NewServer(mux)
	t.Cleanup(o.Close)
	return o
}

// authorize is the user consenting at the provider: a code for account,
// issued for the PKCE challenge the authorization request carried.
func (o *oauthServer) authorize(t *testing.T, account, challenge string) string {
	code := randomString(t)
	o.mu.Lock()
	o.codes[code] = account
	o.challenges[code] = challenge
	o.mu.Unlock()
	return code
}

func (o *oauthServer) config() *oauth2.Config {
	return &oauth2.Config{
		ClientID: "demo-client", ClientSecret: "demo-secret", RedirectURL: "http://localhost/callback",
		Endpoint: oauth2.Endpoint{AuthURL: o.URL + "/authorize", TokenURL: o.URL + "/token"},
	}
}

func randomString(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// authorization is one OAUTH2_GENERIC flow as a browser runs it: started
// at the demo server (GET /oauth2/authorize), which binds it to the browser
// with a cookie, consented at the provider for account.
type authorization struct {
	code, state, cookie string
}

func (s *server) authorize(t *testing.T, provider *oauthServer, account string) authorization {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(s.url + "/oauth2/authorize")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	if err != nil || resp.StatusCode != http.StatusFound || q.Get("state") == "" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "gqljwt-oauth2" {
			if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				t.Errorf("binding cookie attributes: %+v", c)
			}
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatalf("authorize set no binding cookie: %v", resp.Header["Set-Cookie"])
	}
	return authorization{code: provider.authorize(t, account, q.Get("code_challenge")), state: q.Get("state"), cookie: cookie}
}

// wpOperation is a seed 002 operation as a WPGraphQL client sends it: the
// document's own text, with the client's fragment MyUserFrag defined
// (every operation spreads it, the seed does not show it) and the fields
// the seed marks as available only with WPGraphQL for WooCommerce left
// out, since this server has no WooCommerce.
func wpOperation(t *testing.T, doc, start string) string {
	t.Helper()
	op := operation(t, doc, start, 0)
	op = strings.Replace(op, `    # The following fields are available if WPGraphQL for WooCommerce is installed.
    wooSessionToken
    customer {
      ...MyCustomerFrag
    }
`, "", 1)
	if strings.Contains(op, "wooSessionToken") {
		t.Fatalf("WooCommerce block not found in %q", op)
	}
	if strings.Contains(op, "...MyUserFrag") {
		op += "\n\nfragment MyUserFrag on User {\n  id\n  username\n  email\n}\n"
	}
	return op
}

const siteToken = "site-token-0123456789abcdef-0123456789"

// Seed 002: WPGraphQL Headless Login on /wpgraphql, with the PASSWORD,
// SITETOKEN and OAUTH2_GENERIC providers.
func TestSeed002WPGraphQL(t *testing.T) {
	doc := seed(t, "002")
	provider := newOAuthServer(t)
	s := newServer(t, options{siteToken: []byte(siteToken), siteTokenHeader: "X-Site-Token",
		oauth2: provider.config(), userInfoURL: provider.URL + "/userinfo"})
	const path = "/wpgraphql"

	// PASSWORD
	r := s.post(path, wpOperation(t, doc, "mutation loginWithPassword("), map[string]any{"username": "bob", "password": "bob-password"})
	auth, refresh := r.str("data", "login", "authToken"), r.str("data", "login", "refreshToken")
	exp, rexp := r.str("data", "login", "authTokenExpiration"), r.str("data", "login", "refreshTokenExpiration")
	if auth == "" || refresh == "" || exp == "" || rexp == "" || len(r.body) != 1 {
		t.Fatalf("loginWithPassword: %s", r.raw)
	}
	if !jsonEqual(t, mustJSON(t, r.get("data", "login", "user")), `{"id": "2", "username": "bob", "email": "bob@example.com"}`) {
		t.Errorf("user: %s", r.raw)
	}

	// Exchange the refresh token for a new auth token.
	r = s.post(path, operation(t, doc, "mutation refreshToken(", 0), map[string]any{"token": refresh})
	if r.str("data", "refreshToken", "authToken") == "" || r.str("data", "refreshToken", "authTokenExpiration") == "" ||
		r.get("data", "refreshToken", "success") != true {
		t.Fatalf("refreshToken: %s", r.raw)
	}

	// SITETOKEN: only with the site token header.
	asIdentity := wpOperation(t, doc, "mutation loginAsIdentity(")
	r = s.post(path, asIdentity, map[string]any{"identity": "carol@example.com"}, "X-Site-Token", siteToken)
	if r.str("data", "login", "authToken") == "" || r.str("data", "login", "user", "id") != "3" {
		t.Fatalf("loginAsIdentity: %s", r.raw)
	}
	for name, c := range map[string]struct {
		headers []string
		message string
	}{
		"no header": {nil, "Missing site token in custom header."}, "wrong token": {[]string{"X-Site-Token", siteToken + "x"}, "Invalid site token."}} {
		r = s.post(path, asIdentity, map[string]any{"identity": "carol"}, c.headers...)
		if r.get("data", "login") != nil || r.str("errors", 0, "extensions", "code") != "UNAUTHENTICATED" || r.str("errors", 0, "message") != c.message {
			t.Errorf("loginAsIdentity, %s: %s", name, r.raw)
		}
	}

	// linkUserIdentity: bob links his account at the provider. The seed's
	// operation lacks the ")" closing its variable definitions, a typo no
	// GraphQL server accepts; it is sent with that one character added.
	link := operation(t, doc, "mutation linkUserIdentity(", 0)
	link = strings.Replace(link, "to verify the authenticity of the response.\n {", "to verify the authenticity of the response.\n) {", 1)
	if !strings.Contains(link, "response.\n) {") {
		t.Fatalf("the seed's linkUserIdentity changed: %q", link)
	}
	// userId is "either the global or database ID": bob's global ID here.
	az := s.authorize(t, provider, "acct-42")
	vars := map[string]any{"provider": "OAUTH2_GENERIC", "userId": "dXNlcjoy", "code": az.code, "state": az.state}
	r = s.post(path, link, vars, "Authorization", "Bearer "+auth, "Cookie", az.cookie)
	if r.get("data", "linkUserIdentity", "success") != true ||
		!jsonEqual(t, mustJSON(t, r.get("data", "linkUserIdentity", "user", "auth", "linkedIdentities")), `[{"id": "acct-42", "provider": "OAUTH2_GENERIC"}]`) {
		t.Fatalf("linkUserIdentity: %s", r.raw)
	}
	// An account linked to bob cannot be linked to alice too.
	aliceUser, err := s.app.users.UserByUsername(ctxBackground, "alice")
	if err != nil {
		t.Fatal(err)
	}
	aliceSession, err := s.app.services[path].StartSession(ctxBackground, aliceUser)
	if err != nil {
		t.Fatal(err)
	}
	az = s.authorize(t, provider, "acct-42")
	vars = map[string]any{"provider": "OAUTH2_GENERIC", "userId": "1", "code": az.code, "state": az.state}
	r = s.post(path, link, vars, "Authorization", "Bearer "+aliceSession.Access.Value, "Cookie", az.cookie)
	if r.str("errors", 0, "message") != "This identity is already linked to another account." || r.str("errors", 0, "extensions", "code") != "BAD_USER_INPUT" {
		t.Errorf("linking bob's account to alice: %s", r.raw)
	}
	// Not for somebody else's account, and not anonymously.
	az = s.authorize(t, provider, "acct-43")
	vars = map[string]any{"provider": "OAUTH2_GENERIC", "userId": "1", "code": az.code, "state": az.state}
	if r = s.post(path, link, vars, "Authorization", "Bearer "+auth, "Cookie", az.cookie); r.str("errors", 0, "extensions", "code") != "FORBIDDEN" {
		t.Errorf("linking for another user: %s", r.raw)
	}
	if r = s.post(path, link, vars, "Cookie", az.cookie); r.str("errors", 0, "extensions", "code") != "UNAUTHENTICATED" {
		t.Errorf("anonymous link: %s", r.raw)
	}

	// OAUTH2_GENERIC login with the linked account.
	oauthLogin := wpOperation(t, doc, "mutation login(")
	az = s.authorize(t, provider, "acct-42")
	vars = map[string]any{"provider": "OAUTH2_GENERIC", "code": az.code, "state": az.state}
	r = s.post(path, oauthLogin, vars, "Cookie", az.cookie)
	if r.str("data", "login", "authToken") == "" || r.str("data", "login", "user", "id") != "2" {
		t.Fatalf("OAuth2 login: %s", r.raw)
	}
	// The state is good once; a state this server did not issue never.
	vars["code"] = provider.authorize(t, "acct-42", "")
	if r = s.post(path, oauthLogin, vars, "Cookie", az.cookie); r.str("errors", 0, "message") != "Invalid or expired OAuth2 state" {
		t.Errorf("replayed state: %s", r.raw)
	}
	az = s.authorize(t, provider, "acct-42")
	vars = map[string]any{"provider": "OAUTH2_GENERIC", "code": az.code, "state": "made-up"}
	if r = s.post(path, oauthLogin, vars, "Cookie", az.cookie); r.str("errors", 0, "extensions", "code") != "BAD_USER_INPUT" {
		t.Errorf("unknown state: %s", r.raw)
	}
	// The seed declares $state optional (String); gqljwt requires it:
	// without a state the authorization response cannot be tied to the
	// browser that started the login (login CSRF, RFC 6749 section 10.12).
	vars = map[string]any{"provider": "OAUTH2_GENERIC", "code": az.code}
	if r = s.post(path, oauthLogin, vars, "Cookie", az.cookie); r.str("errors", 0, "message") != "Invalid or expired OAuth2 state" || r.str("errors", 0, "extensions", "code") != "BAD_USER_INPUT" {
		t.Errorf("no state: %s", r.raw)
	}
	// Login CSRF: an attacker starts an authorization in their own browser
	// and makes the victim's browser send their code and state. The
	// victim's browser lacks the attacker's binding cookie: refused, and
	// the state is spent.
	attacker, victim := s.authorize(t, provider, "acct-42"), s.authorize(t, provider, "acct-42")
	vars = map[string]any{"provider": "OAUTH2_GENERIC", "code": attacker.code, "state": attacker.state}
	if r = s.post(path, oauthLogin, vars, "Cookie", victim.cookie); r.str("errors", 0, "message") != "Invalid or expired OAuth2 state" {
		t.Errorf("state of another browser: %s", r.raw)
	}
	if r = s.post(path, oauthLogin, vars); r.str("errors", 0, "message") != "Invalid or expired OAuth2 state" {
		t.Errorf("state without its cookie: %s", r.raw)
	}
	if r = s.post(path, oauthLogin, vars, "Cookie", attacker.cookie); r.str("errors", 0, "message") != "Invalid or expired OAuth2 state" {
		t.Errorf("a state shown to the wrong browser stays spent: %s", r.raw)
	}
	// PKCE: a code issued for another authorization's challenge is
	// refused by the provider, since the server sends this one's verifier.
	one, other := s.authorize(t, provider, "acct-42"), s.authorize(t, provider, "acct-42")
	vars = map[string]any{"provider": "OAUTH2_GENERIC", "code": other.code, "state": one.state}
	if r = s.post(path, oauthLogin, vars, "Cookie", one.cookie); r.str("errors", 0, "message") != "The authorization code was refused" {
		t.Errorf("code of another authorization: %s", r.raw)
	}
	// A code the provider refuses, and an account linked to nobody.
	az = s.authorize(t, provider, "acct-42")
	vars = map[string]any{"provider": "OAUTH2_GENERIC", "code": "bogus", "state": az.state}
	if r = s.post(path, oauthLogin, vars, "Cookie", az.cookie); r.str("errors", 0, "message") != "The authorization code was refused" {
		t.Errorf("bad code: %s", r.raw)
	}
	az = s.authorize(t, provider, "acct-unknown")
	vars = map[string]any{"provider": "OAUTH2_GENERIC", "code": az.code, "state": az.state}
	if r = s.post(path, oauthLogin, vars, "Cookie", az.cookie); r.str("errors", 0, "message") != "No user is linked to this account" {
		t.Errorf("unlinked account: %s", r.raw)
	}
	// Numeric account IDs past 2^53 keep every digit.
	az = s.authorize(t, provider, "num:9007199254740993")
	vars = map[string]any{"provider": "OAUTH2_GENERIC", "userId": "2", "code": az.code, "state": az.state}
	r = s.post(path, link, vars, "Authorization", "Bearer "+auth, "Cookie", az.cookie)
	if !strings.Contains(mustJSON(t, r.get("data", "linkUserIdentity", "user", "auth", "linkedIdentities")), `"id":"9007199254740993"`) {
		t.Errorf("numeric account ID: %s", r.raw)
	}

	// revokeUserSecret: self only (or an admin); all of bob's tokens die.
	revoke := operation(t, doc, "mutation revokeUserSecret(", 0)
	carol := s.post(path, asIdentity, map[string]any{"identity": "carol"}, "X-Site-Token", siteToken).str("data", "login", "authToken")
	if r = s.post(path, revoke, map[string]any{"userId": "2"}, "Authorization", "Bearer "+carol); r.str("errors", 0, "extensions", "code") != "FORBIDDEN" {
		t.Errorf("carol revoking bob's secret: %s", r.raw)
	}
	r = s.post(path, revoke, map[string]any{"userId": "2"}, "Authorization", "Bearer "+auth)
	if r.get("data", "revokeUserSecret", "success") != true || r.str("data", "revokeUserSecret", "revokedUserSecret") == "" {
		t.Fatalf("revokeUserSecret: %s", r.raw)
	}
	if r = s.post(path, `{ me { id } }`, nil, "Authorization", "Bearer "+auth); r.str("errors", 0, "extensions", "reason") != "TOKEN_REVOKED" {
		t.Errorf("auth token after revokeUserSecret: %s", r.raw)
	}
	// The plugin's refreshToken (src/Mutation/RefreshToken.php) answers a
	// token it refuses with success false and a null authToken, not an
	// error: its clients test refreshToken.success.
	if r = s.post(path, operation(t, doc, "mutation refreshToken(", 0), map[string]any{"token": refresh}); r.get("data", "refreshToken", "success") != false ||
		r.get("data", "refreshToken", "authToken") != nil || r.get("errors") != nil {
		t.Errorf("refresh token after revokeUserSecret: %s", r.raw)
	}
	for _, bad := range []string{"not-a-refresh-token", strings.Repeat("A", 43)} {
		if r = s.post(path, operation(t, doc, "mutation refreshToken(", 0), map[string]any{"token": bad}); r.get("data", "refreshToken", "success") != false || r.get("errors") != nil {
			t.Errorf("refresh token %q: %s", bad, r.raw)
		}
	}

	// While the secret is revoked no token is issued for bob (the plugin's
	// check_if_secret_is_revoked): an administrator lifts it with
	// refreshUserSecret, and bob logs in again.
	alice := s.post(path, wpOperation(t, doc, "mutation loginWithPassword("), map[string]any{"username": "alice", "password": "alice-password"}).str("data", "login", "authToken")
	if r = s.post(path, wpOperation(t, doc, "mutation loginWithPassword("), map[string]any{"username": "bob", "password": "bob-password"}); r.str("errors", 0, "message") != "A JWT token cannot be issued for this user." {
		t.Errorf("login while the secret is revoked: %s", r.raw)
	}
	if r = s.post(path, operation(t, doc, "mutation refreshUserSecret(", 0), map[string]any{"userId": "2"}, "Authorization", "Bearer "+alice); r.get("data", "refreshUserSecret", "success") != true {
		t.Fatalf("admin refreshing bob's secret: %s", r.raw)
	}

	// refreshUserSecret: new secret and new tokens for the caller.
	r = s.post(path, wpOperation(t, doc, "mutation loginWithPassword("), map[string]any{"username": "bob", "password": "bob-password"})
	auth = r.str("data", "login", "authToken")
	r = s.post(path, operation(t, doc, "mutation refreshUserSecret(", 0), map[string]any{"userId": "dXNlcjoy"}, "Authorization", "Bearer "+auth)
	newAuth := r.str("data", "refreshUserSecret", "authToken")
	secret, old := r.str("data", "refreshUserSecret", "userSecret"), r.str("data", "refreshUserSecret", "revokedUserSecret")
	if newAuth == "" || r.str("data", "refreshUserSecret", "refreshToken") == "" || secret == "" || old == "" || secret == old ||
		r.get("data", "refreshUserSecret", "success") != true {
		t.Fatalf("refreshUserSecret: %s", r.raw)
	}
	if r = s.post(path, `{ me { id } }`, nil, "Authorization", "Bearer "+auth); r.get("data", "me") != nil {
		t.Errorf("old auth token after refreshUserSecret: %s", r.raw)
	}
	if r = s.post(path, `{ me { id } }`, nil, "Authorization", "Bearer "+newAuth); r.str("data", "me", "id") != "2" {
		t.Errorf("new auth token: %s", r.raw)
	}
	// An admin may revoke another user's secret.
	if r = s.post(path, revoke, map[string]any{"userId": "dXNlcjoz"}, "Authorization", "Bearer "+alice); r.get("data", "revokeUserSecret", "success") != true {
		t.Errorf("admin revoking carol's secret by global ID: %s", r.raw)
	}
	// A global ID of another type names no user.
	if r = s.post(path, revoke, map[string]any{"userId": "cG9zdDoz"}, "Authorization", "Bearer "+alice); r.str("errors", 0, "message") != "No such user" {
		t.Errorf("revoking by a post's global ID: %s", r.raw)
	}
}
