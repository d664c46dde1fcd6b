package mutations_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/middleware"
	"github.com/gqljwt/gqljwt/mutations"
	"github.com/graphql-go/graphql"
)

// cookieAPI serves preset in cookie mode over TLS, behind middleware.CSRF
// unless bare, with the access cookie read after the header, and a client
// with a cookie jar.
func cookieAPI(t *testing.T, preset mutations.Preset, bare bool) (*httptest.Server, *http.Client) {
	t.Helper()
	ec := envConfig{cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens()}, preset: preset, tls: true,
		extractors: []middleware.Extractor{middleware.FromAccessCookie(preset.Cookies)}}
	if !bare {
		csrf, err := middleware.CSRF(middleware.CSRFPolicy{Cookies: preset.Cookies})
		if err != nil {
			t.Fatal(err)
		}
		ec.wrap = csrf
	}
	e := newEnv(t, ec)
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client()
	c.Jar = jar
	return e.srv, &c
}

func cookiePost(t *testing.T, srv *httptest.Server, c *http.Client, query string) (*response, []string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest("POST", srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := &response{Header: resp.Header, Raw: string(raw)}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("response %q: %v", raw, err)
	}
	return out, resp.Header.Values("Set-Cookie")
}

func withCookies(p mutations.Preset, c gqljwt.CookieConfig) mutations.Preset {
	p.Cookies = &c
	return p
}

// TestHideTokensLeavesTheFieldsOut: with HideTokens the token fields are
// not in the schema, as django-graphql-jwt's JWT_HIDE_TOKEN_FIELDS
// removes them (mixins.py JSONWebTokenMixin.Field): selecting one is a
// validation error, and the tokens travel in the cookies alone.
func TestHideTokensLeavesTheFieldsOut(t *testing.T) {
	c := mutations.DjangoCookies()
	c.HideTokens = true
	srv, client := cookieAPI(t, withCookies(mutations.Graphene(), c), false)
	r, _ := cookiePost(t, srv, client, `mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`)
	if len(r.Errors) != 1 || r.Errors[0]["message"] != `Cannot query field "token" on type "ObtainJSONWebToken".` {
		t.Errorf("token selected: %s", r.Raw)
	}
	r, set := cookiePost(t, srv, client, `mutation { tokenAuth(username: "bob", password: "bob-password") { payload refreshExpiresIn } }`)
	if len(r.Errors) != 0 || len(set) != 2 || !strings.HasPrefix(set[0], "JWT=ey") || !strings.HasPrefix(set[1], "JWT-refresh-token=") {
		t.Fatalf("login: %s %q", r.Raw, set)
	}
	for _, s := range set {
		value, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(s, "JWT="), "JWT-refresh-token="), ";")
		if strings.Contains(r.Raw, value) {
			t.Errorf("the body holds the cookie's token: %s", r.Raw)
		}
	}
	if r, _ := cookiePost(t, srv, client, `mutation { refreshToken { refreshToken } }`); len(r.Errors) != 1 ||
		r.Errors[0]["message"] != `Cannot query field "refreshToken" on type "Refresh". Did you mean "refreshExpiresIn"?` {
		t.Errorf("refreshToken selected: %s", r.Raw)
	}
	if r, _ := cookiePost(t, srv, client, `mutation { refreshToken { payload } }`); r.str("refreshToken", "payload", "username") != "bob" {
		t.Errorf("refresh by cookie: %s", r.Raw)
	}
	if r, _ := cookiePost(t, srv, client, `{ me }`); r.str("me") != "bob" {
		t.Errorf("me by cookie: %s", r.Raw)
	}
}

// TestCookieModeRelayShapes: graphql_jwt.relay's cookie mutations take
// input: {} and echo clientMutationId (tests/test_relay.py
// DeleteCookieTests).
func TestCookieModeRelayShapes(t *testing.T) {
	srv, client := cookieAPI(t, withCookies(mutations.GrapheneRelay(), mutations.DjangoCookies()), false)
	if r, _ := cookiePost(t, srv, client, `mutation { tokenAuth(input: {username: "bob", password: "bob-password"}) { token } }`); r.str("tokenAuth", "token") == "" {
		t.Fatalf("login: %s", r.Raw)
	}
	r, set := cookiePost(t, srv, client, `mutation { deleteTokenCookie(input: {clientMutationId: "x"}) { deleted clientMutationId } }`)
	if r.Raw != `{"data":{"deleteTokenCookie":{"clientMutationId":"x","deleted":true}}}` || len(set) != 1 || set[0] != "JWT=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax" {
		t.Errorf("deleteTokenCookie: %s %q", r.Raw, set)
	}
	r, _ = cookiePost(t, srv, client, `mutation { refreshToken(input: {}) { token refreshToken } }`)
	if r.str("refreshToken", "token") == "" {
		t.Errorf("refresh by cookie: %s", r.Raw)
	}
	r, _ = cookiePost(t, srv, client, `mutation { deleteRefreshTokenCookie(input: {}) { deleted } }`)
	if r.Raw != `{"data":{"deleteRefreshTokenCookie":{"deleted":true}}}` {
		t.Errorf("deleteRefreshTokenCookie: %s", r.Raw)
	}
}

