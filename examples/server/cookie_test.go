package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"golang.org/x/crypto/bcrypt"
)

// The cookie-mode endpoint and what django-graphql-jwt's cookie mode
// (graphql_jwt/decorators.py jwt_cookie, utils.py set_cookie and
// delete_cookie, mixins.py DeleteJSONWebTokenCookieMixin,
// refresh_token/mixins.py, tests/mixins.py CookieTokenAuthMixin,
// CookieRefreshMixin and DeleteCookieMixin) lead its clients to expect.
const cookiePath = cookieEndpoint

// The exact refusals of middleware.CSRF.
const (
	msgCSRFOrigin      = "Cross-site request refused: requests carrying the session cookies must come from an allowed origin"
	msgCSRFContentType = "Cross-site request refused: requests carrying the session cookies must be POSTs of Content-Type application/json"
	msgCSRFSimple      = "Cross-site request refused: a page of another origin may only send this endpoint POSTs of Content-Type application/json"
	msgCSRFToken       = "Cross-site request refused: requests carrying the session cookies must send the value of the csrftoken cookie in the X-CSRFToken header"
	evilOrigin         = "https://evil.example"
)

// browser is a client with a cookie jar, over TLS so that Secure cookies
// travel, sending Origin as a browser does.
type browser struct {
	*server
	srv    *httptest.Server
	origin string
}

func newCookieServer(t *testing.T, o options) (*app, *httptest.Server) {
	t.Helper()
	o.secret, o.bcryptCost = testSecret, bcrypt.MinCost
	a, err := newApp(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(a.router)
	t.Cleanup(srv.Close)
	return a, srv
}

func newBrowser(t *testing.T, srv *httptest.Server) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	// A copy: srv.Client is one client shared by every caller.
	c := *srv.Client()
	c.Jar = jar
	return &browser{server: &server{t: t, url: srv.URL, client: &c}, srv: srv, origin: srv.URL}
}

// gql posts a GraphQL request as JSON.
func (b *browser) gql(query string, vars map[string]any, headers ...string) *reply {
	b.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return b.send(http.MethodPost, "application/json", string(body), headers...)
}

func (b *browser) send(method, contentType, body string, headers ...string) *reply {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.srv.URL+cookiePath, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if b.origin != "" {
		req.Header.Set("Origin", b.origin)
	}
	// As a page's script does: echo the CSRF cookie.
	if v := b.cookie(csrfCookie); v != "" {
		req.Header.Set(csrfHeader, v)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.server.send(req)
}

// cookie returns the jar's value of the cookie name.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.srv.URL + cookiePath)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setRefreshCookie puts a refresh cookie and its CSRF token in the jar,
// as an earlier response would have.
func (b *browser) setRefreshCookie(value string) {
	u, _ := url.Parse(b.srv.URL + cookiePath)
	b.client.Jar.SetCookies(u, []*http.Cookie{
		{Name: "JWT-refresh-token", Value: value, Path: "/", Secure: true, HttpOnly: true},
		{Name: "csrftoken", Value: csrfToken(value), Path: "/", Secure: true},
	})
}

// csrfToken is the double-submit token of a refresh token.
func csrfToken(refresh string) string { return (&gqljwt.CookieConfig{}).CSRFToken(refresh) }

const (
	cookieLogin   = `mutation { tokenAuth(username: "bob", password: "bob-password") { token refreshToken payload refreshExpiresIn } }`
	cookieRefresh = `mutation { refreshToken { token refreshToken payload } }`
	cookieMe      = `{ me { username } }`
)

func (b *browser) login() *reply {
	b.t.Helper()
	r := b.gql(cookieLogin, nil)
	if r.status != http.StatusOK || r.str("data", "tokenAuth", "token") == "" {
		b.t.Fatalf("tokenAuth: %d %s", r.status, r.raw)
	}
	return r
}

// TestCookieModeSetsDjangoCookies: tokenAuth sets JWT and
// JWT-refresh-token, HttpOnly, Secure, SameSite=Lax, Path=/, host-only,
// Max-Age the tokens' lifetimes, holding the tokens the body shows (as
// django-graphql-jwt's CookieTokenAuthMixin asserts).
func TestCookieModeSetsDjangoCookies(t *testing.T) {
	clock := newTestClock()
	_, srv := newCookieServer(t, options{now: clock.Now})
	b := newBrowser(t, srv)
	r := b.login()
	token, refresh := r.str("data", "tokenAuth", "token"), r.str("data", "tokenAuth", "refreshToken")
	want := []string{
		"JWT=" + token + "; Path=/; Max-Age=300; HttpOnly; Secure; SameSite=Lax",
		"JWT-refresh-token=" + refresh + "; Path=/; Max-Age=604800; HttpOnly; Secure; SameSite=Lax",
		"csrftoken=" + csrfToken(refresh) + "; Path=/; Max-Age=604800; Secure; SameSite=Lax",
	}
	if got := r.header.Values("Set-Cookie"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Set-Cookie:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.header.Get("Cache-Control"))
	}
	// A protected query, authenticated by the access cookie alone.
	if me := b.gql(cookieMe, nil); me.str("data", "me", "username") != "bob" {
		t.Errorf("me by cookie: %s", me.raw)
	}
	// verifyToken without its argument reads the cookie.
	if v := b.gql(`mutation { verifyToken { payload } }`, nil); v.str("data", "verifyToken", "payload", "username") != "bob" {
		t.Errorf("verifyToken by cookie: %s", v.raw)
	}
}

