package oidc_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/oidc"
)

// TestPresets: each preset against a token shaped like its provider's
// documented access token (the issuer and times are the test provider's;
// the rest as the documentation shows it).
func TestPresets(t *testing.T) {
	p := newProvider(t)
	now := time.Now()
	cases := []struct {
		name     string
		doc      string
		mapping  *oidc.Mapping
		audClaim string
		aud      string
		claims   map[string]any
		username string
		roles    []string
		scopes   []string
		code     gqljwt.Code
	}{
		{
			name: "Keycloak", doc: "https://www.keycloak.org/docs/latest/server_admin/#_role_scope_mappings (AccessToken: realm_access, resource_access)",
			mapping: oidc.Keycloak("orders-app"), aud: "account",
			claims: map[string]any{
				"sub": "f1a2b3c4-0000-4000-8000-000000000001", "typ": "Bearer", "azp": "orders-app", "aud": "account",
				"session_state": "4f6d1c2e", "sid": "4f6d1c2e", "acr": "1", "email_verified": true,
				"realm_access":    map[string]any{"roles": []string{"offline_access", "uma_authorization", "EDITOR"}},
				"resource_access": map[string]any{"orders-app": map[string]any{"roles": []string{"order-admin"}}, "account": map[string]any{"roles": []string{"manage-account", "view-profile"}}},
				"scope":           "openid email profile", "preferred_username": "ann",
			},
			username: "ann", roles: []string{"offline_access", "uma_authorization", "EDITOR", "order-admin"}, scopes: []string{"openid", "email", "profile"},
		},
		{
			name: "Auth0", doc: "https://auth0.com/docs/get-started/apis/enable-role-based-access-control-for-apis and https://auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims",
			mapping: oidc.Auth0("https://example.com/roles"), aud: "https://api.example.com",
			claims: map[string]any{
				"sub": "auth0|5f7c8ec7c33c6c004bbafe82", "aud": []string{"https://api.example.com", "https://example.auth0.com/userinfo"},
				"azp": "my-client-id", "scope": "openid profile read:orders", "permissions": []string{"read:orders", "write:orders"},
				"https://example.com/roles": []string{"EDITOR"},
			},
			roles: []string{"EDITOR"}, scopes: []string{"openid", "profile", "read:orders", "write:orders"},
		},
		{
			name: "Cognito", doc: "https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html",
			mapping: oidc.Cognito(), audClaim: "client_id", aud: "1example23456789",
			claims: map[string]any{
				"sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "cognito:groups": []string{"admin"}, "version": 2,
				"client_id": "1example23456789", "origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "event_id": "cccccccc-dddd-eeee-ffff-aaaaaaaaaaaa",
				"token_use": "access", "scope": "phone openid profile email", "auth_time": now.Unix(), "username": "my-test-user",
			},
			username: "my-test-user", roles: []string{"admin"}, scopes: []string{"phone", "openid", "profile", "email"},
		},
		{
			name: "Cognito access token checked against aud, which it lacks", doc: "as above",
			mapping: oidc.Cognito(), aud: "1example23456789",
			claims: map[string]any{"sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "client_id": "1example23456789", "token_use": "access"},
			code:   gqljwt.CodeTokenInvalid,
		},
		{
			name: "Entra ID", doc: "https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference",
			mapping: oidc.EntraID(), aud: "6e74172b-be56-4843-9ff4-e66a39bb12e3",
			claims: map[string]any{
				"aud": "6e74172b-be56-4843-9ff4-e66a39bb12e3", "azp": "6e74172b-be56-4843-9ff4-e66a39bb12e3", "azpacr": "0",
				"name": "Abe Lincoln", "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474", "preferred_username": "abeli@microsoft.com",
				"roles": []string{"Orders.Admin"}, "scp": "access_as_user User.Read", "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
				"tid": "72f988bf-86f1-41af-91ab-2d7cd011db47", "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0",
			},
			username: "abeli@microsoft.com", roles: []string{"Orders.Admin"}, scopes: []string{"access_as_user", "User.Read"},
		},
		{
			name: "Okta", doc: "https://developer.okta.com/docs/reference/api/oidc/#access-token",
			mapping: oidc.Okta(), aud: "api://default",
			claims: map[string]any{
				"ver": 1, "jti": "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE", "aud": "api://default",
				"cid": "0oaoesxtxmPf08QHk0h7", "uid": "00uoesxtxmPf08QHk0h7", "scp": []string{"openid", "email", "orders:read"},
				"sub": "ann@example.com", "groups": []string{"Everyone", "EDITOR"},
			},
			username: "ann@example.com", roles: []string{"Everyone", "EDITOR"}, scopes: []string{"openid", "email", "orders:read"},
		},
		{
			name: "Generic (RFC 9068)", doc: "https://www.rfc-editor.org/rfc/rfc9068#section-2.2",
			mapping: nil, aud: "https://rs.example.com/",
			claims: map[string]any{
				"sub": "5ba552d67", "aud": "https://rs.example.com/", "client_id": "s6BhdRkqt3", "scope": "openid profile reademail",
				"roles": []string{"EDITOR"}, "preferred_username": "ann",
			},
			username: "ann", roles: []string{"EDITOR"}, scopes: []string{"openid", "profile", "reademail"},
		},
		{
			name: "Okta with groups null", doc: "null is absent",
			mapping: oidc.Okta(), aud: "api://default",
			claims:   map[string]any{"sub": "ann@example.com", "aud": "api://default", "groups": nil, "scp": []string{"openid"}},
			username: "ann@example.com", scopes: []string{"openid"},
		},
		{
			name: "Keycloak realm roles of the wrong type", doc: "refused, not guessed",
			mapping: oidc.Keycloak(), aud: "account",
			claims: map[string]any{"sub": "x", "aud": "account", "realm_access": map[string]any{"roles": 7}},
			code:   gqljwt.CodeTokenInvalid,
		},
		{
			name: "Custom: staff of one domain", doc: "a custom function",
			mapping: oidc.Custom(func(claims map[string]any, id *gqljwt.Identity) error {
				if claims["hd"] == "example.com" && claims["email_verified"] == true {
					id.Roles = []string{"STAFF"}
				}
				id.Username, _ = claims["email"].(string)
				return nil
			}),
			aud:      "my-client.apps.example.com",
			claims:   map[string]any{"sub": "1100", "aud": "my-client.apps.example.com", "hd": "example.com", "email": "ann@example.com", "email_verified": true},
			username: "ann@example.com", roles: []string{"STAFF"},
		},
		{
			name: "Custom: an error refuses", doc: "a custom function",
			mapping: oidc.Custom(func(map[string]any, *gqljwt.Identity) error { return errors.New("no") }),
			aud:     "a", claims: map[string]any{"sub": "1", "aud": "a"},
			code: gqljwt.CodeTokenInvalid,
		},
		{
			name: "Custom: a gqljwt error keeps its code", doc: "a custom function",
			mapping: oidc.Custom(func(map[string]any, *gqljwt.Identity) error { return gqljwt.ErrForbidden }),
			aud:     "a", claims: map[string]any{"sub": "1", "aud": "a"},
			code: gqljwt.CodeForbidden,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := newIssuer(t, p, nil, func(c *oidc.Config) {
				c.Mapping, c.AudienceClaim, c.Audience = tc.mapping, tc.audClaim, []string{tc.aud}
			})
			c := map[string]any{"iss": p.Issuer(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
			for k, v := range tc.claims {
				c[k] = v
			}
			id, err := x.Verify(context.Background(), sign(t, p, "RS256", c))
			if gqljwt.CodeOf(err) != tc.code {
				t.Fatalf("Verify: %v, want code %q (%s)", err, tc.code, tc.doc)
			}
			if tc.code != "" {
				return
			}
			if id.Username != tc.username || !reflect.DeepEqual(id.Roles, tc.roles) || !reflect.DeepEqual(id.Scopes, tc.scopes) {
				t.Fatalf("username %q roles %q scopes %q; want %q %q %q (%s)", id.Username, id.Roles, id.Scopes, tc.username, tc.roles, tc.scopes, tc.doc)
			}
		})
	}
}
