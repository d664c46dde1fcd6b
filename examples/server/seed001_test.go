package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

// apiUser is the account of seed 001's example response.
var apiUser = demoUser{gqljwt.User{ID: "2", Username: "my_api_login_name", Email: "api@test.com", Active: true,
	Profile: map[string]any{"fname": "Api", "lname": "User"}}, "my_api_password"}

// Seed 001: CollectiveAccess's Auth endpoint, login and refresh queries
// sent verbatim to /service/Auth.
func TestSeed001CollectiveAccess(t *testing.T) {
	doc := seed(t, "001")
	s := newServer(t, options{users: []demoUser{apiUser}})
	const path = "/service/Auth"

	login := operation(t, doc, "query {\nlogin(", 0)
	r := s.post(path, login, nil)
	jwt, refresh := r.str("data", "login", "jwt"), r.str("data", "login", "refresh")
	if jwt == "" || refresh == "" {
		t.Fatalf("login: %s", r.raw)
	}
	// The documented response, with this server's tokens. Compared as
	// JSON values: graphql-go holds data in maps, so members of data come
	// in alphabetical order, not in the order of the query.
	want := operation(t, doc, "{\n\"ok\": true,\n\"data\": {\n\"login\"", 0)
	for doc, ours := range map[string]string{jsonString(t, want, "jwt"): jwt, jsonString(t, want, "refresh"): refresh} {
		want = strings.Replace(want, doc, ours, 1)
	}
	if !jsonEqual(t, r.raw, want) {
		t.Fatalf("login:\n got %s\nwant %s", r.raw, compact(t, want))
	}
	id, err := s.app.services[path].Verify(ctxBackground, jwt)
	if err != nil {
		t.Fatal(err)
	}
	if got := id.ExpiresAt.Sub(id.IssuedAt); got != 900*time.Second {
		t.Errorf("access token lifetime %v, want the 900 s of the seed", got)
	}

	// The refresh query as documented carries the seed's own token, which
	// this server did not issue.
	refreshOp := operation(t, doc, "query {\nrefresh(", 0)
	r = s.post(path, refreshOp, nil)
	if r.get("ok") != false || r.str("errors", 0, "extensions", "code") != "TOKEN_INVALID" || r.get("data", "refresh") != nil {
		t.Fatalf("refresh with the seed's token: %s", r.raw)
	}
	// With the refresh token this server issued in its place:
	seedToken := refreshOp[strings.Index(refreshOp, `"`)+1 : strings.LastIndex(refreshOp, `"`)]
	ours := strings.Replace(refreshOp, seedToken, refresh, 1)
	for i := 0; i < 2; i++ { // refresh does not rotate: the token stays usable
		r = s.post(path, ours, nil)
		newJWT := r.str("data", "refresh", "jwt")
		documented := operation(t, doc, "{\n\"ok\": true,\n\"data\": {\n\"refresh\"", 0)
		if newJWT == "" || !jsonEqual(t, r.raw, strings.Replace(documented, jsonString(t, documented, "jwt"), newJWT, 1)) {
			t.Fatalf("refresh #%d: %s", i+1, r.raw)
		}
		jwt = newJWT
	}

	// "it must be included in each API request, either as a bearer token
	// or as a query parameter named jwt."
	me := `{ me { id fname lname email } }`
	wantMe := `{"ok": true, "data": {"me": {"id": 2, "fname": "Api", "lname": "User", "email": "api@test.com"}}}`
	if r := s.post(path, me, nil, "Authorization", "Bearer "+jwt); !jsonEqual(t, r.raw, wantMe) {
		t.Errorf("bearer: %s", r.raw)
	}
	req, _ := http.NewRequest(http.MethodGet, s.url+path+"?jwt="+url.QueryEscape(jwt)+"&query="+url.QueryEscape(me), nil)
	req.Header.Set("Accept", "application/json")
	r = s.send(req)
	if !jsonEqual(t, r.raw, wantMe) {
		t.Errorf("?jwt=: %s", r.raw)
	}
	if r.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("Referrer-Policy %q", r.header.Get("Referrer-Policy"))
	}
	// The login query sent in a URL is refused: URLs are logged, and this
	// one would log the password. The same query in a body works (above).
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		req, _ = http.NewRequest(method, s.url+path+"?query="+url.QueryEscape(login), nil)
		req.Header.Set("Accept", "application/json")
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/json") // GraphQLHTTP refuses a POST without
		}
		r = s.send(req)
		if r.get("ok") != false || r.get("data", "login") != nil || r.str("errors", 0, "extensions", "code") != "BAD_USER_INPUT" ||
			r.str("errors", 0, "message") != "Send credentials and tokens in the request body: this request carries them in its URL, which servers and proxies log" {
			t.Errorf("login in the URL of a %s: %s", method, r.raw)
		}
	}
	// Without a token the envelope says so.
	r = s.post(path, me, nil)
	if r.get("ok") != false || r.str("errors", 0, "extensions", "code") != "UNAUTHENTICATED" {
		t.Errorf("anonymous: %s", r.raw)
	}
	// Bad credentials.
	r = s.post(path, strings.Replace(login, "my_api_password", "wrong", 1), nil)
	if r.get("ok") != false || r.str("errors", 0, "extensions", "code") != "INVALID_CREDENTIALS" || r.get("data", "login") != nil {
		t.Errorf("wrong password: %s", r.raw)
	}
}

// jsonString returns the value of the first "name": "value" member of a
// documented body.
func jsonString(t *testing.T, body, name string) string {
	t.Helper()
	i := strings.Index(body, `"`+name+`": "`)
	if i < 0 {
		t.Fatalf("no %q in %s", name, body)
	}
	rest := body[i+len(name)+5:]
	return rest[:strings.IndexByte(rest, '"')]
}
