package oidc

import (
	"slices"
	"strings"

	"github.com/gqljwt/gqljwt"
)

// Claim is the path of a claim: its name, then the names of the members to
// descend into, e.g. Claim{"realm_access", "roles"}. A path and not a
// dotted string, because claim names hold dots and colons themselves
// ("https://example.com/roles", "cognito:groups").
type Claim []string

// Mapping turns the claims of a verified token into the identity's
// username, roles and scopes, as data. Every path is optional in the
// token: an absent claim, or null, adds nothing. A claim present with another type
// than the one below refuses the token (TOKEN_INVALID), as gqljwt does
// for its own tokens: a guard must not read a role list it misunderstood.
type Mapping struct {
	// Username is read from the first of these claims present, a string.
	Username []Claim
	// Roles are the union of these claims, each an array of strings or one
	// string.
	Roles []Claim
	// Scopes are the union of these claims, each a space-separated string
	// (OAuth 2.0's scope) or an array of strings.
	Scopes []Claim
	// Func, when set, runs after the paths with every claim (numbers as
	// json.Number) and the identity built so far, to change its Username,
	// Roles or Scopes. An error refuses the token: return a *gqljwt.Error
	// to choose its code, any other error is TOKEN_INVALID.
	Func func(claims map[string]any, id *gqljwt.Identity) error
}

// Generic maps the claims most providers and RFC 9068 (JWT access tokens)
// use: preferred_username, roles, scope and scp.
func Generic() *Mapping {
	return &Mapping{
		Username: []Claim{{"preferred_username"}},
		Roles:    []Claim{{"roles"}},
		Scopes:   []Claim{{"scope"}, {"scp"}},
	}
}

// Keycloak maps a Keycloak access token: realm roles from
// realm_access.roles, the roles of each of clients from
// resource_access.<client>.roles, scopes from scope, the username from
// preferred_username (Keycloak Server Administration Guide, "Role scope
// mappings"; the claims of org.keycloak.representations.AccessToken).
func Keycloak(clients ...string) *Mapping {
	m := &Mapping{
		Username: []Claim{{"preferred_username"}},
		Roles:    []Claim{{"realm_access", "roles"}},
		Scopes:   []Claim{{"scope"}},
	}
	for _, c := range clients {
		m.Roles = append(m.Roles, Claim{"resource_access", c, "roles"})
	}
	return m
}

// Auth0 maps an Auth0 access token: scopes from scope and from the RBAC
// permissions array ("Enable Role-Based Access Control for APIs", with
// "Add Permissions in the Access Token"), roles from rolesClaim, the
// namespaced custom claim an Action sets ("Create Custom Claims": e.g.
// "https://example.com/roles"); empty for none.
func Auth0(rolesClaim string) *Mapping {
	m := &Mapping{Scopes: []Claim{{"scope"}, {"permissions"}}}
	if rolesClaim != "" {
		m.Roles = []Claim{{rolesClaim}}
	}
	return m
}

// Cognito maps an Amazon Cognito user pool token: roles from
// cognito:groups, scopes from the space-separated scope, the username
// from username (access token) or cognito:username (ID token) ("Using the
// access token", Amazon Cognito Developer Guide). Cognito access tokens
// carry client_id and no aud: set Config.AudienceClaim to "client_id".
func Cognito() *Mapping {
	return &Mapping{
		Username: []Claim{{"username"}, {"cognito:username"}},
		Roles:    []Claim{{"cognito:groups"}},
		Scopes:   []Claim{{"scope"}},
	}
}

// EntraID maps a Microsoft Entra ID access token: roles from the app
// roles claim roles, scopes from scp (one space-separated string), the
// username from preferred_username (v2.0 tokens) or upn (v1.0) ("Access
// token claims reference", Microsoft identity platform).
func EntraID() *Mapping {
	return &Mapping{
		Username: []Claim{{"preferred_username"}, {"upn"}},
		Roles:    []Claim{{"roles"}},
		Scopes:   []Claim{{"scp"}},
	}
}

// Okta maps an Okta access token: roles from groups (the groups claim an
// authorization server adds), scopes from the scp array, the username from
// sub, which Okta sets to the user's login ("Access token" in Okta's
// OpenID Connect & OAuth 2.0 API reference).
func Okta() *Mapping {
	return &Mapping{
		Username: []Claim{{"sub"}},
		Roles:    []Claim{{"groups"}},
		Scopes:   []Claim{{"scp"}},
	}
}

// Custom maps claims with fn alone.
func Custom(fn func(claims map[string]any, id *gqljwt.Identity) error) *Mapping {
	return &Mapping{Func: fn}
}

// apply fills id from claims.
func (m *Mapping) apply(claims map[string]any, id *gqljwt.Identity) error {
	for _, c := range m.Username {
		v, found := c.lookup(claims)
		if !found || v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return invalid("claim %q is not a string", strings.Join(c, "."))
		}
		id.Username = s
		break
	}
	var err error
	if id.Roles, err = collect(claims, m.Roles, false); err != nil {
		return err
	}
	if id.Scopes, err = collect(claims, m.Scopes, true); err != nil {
		return err
	}
	if m.Func != nil {
		if err := m.Func(claims, id); err != nil {
			if e := gqljwt.CodeOf(err); e != "" {
				return err
			}
			return gqljwt.ErrTokenInvalid.WithCause(err)
		}
	}
	return nil
}

// lookup descends into claims along c.
func (c Claim) lookup(claims map[string]any) (any, bool) {
	var v any = claims
	for _, name := range c {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[name]; !ok {
			return nil, false
		}
	}
	return v, len(c) > 0
}

// collect is the union, in order and without repeats, of the claims of
// paths: arrays of strings, or a string (split on spaces when split).
func collect(claims map[string]any, paths []Claim, split bool) ([]string, error) {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, c := range paths {
		v, found := c.lookup(claims)
		if !found || v == nil {
			continue
		}
		switch v := v.(type) {
		case string:
			if split {
				for _, f := range strings.Fields(v) {
					add(f)
				}
			} else {
				add(v)
			}
		case []any:
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, invalid("claim %q holds a non-string", strings.Join(c, "."))
				}
				add(s)
			}
		default:
			return nil, invalid("claim %q is neither a string nor an array of strings", strings.Join(c, "."))
		}
	}
	return out, nil
}
