package middleware_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/go-chi/jwtauth/v5"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/middleware"
)

// TestExtractors drives every extractor, prefix and order through a real
// server: chi, the Verifier and graphql-go/handler answering { auth }.
func TestExtractors(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	tk := makeTokens(t, auth)
	q := url.QueryEscape

	type tc struct {
		name    string
		header  map[string]string
		path    string // query string appended to /graphql
		cookies []*http.Cookie
		want    string // authState
	}
	cookie := func(name, v string) []*http.Cookie { return []*http.Cookie{{Name: name, Value: v}} }
	hdr := func(v string) map[string]string { return map[string]string{"Authorization": v} }

	suites := []struct {
		name       string
		extractors []middleware.Extractor
		cases      []tc
	}{
		{"default (header only)", nil, []tc{
			{name: "no credentials", want: stateNoToken},
			{name: "Bearer", header: hdr("Bearer " + tk.good), want: stateUser("u1")},
			{name: "bearer lower case", header: hdr("bearer " + tk.good), want: stateUser("u1")},
			{name: "BEARER upper case", header: hdr("BEARER " + tk.good2), want: stateUser("u2")},
			{name: "mixed case", header: hdr("bEaReR " + tk.good), want: stateUser("u1")},
			{name: "several spaces", header: hdr("Bearer    " + tk.good), want: stateUser("u1")},
			{name: "Bearer with no token", header: hdr("Bearer"), want: stateInvalid},
			{name: "Bearer and spaces only", header: hdr("Bearer    "), want: stateInvalid},
			{name: "Basic is another mechanism", header: hdr("Basic dXNlcjpwYXNzd29yZA=="), want: stateNoToken},
			{name: "JWT prefix not configured", header: hdr("JWT " + tk.good), want: stateNoToken},
			{name: "scheme glued to token", header: hdr("Bearer" + tk.good), want: stateNoToken},
			{name: "token without scheme", header: hdr(tk.good), want: stateNoToken},
			{name: "garbage token", header: hdr("Bearer not-a-token"), want: stateInvalid},
			{name: "bad signature", header: hdr("Bearer " + tk.badSig), want: stateInvalid},
			{name: "expired", header: hdr("Bearer " + tk.expired), want: stateExpired},
			{name: "expired within leeway", header: hdr("Bearer " + tk.leeway), want: stateUser("u3")},
			{name: "revoked", header: hdr("Bearer " + tk.revoked), want: stateRevoked},
			{name: "query is off by default", path: "?jwt=" + q(tk.good), want: stateNoToken},
			{name: "cookie is off by default", cookies: cookie("jwt", tk.good), want: stateNoToken},
		}},
		{"FromHeader(JWT)", []middleware.Extractor{middleware.FromHeader("JWT")}, []tc{
			{name: "JWT prefix", header: hdr("JWT " + tk.good), want: stateUser("u1")},
			{name: "jwt lower case", header: hdr("jwt " + tk.good2), want: stateUser("u2")},
			{name: "Bearer still accepted", header: hdr("Bearer " + tk.good), want: stateUser("u1")},
			{name: "JWT with no token", header: hdr("JWT"), want: stateInvalid},
			{name: "JWTx is another scheme", header: hdr("JWTx " + tk.good), want: stateNoToken},
			{name: "Token prefix not configured", header: hdr("Token " + tk.good), want: stateNoToken},
			{name: "JWT with expired token", header: hdr("JWT " + tk.expired), want: stateExpired},
		}},
		{"FromHeader(Token, JWT)", []middleware.Extractor{middleware.FromHeader("Token", "JWT")}, []tc{
			{name: "Token prefix", header: hdr("Token " + tk.good), want: stateUser("u1")},
			{name: "JWT prefix", header: hdr("JWT " + tk.good2), want: stateUser("u2")},
			{name: "Basic", header: hdr("Basic Zm9vOmJhcg=="), want: stateNoToken},
		}},
		{"FromQuery(jwt)", []middleware.Extractor{middleware.FromQuery("jwt")}, []tc{
			{name: "query token", path: "?jwt=" + q(tk.good), want: stateUser("u1")},
			{name: "first of repeated parameter", path: "?jwt=" + q(tk.good2) + "&jwt=" + q(tk.good), want: stateUser("u2")},
			{name: "among other parameters", path: "?a=1&jwt=" + q(tk.good) + "&b=2", want: stateUser("u1")},
			{name: "empty parameter", path: "?jwt=", want: stateInvalid},
			{name: "bad token", path: "?jwt=" + q(tk.badSig), want: stateInvalid},
			{name: "other parameter only", path: "?token=" + q(tk.good), want: stateNoToken},
			{name: "header ignored when not configured", header: hdr("Bearer " + tk.good), want: stateNoToken},
		}},
		{"FromQuery(\"\") defaults to jwt", []middleware.Extractor{middleware.FromQuery("")}, []tc{
			{name: "jwt parameter", path: "?jwt=" + q(tk.good), want: stateUser("u1")},
		}},
		{"FromQuery(access_token)", []middleware.Extractor{middleware.FromQuery("access_token")}, []tc{
			{name: "configured name", path: "?access_token=" + q(tk.good), want: stateUser("u1")},
			{name: "default name ignored", path: "?jwt=" + q(tk.good), want: stateNoToken},
		}},
		{"FromCookie(jwt)", []middleware.Extractor{middleware.FromCookie("jwt")}, []tc{
			{name: "cookie token", cookies: cookie("jwt", tk.good), want: stateUser("u1")},
			{name: "empty cookie counts as sent", cookies: cookie("jwt", ""), want: stateInvalid},
			{name: "expired cookie token", cookies: cookie("jwt", tk.expired), want: stateExpired},
			{name: "other cookie", cookies: cookie("session", tk.good), want: stateNoToken},
		}},
		{"FromCookie(\"\") defaults to jwt", []middleware.Extractor{middleware.FromCookie("")}, []tc{
			{name: "jwt cookie", cookies: cookie("jwt", tk.good2), want: stateUser("u2")},
		}},
		{"FromCookie(session)", []middleware.Extractor{middleware.FromCookie("session")}, []tc{
			{name: "configured name", cookies: cookie("session", tk.good), want: stateUser("u1")},
			{name: "default name ignored", cookies: cookie("jwt", tk.good), want: stateNoToken},
		}},
		{"ExtractorFunc(jwtauth.TokenFromCookie)", []middleware.Extractor{middleware.ExtractorFunc(jwtauth.TokenFromCookie)}, []tc{
			{name: "jwt cookie", cookies: cookie("jwt", tk.good), want: stateUser("u1")},
			{name: "empty cookie is not found", cookies: cookie("jwt", ""), want: stateNoToken},
			{name: "bad token", cookies: cookie("jwt", tk.badSig), want: stateInvalid},
		}},
		{"order header, query, cookie", []middleware.Extractor{middleware.FromHeader(), middleware.FromQuery("jwt"), middleware.FromCookie("jwt")}, []tc{
			{name: "all three, header wins", header: hdr("Bearer " + tk.good), path: "?jwt=" + q(tk.good2), cookies: cookie("jwt", tk.badSig), want: stateUser("u1")},
			{name: "bad header still wins", header: hdr("Bearer " + tk.badSig), path: "?jwt=" + q(tk.good2), want: stateInvalid},
			{name: "Basic falls through to query", header: hdr("Basic Zm9vOmJhcg=="), path: "?jwt=" + q(tk.good2), want: stateUser("u2")},
			{name: "query before cookie", path: "?jwt=" + q(tk.expired), cookies: cookie("jwt", tk.good), want: stateExpired},
			{name: "cookie last", cookies: cookie("jwt", tk.good2), want: stateUser("u2")},
			{name: "nothing", want: stateNoToken},
		}},
		{"order cookie, header", []middleware.Extractor{middleware.FromCookie("jwt"), middleware.FromHeader()}, []tc{
			{name: "cookie wins over header", header: hdr("Bearer " + tk.good), cookies: cookie("jwt", tk.good2), want: stateUser("u2")},
			{name: "empty cookie wins and is invalid", header: hdr("Bearer " + tk.good), cookies: cookie("jwt", ""), want: stateInvalid},
			{name: "no cookie, header", header: hdr("Bearer " + tk.good), want: stateUser("u1")},
		}},
		{"order jwtauth cookie func, header", []middleware.Extractor{middleware.ExtractorFunc(jwtauth.TokenFromCookie), middleware.FromHeader()}, []tc{
			{name: "empty cookie falls through", header: hdr("Bearer " + tk.good), cookies: cookie("jwt", ""), want: stateUser("u1")},
			{name: "cookie wins", header: hdr("Bearer " + tk.good), cookies: cookie("jwt", tk.revoked), want: stateRevoked},
		}},
	}

	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			srv := newServer(t, newRouter(t, middleware.Verifier(auth, s.extractors...)))
			for _, c := range s.cases {
				got := do(t, srv.Client(), srv.URL, request{path: "/graphql" + c.path, query: "{ auth }", header: c.header, cookies: c.cookies})
				checkReply(t, c.name, got, http.StatusOK, dataAuth(c.want), map[string]string{"Content-Type": "application/json; charset=utf-8"})
			}
		})
	}
}