// TestCookieModeRefreshRotatesTheCookie: refreshToken without arguments
// reads JWT-refresh-token and rotates it. Within the reuse grace the
// previous cookie still gets a pair (tabs racing); after it, the previous
// cookie is reuse: refused, its deletion sent, and the session over.
func TestCookieModeRefreshRotatesTheCookie(t *testing.T) {
	clock := newTestClock()
	_, srv := newCookieServer(t, options{now: clock.Now})
	b := newBrowser(t, srv)
	b.login()
	old := b.cookie("JWT-refresh-token")
	clock.Advance(time.Second)
	r := b.gql(cookieRefresh, nil)
	next := r.str("data", "refreshToken", "refreshToken")
	if next == "" || next == old || b.cookie("JWT-refresh-token") != next || b.cookie("JWT") != r.str("data", "refreshToken", "token") {
		t.Fatalf("refresh by cookie: %s; jar %q", r.raw, b.cookie("JWT-refresh-token"))
	}
	if got, want := r.header.Values("Set-Cookie")[1], "JWT-refresh-token="+next+"; Path=/; Max-Age=604800; HttpOnly; Secure; SameSite=Lax"; got != want {
		t.Errorf("rotated cookie %q, want %q", got, want)
	}
	// A second tab still holding the old cookie, within the grace.
	tab := newBrowser(t, srv)
	tab.setRefreshCookie(old)
	if r := tab.gql(cookieRefresh, nil); r.str("data", "refreshToken", "refreshToken") == "" {
		t.Fatalf("old cookie within the grace: %s", r.raw)
	}
	// After the grace the old cookie is reuse.
	clock.Advance(time.Minute)
	late := newBrowser(t, srv)
	late.setRefreshCookie(old)
	r = late.gql(cookieRefresh, nil)
	if r.str("errors", 0, "message") != "Invalid refresh token" || r.str("errors", 0, "extensions", "code") != "TOKEN_REVOKED" ||
		late.cookie("JWT-refresh-token") != "" {
		t.Errorf("old cookie after the grace: %s %v", r.raw, r.header.Values("Set-Cookie"))
	}
	if got := strings.Join(r.header.Values("Set-Cookie"), "\n"); got != "JWT-refresh-token=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax\ncsrftoken=; Path=/; Max-Age=0; Secure; SameSite=Lax" {
		t.Errorf("deletion of the dead cookie: %q", got)
	}
	// Reuse ended the session: the first browser's rotated cookie is dead.
	if r := b.gql(cookieRefresh, nil); r.str("errors", 0, "extensions", "code") != "TOKEN_REVOKED" {
		t.Errorf("rotated cookie after reuse: %s", r.raw)
	}
}

