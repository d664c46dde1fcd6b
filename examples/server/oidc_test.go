package main

import (
	"context"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt/oidc/oidctest"
)

// TestExternalIssuer: with -oidc-issuer/-oidc-audience/-oidc-preset the
// demo accepts a Keycloak-shaped token of an in-process provider on its
// endpoints, over HTTP: me answers from the claims (id is the sub, even
// one equal to a local user's ID, whose record is not used), the guards
// apply the mapped roles and scopes, and our own logins keep working.
func TestExternalIssuer(t *testing.T) {
	p, err := oidctest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f := oidcFlags{}
	for flag, v := range map[*repeated]string{&f.issuers: p.Issuer(), &f.audiences: "demo-api", &f.presets: "keycloak=demo-app"} {
		_ = flag.Set(v)
	}
	issuers, err := f.externalIssuers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer issuers[0].Close()
	s := newServer(t, options{issuers: asExternal(issuers)})

	claims := func(sub string, realmRoles []string, scope string) map[string]any {
		c := p.Claims(sub, "demo-api", time.Now(), 5*time.Minute)
		c["preferred_username"], c["email"], c["given_name"], c["scope"] = "ext-ann", "ann@idp.example", "Ann", scope
		c["realm_access"] = map[string]any{"roles": realmRoles}
		return c
	}
	editor, err := p.Sign("RS256", claims("1", []string{"EDITOR"}, "openid write:posts"))
	if err != nil {
		t.Fatal(err)
	}
	bearer := []string{"Authorization", "Bearer " + editor}
	r := s.post("/graphql", `{ me { id username email fname roles scopes } drafts { id } }`, nil, bearer...)
	if r.get("errors") != nil || r.str("data", "me", "id") != "1" || r.str("data", "me", "username") != "ext-ann" ||
		r.str("data", "me", "email") != "ann@idp.example" || r.str("data", "me", "fname") != "Ann" ||
		r.str("data", "me", "roles", 0) != "EDITOR" || r.str("data", "me", "scopes", 1) != "write:posts" || r.get("data", "drafts") == nil {
		t.Fatalf("external editor on /graphql: %s", r.raw)
	}
	if r := s.post("/graphql", `mutation { createPost(title: "from the IdP") { title author } }`, nil, bearer...); r.str("data", "createPost", "author") != "ext-ann" {
		t.Fatalf("createPost with the mapped scope: %s", r.raw)
	}
	if r := s.post("/graphql", `{ adminStats { posts } }`, nil, bearer...); r.str("errors", 0, "extensions", "code") != "FORBIDDEN" || r.str("errors", 0, "path", 0) != "adminStats" {
		t.Fatalf("adminStats without ADMIN: %s", r.raw)
	}
	// Another endpoint, another extractor: the bearer of CollectiveAccess.
	if r := s.post("/de", `{ me { id username } }`, nil, bearer...); r.str("data", "me", "username") != "ext-ann" {
		t.Fatalf("external token on /de: %s", r.raw)
	}
	viewer, _ := p.Sign("RS256", claims("ext-2", nil, "openid"))
	if r := s.post("/graphql", `{ drafts { id } }`, nil, "Authorization", "Bearer "+viewer); r.str("errors", 0, "extensions", "code") != "FORBIDDEN" {
		t.Fatalf("drafts without a role: %s", r.raw)
	}
	// The flags pin the default algorithm, RS256: the provider's ES256
	// key signs nothing the demo accepts.
	es, _ := p.Sign("ES256", claims("ext-2", nil, "openid"))
	if r := s.post("/graphql", `{ me { id } }`, nil, "Authorization", "Bearer "+es); r.str("errors", 0, "extensions", "reason") != "TOKEN_INVALID" {
		t.Fatalf("ES256 under the RS256 pin: %s", r.raw)
	}
	wrongAud := claims("1", []string{"ADMIN"}, "openid")
	wrongAud["aud"] = "another-api"
	tok, _ := p.Sign("RS256", wrongAud)
	if r := s.post("/graphql", `{ me { id } }`, nil, "Authorization", "Bearer "+tok); r.str("errors", 0, "extensions", "reason") != "TOKEN_INVALID" {
		t.Fatalf("wrong audience: %s", r.raw)
	}
	// The external "1" is not alice (local user 1): it may not manage her
	// account, nor renew its token into one of ours.
	if r := s.post("/wpgraphql", operation(t, seed(t, "002"), "mutation revokeUserSecret(", 0), map[string]any{"userId": "1"}, bearer...); r.str("errors", 0, "extensions", "code") != "FORBIDDEN" {
		t.Fatalf("revokeUserSecret of the local account sharing its sub: %s", r.raw)
	}
	if r := s.post("/graphql", `mutation($t: String!) { refreshToken(token: $t) { token } }`, map[string]any{"t": editor}); r.str("errors", 0, "extensions", "code") != "BAD_USER_INPUT" {
		t.Fatalf("refreshToken of an external token: %s", r.raw)
	}
	// Our own login on the same endpoint.
	r = s.post("/graphql", `mutation { tokenAuth(username: "bob", password: "bob-password") { token } }`, nil)
	own := r.str("data", "tokenAuth", "token")
	if r := s.post("/graphql", `{ me { id username } }`, nil, "Authorization", "Bearer "+own); r.str("data", "me", "username") != "bob" {
		t.Fatalf("our own token beside the external issuer: %s", r.raw)
	}
}
