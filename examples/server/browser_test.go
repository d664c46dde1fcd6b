package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/mutations"
	"golang.org/x/crypto/bcrypt"
)

// demoOrigins is the -cors-origins default.
var demoOrigins = []string{"http://localhost:3000", "http://127.0.0.1:3000"}

// TestDemoCORS: every endpoint answers preflights from the listed origins
// with 204 and no GraphQL, and a credentialed cross-origin login on
// /toggle can read the token header; other origins get no CORS answer.
func TestDemoCORS(t *testing.T) {
	s := newServer(t, options{corsOrigins: demoOrigins})
	for _, ep := range s.app.endpoints {
		for _, origin := range []string{"http://127.0.0.1:3000", "http://localhost:3001"} {
			req, _ := http.NewRequest(http.MethodOptions, s.url+ep.path, nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := ""
			if origin == "http://127.0.0.1:3000" {
				want = origin
			}
			if resp.StatusCode != http.StatusNoContent || resp.ContentLength > 0 || resp.Header.Get("Access-Control-Allow-Origin") != want ||
				(want != "" && resp.Header.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type") {
				t.Errorf("%s preflight from %s: %d %v", ep.path, origin, resp.StatusCode, resp.Header)
			}
		}
	}
	login := `query { loginUser(email: "alice@example.com", password: "alice-password") { id } }`
	r := s.post("/toggle", login, nil, "Origin", "http://localhost:3000")
	if r.header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" || r.header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "Authorization") || r.header.Get("Vary") != "Origin" {
		t.Errorf("cross-origin login: %v", r.header)
	}
	bearer(t, r)
	r = s.post("/toggle", login, nil, "Origin", "https://evil.example")
	if r.header.Get("Access-Control-Allow-Origin") != "" || r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("login from an unlisted origin: %v", r.header)
	}
	// A wildcard in the flag stops the server at start-up.
	if _, err := newApp(options{secret: testSecret, bcryptCost: bcrypt.MinCost, corsOrigins: []string{"*"}}); err == nil {
		t.Error("-cors-origins '*' accepted")
	}
}

// TestTTLFlags: -access-ttl and -refresh-ttl replace every preset's
// lifetimes; unset, each preset keeps its own. A one-minute access token
// expires on the demo's clock and its refresh token gets a new one.
func TestTTLFlags(t *testing.T) {
	s := newServer(t, options{})
	presets := map[string]mutations.Preset{}
	for _, ep := range s.app.endpoints {
		presets[ep.path] = ep.preset
		got := s.app.services[ep.path].Settings()
		want := gqljwt.Settings{AccessTTL: ep.preset.AccessTTL, RefreshTTL: ep.preset.RefreshTTL}
		if want.AccessTTL == 0 {
			want.AccessTTL = gqljwt.DefaultAccessTTL
		}
		if want.RefreshTTL == 0 {
			want.RefreshTTL = gqljwt.DefaultRefreshTTL
		}
		if got.AccessTTL != want.AccessTTL || got.RefreshTTL != want.RefreshTTL {
			t.Errorf("%s unset: %s/%s, want the preset's %s/%s", ep.path, got.AccessTTL, got.RefreshTTL, want.AccessTTL, want.RefreshTTL)
		}
	}
	if presets["/service/Auth"].AccessTTL != 900*time.Second || presets["/toggle"].AccessTTL != time.Hour {
		t.Fatal("the presets' own lifetimes changed; this test relies on them differing")
	}

	clock := newTestClock()
	s = newServer(t, options{now: clock.Now, accessTTL: time.Minute, refreshTTL: 10 * time.Minute})
	for _, ep := range s.app.endpoints {
		if got := s.app.services[ep.path].Settings(); got.AccessTTL != time.Minute || got.RefreshTTL != 10*time.Minute {
			t.Errorf("%s: %s/%s, want 1m0s/10m0s", ep.path, got.AccessTTL, got.RefreshTTL)
		}
	}
	login := s.post("/graphql", `mutation { tokenAuth(username: "bob", password: "bob-password") { token refreshToken } }`, nil)
	token, refresh := login.str("data", "tokenAuth", "token"), login.str("data", "tokenAuth", "refreshToken")
	if token == "" || refresh == "" {
		t.Fatal(login.raw)
	}
	me := func(token string) *reply {
		return s.post("/graphql", `{ me { username } }`, nil, "Authorization", "JWT "+token)
	}
	clock.Advance(time.Minute + 29*time.Second) // expired, within the 30 s leeway
	if r := me(token); r.str("data", "me", "username") != "bob" {
		t.Fatalf("within the leeway: %s", r.raw)
	}
	clock.Advance(2 * time.Second)
	r := me(token)
	if r.get("data", "me") != nil || r.str("errors", 0, "extensions", "reason") != string(gqljwt.CodeTokenExpired) {
		t.Fatalf("after 1m31s: %s", r.raw)
	}
	r = s.post("/graphql", `mutation($t: String!) { refreshToken(refreshToken: $t) { token } }`, map[string]any{"t": refresh})
	if r = me(r.str("data", "refreshToken", "token")); r.str("data", "me", "username") != "bob" {
		t.Fatalf("refreshed: %s", r.raw)
	}
	clock.Advance(10 * time.Minute)
	r = s.post("/graphql", `mutation($t: String!) { refreshToken(refreshToken: $t) { token } }`, map[string]any{"t": refresh})
	if r.str("data", "refreshToken", "token") != "" || r.str("errors", 0, "extensions", "code") == "" {
		t.Fatalf("refresh after the refresh TTL: %s", r.raw)
	}
}

// TestDemoGraphQLOverHTTP: on every endpoint, a text/plain POST (what a
// page of another site sends without a preflight) runs nothing and
// answers 415 in the preset's own shape; a client accepting
// application/graphql-response+json gets it, with 400 for a document
// that does not parse and 200 for a query that runs.
func TestDemoGraphQLOverHTTP(t *testing.T) {
	s := newServer(t, options{})
	const modern = "application/graphql-response+json"
	for _, ep := range s.app.endpoints {
		req, _ := http.NewRequest(http.MethodPost, s.url+ep.path, strings.NewReader(`{"query":"{ posts { title } }"}`))
		req.Header.Set("Content-Type", "text/plain")
		r := s.send(req)
		if r.status != http.StatusUnsupportedMediaType || r.str("errors", 0, "extensions", "code") != "UNSUPPORTED_MEDIA_TYPE" || r.get("data") != nil {
			t.Errorf("%s text/plain: %d %s", ep.path, r.status, r.raw)
		}
		if ep.path == "/service/Auth" && r.get("ok") != false {
			t.Errorf("%s text/plain: no envelope: %s", ep.path, r.raw)
		}
		for _, c := range []struct {
			query  string
			status int
		}{{`{ posts { title } }`, http.StatusOK}, {`{ posts { title }`, http.StatusBadRequest}, {`{ nope }`, http.StatusBadRequest}} {
			r = s.post(ep.path, c.query, nil, "Accept", modern)
			if r.status != c.status || r.header.Get("Content-Type") != modern+"; charset=utf-8" {
				t.Errorf("%s %q: %d %q %s", ep.path, c.query, r.status, r.header.Get("Content-Type"), r.raw)
			}
			if r = s.post(ep.path, c.query, nil); r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("%s %q, old client: %d %q %s", ep.path, c.query, r.status, r.header.Get("Content-Type"), r.raw)
			}
		}
	}
}