// TestCookieModeWithoutCSRF: an endpoint in cookie mode that forgot
// middleware.CSRF neither sets cookies nor lets them authenticate: login
// is refused before it runs and the access cookie is ignored.
func TestCookieModeWithoutCSRF(t *testing.T) {
	p := withCookies(mutations.Native(), gqljwt.CookieConfig{AccessName: "access"})
	srv, client := cookieAPI(t, p, true)
	r, set := cookiePost(t, srv, client, `mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`)
	if r.code(t) != "CSRF_REFUSED" || len(set) != 0 || r.field("tokenAuth") != nil {
		t.Errorf("login without CSRF: %s %q", r.Raw, set)
	}
	guarded, _ := cookieAPI(t, p, false)
	_, set = cookiePost(t, guarded, client, `mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`)
	if len(set) != 2 {
		t.Fatalf("login with CSRF: %q", set)
	}
	// The same browser, its cookie valid, on the bare endpoint.
	u := srv.URL + "/graphql"
	req, _ := http.NewRequest("POST", u, strings.NewReader(`{"query":"{ me }"}`))
	req.Header.Set("Content-Type", "application/json")
	v, _, _ := strings.Cut(strings.TrimPrefix(set[0], "access="), ";")
	req.AddCookie(&http.Cookie{Name: "access", Value: v})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(raw), `"code":"UNAUTHENTICATED"`) {
		t.Errorf("access cookie without CSRF: %s", raw)
	}
}

// TestCookieModeArguments: the token arguments the cookies stand in for
// are optional in cookie mode only; the seeds' documents, which declare
// them String!, keep working in both.
func TestCookieModeArguments(t *testing.T) {
	for _, c := range []struct {
		name    string
		cookies *gqljwt.CookieConfig
		want    string
	}{
		{"bearer mode", nil, "NON_NULL"},
		{"cookie mode", &gqljwt.CookieConfig{}, "SCALAR"},
	} {
		// Native, whose revokeToken declares refreshToken String!
		// (django-graphql-jwt's own, and so Graphene's, is nullable).
		p := mutations.Native()
		p.Cookies = c.cookies
		auth, err := gqljwt.New(gqljwt.Config{Secret: secret, Users: memstore.NewUsers(), Refresh: memstore.NewRefreshTokens()})
		if err != nil {
			t.Fatal(err)
		}
		frag, err := mutations.New(auth, p, mutations.Options{})
		if err != nil {
			t.Fatal(err)
		}
		arg := frag.Mutation["revokeToken"].Args["refreshToken"]
		kind := "SCALAR"
		if _, ok := arg.Type.(*graphql.NonNull); ok {
			kind = "NON_NULL"
		}
		_, hasDelete := frag.Mutation["deleteTokenCookie"]
		if kind != c.want || hasDelete != (c.cookies != nil) {
			t.Errorf("%s: revokeToken(refreshToken: %s), deleteTokenCookie %v", c.name, kind, hasDelete)
		}
	}
}