// TestCookieModeDeletesCookies: deleteTokenCookie and
// deleteRefreshTokenCookie answer django-graphql-jwt's {deleted: true}
// when the cookie was there and false otherwise, send the deletion with
// the cookie's Path either way, and the refresh cookie's token is revoked
// with it.
func TestCookieModeDeletesCookies(t *testing.T) {
	_, srv := newCookieServer(t, options{})
	b := newBrowser(t, srv)
	refresh := b.login().str("data", "tokenAuth", "refreshToken")
	for _, c := range []struct{ mutation, body, deletion string }{
		{`mutation { deleteTokenCookie { deleted } }`, `{"data":{"deleteTokenCookie":{"deleted":true}}}`, "JWT=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"},
		{`mutation { deleteTokenCookie { deleted } }`, `{"data":{"deleteTokenCookie":{"deleted":false}}}`, "JWT=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"},
		{`mutation { deleteRefreshTokenCookie { deleted } }`, `{"data":{"deleteRefreshTokenCookie":{"deleted":true}}}`, "JWT-refresh-token=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax\ncsrftoken=; Path=/; Max-Age=0; Secure; SameSite=Lax"},
		{`mutation { deleteRefreshTokenCookie { deleted } }`, `{"data":{"deleteRefreshTokenCookie":{"deleted":false}}}`, "JWT-refresh-token=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax\ncsrftoken=; Path=/; Max-Age=0; Secure; SameSite=Lax"},
	} {
		r := b.gql(c.mutation, nil)
		if !jsonEqual(t, r.raw, c.body) || strings.Join(r.header.Values("Set-Cookie"), "\n") != c.deletion {
			t.Errorf("%s: %s %q, want %s %q", c.mutation, r.raw, r.header.Values("Set-Cookie"), c.body, c.deletion)
		}
	}
	if b.cookie("JWT") != "" || b.cookie("JWT-refresh-token") != "" {
		t.Errorf("cookies left in the jar")
	}
	// The deleted cookie's refresh token was revoked with it.
	r := b.gql(`mutation R($r: String) { refreshToken(refreshToken: $r) { token } }`, map[string]any{"r": refresh})
	if r.str("errors", 0, "extensions", "code") != "TOKEN_REVOKED" {
		t.Errorf("refresh token of the deleted cookie: %s", r.raw)
	}
}