// TestExtractorUnit checks the extractors' found flag directly, which the
// server tests can only see through its effect.
func TestExtractorUnit(t *testing.T) {
	cases := []struct {
		name      string
		ex        middleware.Extractor
		header    string
		rawQuery  string
		cookie    string
		wantToken string
		wantFound bool
	}{
		{"header absent", middleware.FromHeader(), "", "", "", "", false},
		{"header Bearer", middleware.FromHeader(), "Bearer abc", "", "", "abc", true},
		{"header bare Bearer", middleware.FromHeader(), "Bearer", "", "", "", true},
		{"header tab after scheme", middleware.FromHeader(), "Bearer\tabc", "", "", "", false},
		{"header short", middleware.FromHeader(), "Bea", "", "", "", false},
		{"header Basic", middleware.FromHeader(), "Basic abc", "", "", "", false},
		{"header JWT", middleware.FromHeader("JWT"), "JWT abc", "", "", "abc", true},
		{"query absent", middleware.FromQuery("jwt"), "", "", "", "", false},
		{"query value", middleware.FromQuery("jwt"), "", "jwt=abc", "", "abc", true},
		{"query empty", middleware.FromQuery("jwt"), "", "jwt", "", "", true},
		{"query bad escape elsewhere", middleware.FromQuery("jwt"), "", "x=%zz&jwt=abc", "", "abc", true},
		{"query bad escape in token", middleware.FromQuery("jwt"), "", "jwt=%zz", "", "", false},
		{"cookie value", middleware.FromCookie("jwt"), "", "", "jwt=abc", "abc", true},
		{"cookie quoted", middleware.FromCookie("jwt"), "", "", `jwt="abc"`, "abc", true},
		{"cookie other", middleware.FromCookie("jwt"), "", "", "x=abc", "", false},
		{"cookie func empty", middleware.ExtractorFunc(jwtauth.TokenFromCookie), "", "", "jwt=", "", false},
		{"cookie func value", middleware.ExtractorFunc(jwtauth.TokenFromCookie), "", "", "jwt=abc", "abc", true},
	}
	for _, c := range cases {
		r, _ := http.NewRequest(http.MethodGet, "http://example.test/graphql", nil)
		r.URL.RawQuery = c.rawQuery
		if c.header != "" {
			r.Header.Set("Authorization", c.header)
		}
		if c.cookie != "" {
			r.Header.Set("Cookie", c.cookie)
		}
		tok, found := c.ex.Extract(r)
		if tok != c.wantToken || found != c.wantFound {
			t.Errorf("%s: Extract = (%q, %v), want (%q, %v)", c.name, tok, found, c.wantToken, c.wantFound)
		}
	}
}
