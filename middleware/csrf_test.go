package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/middleware"
)

// TestCSRFPolicyRefused: origins are scheme://host[:port] exactly as
// browsers send them; anything else would never match and is refused
// when the endpoint is built.
func TestCSRFPolicyRefused(t *testing.T) {
	c := &gqljwt.CookieConfig{RefreshName: "rt"}
	for _, tc := range []struct {
		p    middleware.CSRFPolicy
		want string
	}{
		{middleware.CSRFPolicy{}, "middleware: CSRFPolicy.Cookies is required"},
		{middleware.CSRFPolicy{Cookies: c, Origins: []string{"app.example"}}, `middleware: CSRFPolicy.Origins: "app.example" is not an origin (scheme://host[:port], nothing more)`},
		{middleware.CSRFPolicy{Cookies: c, Origins: []string{"https://app.example/"}}, `middleware: CSRFPolicy.Origins: "https://app.example/" is not an origin (scheme://host[:port], nothing more)`},
		{middleware.CSRFPolicy{Cookies: c, Origins: []string{"https://app.example/app"}}, `middleware: CSRFPolicy.Origins: "https://app.example/app" is not an origin (scheme://host[:port], nothing more)`},
		{middleware.CSRFPolicy{Cookies: c, Origins: []string{"ftp://app.example"}}, `middleware: CSRFPolicy.Origins: "ftp://app.example" is not an origin (scheme://host[:port], nothing more)`},
		{middleware.CSRFPolicy{Cookies: c, Origins: []string{"https://u@app.example"}}, `middleware: CSRFPolicy.Origins: "https://u@app.example" is not an origin (scheme://host[:port], nothing more)`},
		{middleware.CSRFPolicy{Cookies: c, Origins: []string{"null"}}, `middleware: CSRFPolicy.Origins: "null" is not an origin (scheme://host[:port], nothing more)`},
	} {
		if _, err := middleware.CSRF(tc.p); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: %v, want %s", tc.p.Origins, err, tc.want)
		}
	}
}

