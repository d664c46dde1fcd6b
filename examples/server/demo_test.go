package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gqljwt/gqljwt"
)

// TestDemoSchemaOnEveryEndpoint: each endpoint serves the demo schema with
// the same guards, whatever preset it carries.
func TestDemoSchemaOnEveryEndpoint(t *testing.T) {
	s := newServer(t, options{})
	type call struct {
		query string
		// code by caller: "" allowed, else extensions.code
		anonymous, carol, bob, alice string
	}
	calls := []call{
		{`{ posts { title } }`, "", "", "", ""},
		{`{ me { username } }`, "UNAUTHENTICATED", "", "", ""},
		{`{ drafts { title } }`, "UNAUTHENTICATED", "FORBIDDEN", "", ""},
		{`{ adminStats { posts drafts } }`, "UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN", ""},
		{`mutation { createPost(title: "t") { id author } }`, "UNAUTHENTICATED", "FORBIDDEN", "", ""},
	}
	for _, ep := range s.app.endpoints {
		auth := s.app.services[ep.path]
		tokens := map[string]string{}
		for _, name := range []string{"carol", "bob", "alice"} {
			u, err := s.app.users.UserByUsername(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			sess, err := auth.StartSession(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			tokens[name] = sess.Access.Value
		}
		for _, c := range calls {
			for _, who := range []struct{ name, want string }{{"anonymous", c.anonymous}, {"carol", c.carol}, {"bob", c.bob}, {"alice", c.alice}} {
				var headers []string
				if who.name != "anonymous" {
					headers = []string{"Authorization", "Bearer " + tokens[who.name]}
				}
				r := s.post(ep.path, c.query, nil, headers...)
				got := r.str("errors", 0, "extensions", "code")
				if got != who.want {
					t.Errorf("%s %s as %s: code %q, want %q (%s)", ep.path, c.query, who.name, got, who.want, r.raw)
				}
				if who.want == "" && r.get("data") == nil {
					t.Errorf("%s %s as %s: no data (%s)", ep.path, c.query, who.name, r.raw)
				}
			}
		}
	}
	// The @auth directive is declared, so introspection shows it.
	r := s.post("/graphql", `{ __schema { directives { name args { name } } } }`, nil)
	if !strings.Contains(r.raw, `"name":"auth"`) || !strings.Contains(r.raw, `"requires"`) {
		t.Errorf("introspection: %s", r.raw)
	}
}

// TestIndexAndBounds: the index lists the endpoints; an oversized request
// body is refused before GraphQL sees it.
func TestIndexAndBounds(t *testing.T) {
	s := newServer(t, options{})
	resp, err := http.Get(s.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("index: %d", resp.StatusCode)
	}
	big := strings.NewReader(`{"query":"{ posts { title } }","variables":{"pad":"` + strings.Repeat("x", maxRequestBody) + `"}}`)
	resp, err = http.Post(s.url+"/graphql", "application/json", big)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", resp.StatusCode)
	}
}

func TestSigningSecret(t *testing.T) {
	if _, _, err := signingSecret("short"); err == nil {
		t.Error("a short GQLJWT_SECRET was accepted")
	}
	s, generated, err := signingSecret("")
	if err != nil || !generated || len(s) != 32 {
		t.Errorf("generated secret: %v %v %d", err, generated, len(s))
	}
	s, generated, err = signingSecret(string(testSecret))
	if err != nil || generated || string(s) != string(testSecret) {
		t.Errorf("configured secret: %v %v", err, generated)
	}
}

// TestLoginThrottleSpansEndpoints: the endpoints share one login throttle,
// so failures on one count on every other.
func TestLoginThrottleSpansEndpoints(t *testing.T) {
	s := newServer(t, options{})
	deLogin := operation(t, seed(t, "004"), "mutation Login(", 0)
	toggleLogin := operation(t, seed(t, "003"), "query($email:String", 0)
	for i := 0; i < gqljwt.DefaultMaxLoginFailures; i++ {
		if r := s.post("/de", deLogin, map[string]any{"email": "bob@example.com", "password": "wrong"}); r.str("errors", 0, "message") != "Incorrect email or password" {
			t.Fatalf("failure %d on /de: %s", i, r.raw)
		}
	}
	r := s.post("/toggle", toggleLogin, map[string]any{"username": "bob", "password": "bob-password"})
	if r.get("data", "loginUser") != nil || r.str("errors", 0, "extensions", "code") != "TOO_MANY_ATTEMPTS" {
		t.Fatalf("bob on /toggle after failures on /de: %s", r.raw)
	}
}

// TestRefreshTokensStayWithTheirEndpoint: a refresh token from /de, where
// refresh rotates, is unknown to /wpgraphql, whose refresh keeps the token:
// otherwise it could be refreshed there again and again without rotating.
func TestRefreshTokensStayWithTheirEndpoint(t *testing.T) {
	s := newServer(t, options{})
	r := s.post("/de", operation(t, seed(t, "004"), "mutation Login(", 0), map[string]any{"email": "bob@example.com", "password": "bob-password"})
	refresh := r.str("data", "login", "refreshToken")
	if refresh == "" {
		t.Fatal(r.raw)
	}
	r = s.post("/wpgraphql", operation(t, seed(t, "002"), "mutation refreshToken(", 0), map[string]any{"token": refresh})
	// WPGraphQL Headless Login answers a refused refresh token with
	// success false and no token, not an error.
	if r.get("data", "refreshToken", "success") != false || r.get("data", "refreshToken", "authToken") != nil || r.get("errors") != nil {
		t.Fatalf("a /de refresh token on /wpgraphql: %s", r.raw)
	}
}

// TestUserSecretRevokedEverywhere: the endpoints share their version
// cache, so a user secret revoked on /wpgraphql refuses the user's tokens
// on every other endpoint at once.
func TestUserSecretRevokedEverywhere(t *testing.T) {
	s := newServer(t, options{})
	doc := seed(t, "002")
	// Each endpoint takes only its own tokens (its own audience): bob logs
	// in on both.
	token := s.post("/graphql", `mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`, nil).str("data", "tokenAuth", "token")
	wpToken := s.post("/wpgraphql", wpOperation(t, doc, "mutation loginWithPassword("), map[string]any{"username": "bob", "password": "bob-password"}).str("data", "login", "authToken")
	// Seen, so its version is cached on /graphql.
	if r := s.post("/graphql", `{ me { id } }`, nil, "Authorization", "Bearer "+token); r.str("data", "me", "id") != "2" {
		t.Fatalf("before: %s", r.raw)
	}
	if r := s.post("/wpgraphql", operation(t, doc, "mutation revokeUserSecret(", 0), map[string]any{"userId": "2"}, "Authorization", "Bearer "+wpToken); r.get("data", "revokeUserSecret", "success") != true {
		t.Fatalf("revokeUserSecret: %s", r.raw)
	}
	if r := s.post("/graphql", `{ me { id } }`, nil, "Authorization", "Bearer "+token); r.str("errors", 0, "extensions", "reason") != "TOKEN_REVOKED" {
		t.Fatalf("on /graphql right after: %s", r.raw)
	}
}