// TestCookieConfigRefused: New refuses a cookie mode that browsers would
// not honour or that hides every field of a payload.
func TestCookieConfigRefused(t *testing.T) {
	auth, err := gqljwt.New(gqljwt.Config{Secret: secret, Users: memstore.NewUsers(), Refresh: memstore.NewRefreshTokens()})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		preset  mutations.Preset
		cookies gqljwt.CookieConfig
		want    string
	}{
		{mutations.Native(), gqljwt.CookieConfig{Insecure: true, SameSite: http.SameSiteNoneMode},
			"mutations: preset native: gqljwt: Cookies: SameSite=None needs the Secure attribute, which Insecure leaves out"},
		{mutations.Native(), gqljwt.CookieConfig{AccessName: "__Host-jwt", Path: "/api"},
			`mutations: preset native: gqljwt: Cookies: "__Host-jwt" needs Path "/" and no Domain`},
		{mutations.Native(), gqljwt.CookieConfig{RefreshName: "__Secure-r", Insecure: true},
			`mutations: preset native: gqljwt: Cookies: "__Secure-r" needs the Secure attribute, which Insecure leaves out`},
		{mutations.Native(), gqljwt.CookieConfig{AccessName: "a", RefreshName: "a"},
			`mutations: preset native: gqljwt: Cookies: the access and refresh cookies are both named "a"`},
		{mutations.Native(), gqljwt.CookieConfig{AccessName: "a b"},
			`mutations: preset native: gqljwt: Cookies: http: invalid Cookie.Name`},
		{mutations.Native(), gqljwt.CookieConfig{CSRFHeader: "X-CSRF"},
			"mutations: preset native: gqljwt: Cookies: CSRFHeader needs CSRFCookie"},
		{mutations.Native(), gqljwt.CookieConfig{AccessName: "jwt", CSRFCookie: "jwt"},
			`mutations: preset native: gqljwt: Cookies: the CSRF cookie is named "jwt" like a session cookie`},
		{mutations.Native(), gqljwt.CookieConfig{CSRFCookie: "csrf", CSRFHeader: "X-CSRF: x"},
			`mutations: preset native: gqljwt: Cookies: "X-CSRF: x" is not a header name`},
		{mutations.Native(), gqljwt.CookieConfig{CSRFCookie: "csrf;x"},
			`mutations: preset native: gqljwt: Cookies: http: invalid Cookie.Name`},
		{mutations.CollectiveAccess(), gqljwt.CookieConfig{AccessName: "jwt", HideTokens: true},
			"mutations: preset collectiveaccess, refresh: Cookies.HideTokens leaves its payload without a field"},
	} {
		p := c.preset
		p.Cookies = &c.cookies
		if _, err := mutations.New(auth, p, mutations.Options{}); err == nil || err.Error() != c.want {
			t.Errorf("%+v: %v, want %s", c.cookies, err, c.want)
		}
	}
}

// TestCookieModeLogoutDeletesWithTheSameAttributes: a configured Path,
// Domain and SameSite are on every cookie login sets and on every
// deletion logout sends (a deletion with another Path or Domain would
// leave the browser's cookie in place), and logout ends the session the
// refresh cookie held.
func TestCookieModeLogoutDeletesWithTheSameAttributes(t *testing.T) {
	p := withCookies(mutations.Native(), gqljwt.CookieConfig{AccessName: "at", RefreshName: "rt", Path: "/graphql", Domain: "127.0.0.1", SameSite: http.SameSiteStrictMode})
	srv, client := cookieAPI(t, p, false)
	r, set := cookiePost(t, srv, client, `mutation { tokenAuth(username: "bob", password: "bob-password") { token refreshToken } }`)
	token, refresh := r.str("tokenAuth", "token"), r.str("tokenAuth", "refreshToken")
	want := []string{
		"at=" + token + "; Path=/graphql; Domain=127.0.0.1; Max-Age=900; HttpOnly; Secure; SameSite=Strict",
		"rt=" + refresh + "; Path=/graphql; Domain=127.0.0.1; Max-Age=604800; HttpOnly; Secure; SameSite=Strict",
	}
	if strings.Join(set, "\n") != strings.Join(want, "\n") {
		t.Fatalf("login Set-Cookie:\n%s\nwant\n%s", strings.Join(set, "\n"), strings.Join(want, "\n"))
	}
	r, set = cookiePost(t, srv, client, `mutation { logout { success } }`)
	want = []string{
		"at=; Path=/graphql; Domain=127.0.0.1; Max-Age=0; HttpOnly; Secure; SameSite=Strict",
		"rt=; Path=/graphql; Domain=127.0.0.1; Max-Age=0; HttpOnly; Secure; SameSite=Strict",
	}
	if r.Raw != `{"data":{"logout":{"success":true}}}` || strings.Join(set, "\n") != strings.Join(want, "\n") {
		t.Errorf("logout: %s\n%s\nwant\n%s", r.Raw, strings.Join(set, "\n"), strings.Join(want, "\n"))
	}
	if r, _ := cookiePost(t, srv, client, `{ me }`); r.code(t) != "UNAUTHENTICATED" {
		t.Errorf("me after logout: %s", r.Raw)
	}
	r, _ = cookiePost(t, srv, client, `mutation { refreshToken(refreshToken: "`+refresh+`") { token } }`)
	if r.code(t) != "TOKEN_REVOKED" {
		t.Errorf("the logged-out refresh token: %s", r.Raw)
	}
}