// TestCookieModeRefusesCrossSiteRequests: what a page of another origin
// can make a signed-in browser send is refused with 403 and CSRF_REFUSED
// before anything runs, and the session is as it was; what no browser
// page can send without the endpoint's leave, and API clients without
// cookies, pass.
func TestCookieModeRefusesCrossSiteRequests(t *testing.T) {
	// The demo's CORS origins are the pages that may use its cookies.
	a, srv := newCookieServer(t, options{corsOrigins: []string{"http://localhost:3000"}})
	b := newBrowser(t, srv)
	b.login()
	refresh, access := b.cookie("JWT-refresh-token"), b.cookie("JWT")
	loginForm := url.Values{"query": {`mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`}}.Encode()
	refreshJSON := `{"query":"mutation { refreshToken { token refreshToken } }"}`
	for _, c := range []struct {
		name                string
		cookies             bool
		origin, referer     string
		method, contentType string
		body                string
		status              int
		message             string
	}{
		{"refresh from another origin", true, evilOrigin, "", "POST", "application/json", refreshJSON, 403, msgCSRFOrigin},
		{"refresh from origin null", true, "null", "", "POST", "application/json", refreshJSON, 403, msgCSRFOrigin},
		{"refresh from another scheme of the host", true, strings.Replace(srv.URL, "https:", "http:", 1), "", "POST", "application/json", refreshJSON, 403, msgCSRFOrigin},
		{"refresh, Referer of another origin", true, "", evilOrigin + "/page", "POST", "application/json", refreshJSON, 403, msgCSRFOrigin},
		{"delete cookie from another origin", true, evilOrigin, "", "POST", "application/json", `{"query":"mutation { deleteRefreshTokenCookie { deleted } }"}`, 403, msgCSRFOrigin},
		{"text/plain with cookies", true, "", "", "POST", "text/plain", refreshJSON, 403, msgCSRFContentType},
		{"form with cookies", true, "", "", "POST", "application/x-www-form-urlencoded", url.Values{"query": {"mutation { refreshToken { token } }"}}.Encode(), 403, msgCSRFContentType},
		{"multipart with cookies", true, "", "", "POST", "multipart/form-data; boundary=x", "--x--", 403, msgCSRFContentType},
		{"GET with cookies", true, "", "", "GET", "", "", 403, msgCSRFContentType},
		{"JSON with cookies, no CSRF header", true, "", "", "POST", "application/json", refreshJSON, 403, msgCSRFToken},
		{"JSON with cookies, from the page's own origin, no CSRF header", true, srv.URL, "", "POST", "application/json", refreshJSON, 403, msgCSRFToken},
		{"login form from another origin", false, evilOrigin, "", "POST", "application/x-www-form-urlencoded", loginForm, 403, msgCSRFSimple},
		{"login text/plain from another origin", false, evilOrigin, "", "POST", "text/plain", `{"query":"mutation { tokenAuth(username: \"bob\", password: \"bob-password\") { token } }"}`, 403, msgCSRFSimple},
	} {
		t.Run(c.name, func(t *testing.T) {
			var jar http.CookieJar
			if c.cookies {
				jar = b.client.Jar
			} else {
				jar, _ = cookiejar.New(nil)
			}
			client := *srv.Client()
			client.Jar = jar
			req, _ := http.NewRequest(c.method, srv.URL+cookiePath, strings.NewReader(c.body))
			for k, v := range map[string]string{"Content-Type": c.contentType, "Origin": c.origin, "Referer": c.referer} {
				if v != "" {
					req.Header.Set(k, v)
				}
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := `{"errors":[{"message":` + mustJSON(t, c.message) + `,"locations":[{"line":1,"column":1}],"extensions":{"code":"CSRF_REFUSED"}}]}`
			if resp.StatusCode != c.status || !jsonEqual(t, string(raw), want) || len(resp.Header.Values("Set-Cookie")) != 0 {
				t.Errorf("%d %s %q, want %d %s", resp.StatusCode, raw, resp.Header.Values("Set-Cookie"), c.status, want)
			}
		})
	}
	// No side effect: the cookies were neither rotated nor deleted and
	// still work.
	if b.cookie("JWT-refresh-token") != refresh || b.cookie("JWT") != access {
		t.Fatalf("the refusals changed the cookies")
	}
	if me := b.gql(cookieMe, nil); me.str("data", "me", "username") != "bob" {
		t.Errorf("me after the refusals: %s", me.raw)
	}
	if r := b.gql(cookieRefresh, nil); r.str("data", "refreshToken", "token") == "" {
		t.Errorf("the refresh cookie after the refusals: %s", r.raw)
	}

	// Passing: the endpoint's own pages naming themselves by Referer, a
	// listed origin, and a cookie-less API client with a bearer token from
	// any origin.
	b.origin = ""
	if r := b.gql(cookieMe, nil, "Referer", srv.URL+"/app"); r.str("data", "me", "username") != "bob" {
		t.Errorf("same-origin Referer: %s", r.raw)
	}
	b.origin = "http://localhost:3000"
	if r := b.gql(cookieMe, nil); r.str("data", "me", "username") != "bob" {
		t.Errorf("listed origin: %s", r.raw)
	}
	api := newBrowser(t, srv)
	api.origin = evilOrigin
	bob, _ := a.users.UserByUsername(ctxBackground, "bob")
	sess, err := a.services[cookiePath].StartSession(ctxBackground, bob)
	if err != nil {
		t.Fatal(err)
	}
	if r := api.gql(cookieMe, nil, "Authorization", "JWT "+sess.Access.Value); r.status != 200 || r.str("data", "me", "username") != "bob" {
		t.Errorf("bearer from another origin: %d %s", r.status, r.raw)
	}
	// A JSON login from an unlisted origin (one CORS let through) is
	// refused before it runs: its cookies would go to that origin's page.
	r := api.gql(cookieLogin, nil)
	if r.str("errors", 0, "extensions", "code") != "CSRF_REFUSED" ||
		r.str("errors", 0, "message") != "Cross-site request refused: session cookies are only set for requests from an allowed origin" ||
		len(r.header.Values("Set-Cookie")) != 0 || r.get("data", "tokenAuth") != nil {
		t.Errorf("JSON login from another origin: %s %v", r.raw, r.header.Values("Set-Cookie"))
	}
}

// TestCookieModeKeepsTheSeedDocuments: without cookies the endpoint
// answers seed 000's documents as /graphene does, its required arguments
// now optional (the cookie stands in for them).
func TestCookieModeKeepsTheSeedDocuments(t *testing.T) {
	_, srv := newCookieServer(t, options{})
	api := newBrowser(t, srv)
	api.origin = ""
	r := api.gql(`mutation TokenAuth($username: String!, $password: String!) { tokenAuth(username: $username, password: $password) { token refreshToken user { id } } }`,
		map[string]any{"username": "bob", "password": "bob-password"})
	refresh := r.str("data", "tokenAuth", "refreshToken")
	if refresh == "" {
		t.Fatalf("tokenAuth: %s", r.raw)
	}
	api.client.Jar, _ = cookiejar.New(nil) // an API client keeps no cookies
	r = api.gql(`mutation RevokeToken($refreshToken: String!) { revokeToken(refreshToken: $refreshToken) { revoked } }`, map[string]any{"refreshToken": refresh})
	if r.get("data", "revokeToken", "revoked") == nil {
		t.Errorf("revokeToken: %s", r.raw)
	}
	r = api.gql(`{ __type(name: "Mutation") { fields { name args { name type { kind name } } } } }`, nil)
	var sig []string
	for _, f := range r.get("data", "__type", "fields").([]any) {
		f := f.(map[string]any)
		if f["name"] != "revokeToken" && f["name"] != "deleteTokenCookie" {
			continue
		}
		for _, a := range f["args"].([]any) {
			a := a.(map[string]any)
			ty := a["type"].(map[string]any)
			sig = append(sig, f["name"].(string)+"("+a["name"].(string)+": "+ty["kind"].(string)+")")
		}
		sig = append(sig, f["name"].(string))
	}
	if got, want := strings.Join(sig, " "), "revokeToken(refreshToken: SCALAR) revokeToken deleteTokenCookie"; got != want && got != "deleteTokenCookie revokeToken(refreshToken: SCALAR) revokeToken" {
		t.Errorf("signatures %q, want %q", got, want)
	}
}

// TestCookieModePreflight: a listed origin's script may send the CSRF
// header; the preflight answers 204 and runs nothing.
func TestCookieModePreflight(t *testing.T) {
	_, srv := newCookieServer(t, options{corsOrigins: []string{"http://localhost:3000"}})
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+cookiePath, nil)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-csrftoken")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
		!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "x-csrftoken") ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}