// TestCSRFOrigins: which senders may use the cookies, by Origin, else
// Referer; the listed origin matches whatever case it was written in.
func TestCSRFOrigins(t *testing.T) {
	c := &gqljwt.CookieConfig{RefreshName: "rt"}
	csrf, err := middleware.CSRF(middleware.CSRFPolicy{Cookies: c, Origins: []string{"https://App.Example:8443"}})
	if err != nil {
		t.Fatal(err)
	}
	var allowed bool
	h := csrf(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { allowed = gqljwt.CookiesAllowed(r.Context()) }))
	for _, tc := range []struct {
		origin, referer string
		status          int
		allowed         bool
	}{
		{"https://app.example:8443", "", 200, true},
		{"https://app.example", "", 403, false},
		{"https://App.Example:8443", "", 200, true},
		{"https://app.example:8443/", "", 403, false}, // no Origin a browser sends, nor one CORS allows
		{"http://app.example:8443", "", 403, false},
		{"https://api.example", "", 200, true}, // the endpoint's own
		{"http://api.example", "", 403, false},
		{"", "https://app.example:8443/page?q=1", 200, true},
		{"", "https://evil.example/page", 403, false},
		{"https://evil.example", "https://app.example:8443/", 403, false}, // Origin wins
		{"", "", 200, true},
		{"null", "", 403, false},
		{"https://" + strings.Repeat("a", 3000), "", 403, false},
	} {
		allowed = false
		req := httptest.NewRequest("POST", "https://api.example/graphql", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.AddCookie(&http.Cookie{Name: "rt", Value: "x"})
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		if tc.referer != "" {
			req.Header.Set("Referer", tc.referer)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status || allowed != tc.allowed {
			t.Errorf("Origin %.40q Referer %q: %d allowed %v, want %d %v", tc.origin, tc.referer, rec.Code, allowed, tc.status, tc.allowed)
		}
	}
}

// TestCSRFDefaultNames: the policy finds the session cookies under the
// defaults of a CookieConfig that names none, as the mutations set them.
func TestCSRFDefaultNames(t *testing.T) {
	csrf, err := middleware.CSRF(middleware.CSRFPolicy{Cookies: &gqljwt.CookieConfig{}})
	if err != nil {
		t.Fatal(err)
	}
	h := csrf(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest("POST", "https://api.example/graphql", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://evil.example")
	req.AddCookie(&http.Cookie{Name: gqljwt.DefaultRefreshCookieName, Value: "x"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 403 {
		t.Errorf("the default refresh cookie from another origin: %d", rec.Code)
	}
}

// TestCSRFContentTypeIsGraphQLHTTPs: CSRF takes a POST for JSON exactly
// when GraphQLHTTP does. GraphQL over HTTP makes application/json the
// request type (its charset, if any, utf-8, the type case-insensitive);
// application/graphql-response+json is a response type only.
func TestCSRFContentTypeIsGraphQLHTTPs(t *testing.T) {
	csrf, err := middleware.CSRF(middleware.CSRFPolicy{Cookies: &gqljwt.CookieConfig{RefreshName: "rt"}})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	viaCSRF, viaHTTP := csrf(ok), middleware.GraphQLHTTP()(ok)
	for _, tc := range []struct {
		contentType string
		json        bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"application/json;charset=UTF-8", true},
		{"Application/JSON", true},
		{"APPLICATION/JSON; CHARSET=UTF-8", true},
		{" application/json ", true},
		{"application/json; charset=iso-8859-1", false},
		{"application/json; boundary=x", false},
		{"application/json;;", false},
		{"application/graphql-response+json", false},
		{"application/graphql", false},
		{"text/plain", false},
		{"", false},
	} {
		req := func() *http.Request {
			req := httptest.NewRequest("POST", "https://api.example/graphql", strings.NewReader(`{}`))
			req.Header.Set("Content-Type", tc.contentType)
			req.AddCookie(&http.Cookie{Name: "rt", Value: "x"})
			return req
		}
		rec := httptest.NewRecorder()
		viaCSRF.ServeHTTP(rec, req())
		if got := rec.Code == 200; got != tc.json {
			t.Errorf("CSRF, Content-Type %q: %d, want JSON %v", tc.contentType, rec.Code, tc.json)
		}
		rec = httptest.NewRecorder()
		viaHTTP.ServeHTTP(rec, req())
		if got := rec.Code != http.StatusUnsupportedMediaType; got != tc.json {
			t.Errorf("GraphQLHTTP, Content-Type %q: %d, want JSON %v", tc.contentType, rec.Code, tc.json)
		}
	}
}

// TestOriginsWithDefaultPort: CORS and CSRF read a listed origin as the
// browser's Origin names it, which never writes out a default port, and
// CSRF the endpoint's own Host likewise.
func TestOriginsWithDefaultPort(t *testing.T) {
	listed := []string{"https://App.Example:443"}
	csrf, err := middleware.CSRF(middleware.CSRFPolicy{Cookies: &gqljwt.CookieConfig{RefreshName: "rt"}, Origins: listed})
	if err != nil {
		t.Fatal(err)
	}
	cors, err := middleware.CORS(middleware.CORSOptions{Origins: listed})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, tc := range []struct{ url, origin string }{
		{"https://api.example/graphql", "https://app.example"},
		{"https://api.example:443/graphql", "https://api.example"},
	} {
		req := httptest.NewRequest("POST", tc.url, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", tc.origin)
		req.AddCookie(&http.Cookie{Name: "rt", Value: "x"})
		rec := httptest.NewRecorder()
		csrf(ok).ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Errorf("CSRF, %s from %s: %d", tc.url, tc.origin, rec.Code)
		}
	}
	req := httptest.NewRequest("POST", "https://api.example/graphql", strings.NewReader(`{}`))
	req.Header.Set("Origin", "https://app.example")
	rec := httptest.NewRecorder()
	cors(ok).ServeHTTP(rec, req)
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "https://app.example" {
		t.Errorf("CORS: Access-Control-Allow-Origin %q", got)
	}
}
