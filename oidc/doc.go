// Package oidc verifies the access tokens of external identity providers
// (Auth0, Okta, Keycloak, Amazon Cognito, Microsoft Entra ID, Google, any
// OpenID Connect provider) for a gqljwt.Service, so that one
// middleware.Verifier accepts the Service's own tokens and every
// configured provider's, and the same @auth guards apply to them.
//
// An Issuer is one provider: its issuer URL, the audiences accepted, the
// algorithms pinned (asymmetric only), and a Mapping from its claims to
// the identity's roles and scopes (presets: Keycloak, Auth0, Cognito,
// EntraID, Okta, Generic, Custom). Keys come from the provider's key set,
// found through OpenID Connect discovery or given, and are fetched and
// refreshed by jwx's jwk.Cache: an unknown kid refetches the set once,
// rate-limited, and a provider that cannot be reached keeps its last good
// keys for MaxStale, then every token of it is refused with
// AUTH_UNAVAILABLE.
//
// Put each Issuer in gqljwt.Config.Issuers: the Service sends a token to
// the issuer its iss names, before any key is used, and serves the
// verified identity from the same cache, with the same jti denylist.
package oidc
