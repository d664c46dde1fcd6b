package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLogsHoldNoSecret runs a browser's whole session against the demo
// with its access log and its security-event log writing into one buffer:
// logins, GraphiQL-style reloads that put a login, a refresh and an OAuth2
// login with their variables into the URL (refused with 405, but logged),
// a refresh, a query token, an OAuth2 callback with its code and state.
// Not one password, token, code or state it used may be in the log.
func TestLogsHoldNoSecret(t *testing.T) {
	var logs lockedBuffer
	provider := newOAuthServer(t)
	s := newServer(t, options{logRequests: true, accessLog: &logs, events: slog.New(slog.NewTextHandler(&logs, nil)),
		oauth2: provider.config(), userInfoURL: provider.URL + "/userinfo"})
	var secrets []string
	keep := func(what string, vs ...string) {
		for _, v := range vs {
			if v == "" {
				t.Fatalf("%s: no secret came back", what)
			}
			secrets = append(secrets, v)
		}
	}
	keep("passwords", "alice-password", "bob-password")
	// get sends a GET as a browser reloading GraphiQL does: the operation
	// and its variables in the URL.
	get := func(path, query string, vars map[string]any, headers ...string) *reply {
		t.Helper()
		u := s.url + path + "?query=" + url.QueryEscape(query)
		if vars != nil {
			b, _ := json.Marshal(vars)
			u += "&variables=" + url.QueryEscape(string(b))
		}
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Accept", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		return s.send(req)
	}
	refused := func(what string, r *reply) {
		t.Helper()
		if r.status != http.StatusMethodNotAllowed || r.str("errors", 0, "extensions", "code") != "METHOD_NOT_ALLOWED" {
			t.Errorf("%s: %d %s", what, r.status, r.raw)
		}
	}

	login := `mutation($u: String!, $p: String!) { tokenAuth(username: $u, password: $p) { token refreshToken } }`
	r := s.post("/graphql", login, map[string]any{"u": "alice", "p": "alice-password"})
	token, refresh := r.str("data", "tokenAuth", "token"), r.str("data", "tokenAuth", "refreshToken")
	keep("login", token, refresh)
	refused("login reloaded", get("/graphql", login, map[string]any{"u": "alice", "p": "alice-password"}))
	refused("inline login reloaded", get("/graphql", `mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`, nil))
	if r = get("/graphql", `{ me { username } }`, nil, "Authorization", "JWT "+token); r.str("data", "me", "username") != "alice" {
		t.Fatalf("me by GET: %s", r.raw)
	}

	refreshOp := `mutation($t: String!) { refreshToken(refreshToken: $t) { token refreshToken } }`
	r = s.post("/graphql", refreshOp, map[string]any{"t": refresh})
	keep("refresh", r.str("data", "refreshToken", "token"), r.str("data", "refreshToken", "refreshToken"))
	refused("refresh reloaded", get("/graphql", refreshOp, map[string]any{"t": r.str("data", "refreshToken", "refreshToken")}))

	// CollectiveAccess's documented ?jwt=, and secrets under other names.
	if r = get("/service/Auth", `{ posts { title } }`, nil); r.status != http.StatusOK {
		t.Fatalf("plain GET: %s", r.raw)
	}
	req, _ := http.NewRequest(http.MethodGet, s.url+"/service/Auth?jwt="+url.QueryEscape(token)+"&query="+url.QueryEscape(`{ me { id } }`), nil)
	s.send(req)
	req, _ = http.NewRequest(http.MethodGet, s.url+"/graphql?password=bob-password&token="+url.QueryEscape(refresh)+"&refresh_token="+url.QueryEscape(refresh), nil)
	req.Header.Set("Accept", "application/json")
	s.send(req)

	// OAUTH2_GENERIC: the provider sends the browser back with code and
	// state; the page reloads with them in the URL; then the real login.
	az := s.authorize(t, provider, "acct-1")
	keep("authorization", az.code, az.state)
	resp, err := http.Get(s.url + "/callback?code=" + url.QueryEscape(az.code) + "&state=" + url.QueryEscape(az.state))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	oauthLogin := `mutation($code: String!, $state: String) { login(input: {provider: OAUTH2_GENERIC, oauthResponse: {code: $code, state: $state}}) { authToken refreshToken } }`
	vars := map[string]any{"code": az.code, "state": az.state}
	refused("OAuth2 login reloaded", get("/wpgraphql", oauthLogin, vars, "Cookie", az.cookie))
	link := `mutation($u: ID!, $code: String!, $state: String) { linkUserIdentity(input: {provider: OAUTH2_GENERIC, userId: $u, oauthResponse: {code: $code, state: $state}}) { success } }`
	wpLogin := `mutation { login(input: {provider: PASSWORD, credentials: {username: "bob", password: "bob-password"}}) { authToken } }`
	bobToken := s.post("/wpgraphql", wpLogin, nil).str("data", "login", "authToken")
	keep("WPGraphQL login", bobToken)
	if r = s.post("/wpgraphql", link, map[string]any{"u": "dXNlcjoy", "code": az.code, "state": az.state}, "Authorization", "Bearer "+bobToken, "Cookie", az.cookie); r.get("data", "linkUserIdentity", "success") != true {
		t.Fatalf("link: %s", r.raw)
	}
	az = s.authorize(t, provider, "acct-1")
	keep("second authorization", az.code, az.state)
	r = s.post("/wpgraphql", oauthLogin, map[string]any{"code": az.code, "state": az.state}, "Cookie", az.cookie)
	keep("OAuth2 login", r.str("data", "login", "authToken"), r.str("data", "login", "refreshToken"))

	out := logs.String()
	// The log is there and says what happened: a leak check on an empty
	// log would prove nothing.
	for _, want := range []string{`"GET http://`, " - 405 ", "query=REDACTED&variables=REDACTED", "/callback?code=REDACTED&state=REDACTED",
		"jwt=REDACTED", "password=REDACTED", "query=%7B+me+%7B+username+%7D+%7D", "event=login.succeeded"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range secrets {
		// A JWT leaks by any of its parts as well.
		for _, form := range append([]string{secret, url.QueryEscape(secret)}, strings.Split(secret, ".")...) {
			if len(form) >= 8 && strings.Contains(out, form) {
				t.Errorf("the log holds the secret %q:\n%s", form, out)
			}
		}
	}
}
