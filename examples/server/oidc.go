package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/oidc"
)

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// oidcFlags are -oidc-issuer, -oidc-audience and -oidc-preset: issuers and
// audiences in pairs, presets one for all or one per issuer.
type oidcFlags struct {
	issuers, audiences, presets repeated
}

// externalIssuers builds the issuers the flags name, fetching their
// discovery documents and keys.
func (f *oidcFlags) externalIssuers(ctx context.Context) ([]*oidc.Issuer, error) {
	if len(f.issuers) != len(f.audiences) {
		return nil, fmt.Errorf("-oidc-issuer and -oidc-audience come in pairs: %d issuers, %d audiences", len(f.issuers), len(f.audiences))
	}
	if n := len(f.presets); n > 1 && n != len(f.issuers) {
		return nil, fmt.Errorf("-oidc-preset: give one for all issuers or one per issuer, not %d for %d", n, len(f.issuers))
	}
	var out []*oidc.Issuer
	for i, iss := range f.issuers {
		cfg := oidc.Config{Issuer: iss, Audience: []string{f.audiences[i]}}
		if len(f.presets) > 0 {
			if err := applyPreset(&cfg, f.presets[min(i, len(f.presets)-1)]); err != nil {
				return nil, err
			}
		}
		fctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		x, err := oidc.New(fctx, cfg)
		cancel()
		if err != nil {
			for _, o := range out {
				_ = o.Close()
			}
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// applyPreset sets the claim mapping spec names: keycloak[=client,...],
// auth0[=roles claim], cognito, entra, okta or generic.
func applyPreset(cfg *oidc.Config, spec string) error {
	name, arg, _ := strings.Cut(spec, "=")
	switch name {
	case "keycloak":
		var clients []string
		if arg != "" {
			clients = strings.Split(arg, ",")
		}
		cfg.Mapping = oidc.Keycloak(clients...)
	case "auth0":
		cfg.Mapping = oidc.Auth0(arg)
	case "cognito":
		// Cognito access tokens name their app client in client_id.
		cfg.Mapping, cfg.AudienceClaim = oidc.Cognito(), "client_id"
	case "entra":
		cfg.Mapping = oidc.EntraID()
	case "okta":
		cfg.Mapping = oidc.Okta()
	case "generic":
		cfg.Mapping = oidc.Generic()
	default:
		return fmt.Errorf("-oidc-preset %q: want keycloak[=client,...], auth0[=roles claim], cognito, entra, okta or generic", spec)
	}
	return nil
}

// externalUser is the User the demo shows for the caller of an external
// token: made from its claims, with no account of ours behind it.
func externalUser(id *gqljwt.Identity) *gqljwt.User {
	c := id.Claims()
	u := &gqljwt.User{ID: id.Subject, Username: id.Username, Roles: id.Roles, Scopes: id.Scopes, Active: true, Profile: map[string]any{}}
	u.Email, _ = c["email"].(string)
	if v, ok := c["given_name"].(string); ok {
		u.Profile["fname"] = v
	}
	if v, ok := c["family_name"].(string); ok {
		u.Profile["lname"] = v
	}
	return u
}

func asExternal(xs []*oidc.Issuer) []gqljwt.ExternalIssuer {
	out := make([]gqljwt.ExternalIssuer, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