// TestCookieModeRevokeReadsTheCookie: revokeToken without its argument
// revokes the refresh cookie's token, as django-graphql-jwt's Revoke does
// through ensure_refresh_token, and deletes the now useless cookie.
func TestCookieModeRevokeReadsTheCookie(t *testing.T) {
	srv, client := cookieAPI(t, withCookies(mutations.Native(), gqljwt.CookieConfig{}), false)
	r, _ := cookiePost(t, srv, client, `mutation { tokenAuth(username: "bob", password: "bob-password") { refreshToken } }`)
	refresh := r.str("tokenAuth", "refreshToken")
	r, set := cookiePost(t, srv, client, `mutation { revokeToken { revoked } }`)
	if r.field("revokeToken", "revoked") == nil || strings.Join(set, "\n") != "gqljwt-refresh=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax" {
		t.Errorf("revokeToken by cookie: %s %q", r.Raw, set)
	}
	if r, _ := cookiePost(t, srv, client, `mutation { refreshToken(refreshToken: "`+refresh+`") { token } }`); r.code(t) != "TOKEN_REVOKED" {
		t.Errorf("the revoked cookie's token: %s", r.Raw)
	}
	if r, _ := cookiePost(t, srv, client, `mutation { revokeToken { revoked } }`); r.code(t) != "BAD_USER_INPUT" || r.Errors[0]["message"] != "Refresh token is required" {
		t.Errorf("revokeToken without a cookie: %s", r.Raw)
	}
}

// TestCookieModeDoubleSubmit: with a CSRF cookie the session cookies
// count only beside the header echoing it; the token follows every
// rotation of the refresh token and leaves with the session.
func TestCookieModeDoubleSubmit(t *testing.T) {
	c := gqljwt.CookieConfig{AccessName: "at", CSRFCookie: "csrftoken", CSRFHeader: "X-CSRFToken"}
	srv, client := cookieAPI(t, withCookies(mutations.Native(), c), false)
	post := func(query, csrf string) (*response, []string, int) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/graphql", strings.NewReader(mustMarshal(map[string]any{"query": query})))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRFToken", csrf)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		out := &response{Raw: string(raw)}
		_ = json.Unmarshal(raw, out)
		return out, resp.Header.Values("Set-Cookie"), resp.StatusCode
	}
	r, set, _ := post(`mutation { tokenAuth(username: "bob", password: "bob-password") { refreshToken } }`, "")
	refresh := r.str("tokenAuth", "refreshToken")
	token := c.CSRFToken(refresh)
	if len(set) != 3 || set[2] != "csrftoken="+token+"; Path=/; Max-Age=604800; Secure; SameSite=Lax" {
		t.Fatalf("login Set-Cookie %q", set)
	}
	const refused = "Cross-site request refused: requests carrying the session cookies must send the value of the csrftoken cookie in the X-CSRFToken header"
	for _, tc := range []struct {
		name, header string
		status       int
		message      string
	}{
		{"no header", "", 403, refused},
		{"another value", c.CSRFToken("another session"), 403, refused},
		{"the token", token, 200, ""},
	} {
		r, _, status := post(`{ me }`, tc.header)
		msg := ""
		if len(r.Errors) > 0 {
			msg, _ = r.Errors[0]["message"].(string)
		}
		if status != tc.status || msg != tc.message || (tc.status == 200 && r.str("me") != "bob") {
			t.Errorf("%s: %d %s", tc.name, status, r.Raw)
		}
	}
	// A refresh rotates the token with the refresh token.
	r, set, _ = post(`mutation { refreshToken { refreshToken } }`, token)
	next := c.CSRFToken(r.str("refreshToken", "refreshToken"))
	if len(set) != 3 || set[2] != "csrftoken="+next+"; Path=/; Max-Age=604800; Secure; SameSite=Lax" || next == token {
		t.Fatalf("refresh Set-Cookie %q (%s)", set, r.Raw)
	}
	if _, _, status := post(`{ me }`, token); status != 403 {
		t.Errorf("the previous token after the rotation: %d", status)
	}
	r, set, _ = post(`mutation { logout { success } }`, next)
	if r.Raw != `{"data":{"logout":{"success":true}}}` || len(set) != 3 || set[2] != "csrftoken=; Path=/; Max-Age=0; Secure; SameSite=Lax" {
		t.Errorf("logout: %s %q", r.Raw, set)
	}
}

func mustMarshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
