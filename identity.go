package gqljwt

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/lestrrat-go/jwx/v3/transform"
)

// Identity is the verified caller of a request, built from an access token.
//
// Every request, and every caller of Service.Verify, gets its own copy:
// changing one changes nothing for the others, nor for the verified-token
// cache.
type Identity struct {
	// Subject is the sub claim: the user ID.
	Subject string
	// Username is the username claim, when present.
	Username string
	// Roles come from the roles claim (Config.RolesClaim).
	Roles []string
	// Scopes come from the space-delimited scope claim and the scp array.
	Scopes []string
	// TokenID is the jti claim, the handle for revoking this token. For a
	// token of an external issuer it is a handle derived from the issuer
	// and the jti (the token itself when it has none), which no other
	// issuer's token can share; the jti as sent is in Claims.
	TokenID string
	// SessionID is the sid claim: the login session (and refresh-token
	// family) the token belongs to.
	SessionID string
	// Token is the raw access token.
	Token string
	// IssuedAt and ExpiresAt are the iat and exp claims.
	IssuedAt, ExpiresAt time.Time
	// OriginalIssuedAt is when the session's first token was issued; single
	// token refresh is allowed until OriginalIssuedAt + RefreshTTL.
	OriginalIssuedAt time.Time
	// TokenVersion is the user's token version the token was issued under.
	TokenVersion uint64
	// ExternalIssuer is the iss of a token from one of Config.Issuers, ""
	// for the tokens this Service issues. Subject then names a user of
	// that issuer, not an account of ours: see IsLocalUser.
	ExternalIssuer string

	// parsed is the jwx view of Token, built on first use: keeping the
	// parsed token of every cached identity alive would give the garbage
	// collector a large pointer graph to mark for a rarely used value.
	parsed *lazyToken
	// ring is the keyring that verified the token; a cached identity is
	// only served while that ring is still the current one.
	ring *keyring
	// issuer verified an external token; nil for ours.
	issuer ExternalIssuer
	// sessionKey is SessionID's RevocationStore key, built once so that
	// the check on every request allocates nothing.
	sessionKey string
}

type lazyToken struct {
	once sync.Once
	t    jwt.Token
}

// clone returns a copy of id that shares nothing mutable with it, in one
// allocation when its roles and scopes are few.
func (id *Identity) clone() *Identity {
	box := &struct {
		id    Identity
		roles [4]string
	}{}
	copyIdentity(&box.id, &box.roles, id)
	return &box.id
}

// HasRole reports whether the identity holds role.
func (id *Identity) HasRole(role string) bool {
	return id != nil && slices.Contains(id.Roles, role)
}

// IsLocalUser reports whether the identity is the local account userID:
// a token this Service issued for it. An external issuer's subject that
// happens to equal userID is not that account.
func (id *Identity) IsLocalUser(userID string) bool {
	return id != nil && id.ExternalIssuer == "" && id.Subject == userID
}

// HasScope reports whether the identity holds scope.
func (id *Identity) HasScope(scope string) bool {
	return id != nil && slices.Contains(id.Scopes, scope)
}

// Claims returns every claim of the token in a new map the caller may keep
// and modify. Times are numeric (seconds since the epoch), as on the wire.
func (id *Identity) Claims() map[string]any {
	m := map[string]any{}
	t := id.JWT()
	if t == nil {
		return m
	}
	_ = transform.AsMap(t, m)
	for _, k := range []string{jwt.IssuedAtKey, jwt.ExpirationKey, jwt.NotBeforeKey} {
		if t, ok := m[k].(time.Time); ok {
			m[k] = t.Unix()
		}
	}
	return m
}

// JWT returns the parsed jwx token, the value jwtauth.FromContext reports.
func (id *Identity) JWT() jwt.Token {
	if id == nil || id.parsed == nil {
		return nil
	}
	id.parsed.once.Do(func() {
		// The bytes were verified when the identity was built; parsing
		// them again needs no key.
		id.parsed.t, _ = jwt.ParseInsecure([]byte(id.Token))
	})
	return id.parsed.t
}

// identityFromToken reads a verified token. ok is false when a claim gqljwt
// needs has the wrong type, which a token we issued never has.
func (s *Service) identityFromToken(raw string, t jwt.Token) (*Identity, bool) {
	// One allocation for the identity and its lazy token.
	box := &struct {
		id   Identity
		lazy lazyToken
	}{}
	id := &box.id
	id.Token, id.parsed = raw, &box.lazy
	id.Subject, _ = t.Subject()
	id.TokenID, _ = t.JwtID()
	id.IssuedAt, _ = t.IssuedAt()
	id.ExpiresAt, _ = t.Expiration()
	if id.Subject == "" || id.TokenID == "" || id.ExpiresAt.IsZero() {
		return nil, false
	}
	c := newClaims(t)
	var scope string
	var scp []string
	var orig, ver float64
	ok := optional(c, claimSessionID, &id.SessionID) &&
		optional(c, s.cfg.UsernameClaim, &id.Username) &&
		stringList(c, s.cfg.RolesClaim, &id.Roles) &&
		optional(c, s.cfg.ScopeClaim, &scope) &&
		stringList(c, s.cfg.ScopeArrayClaim, &scp) &&
		optional(c, claimOriginalIssuedAt, &orig) &&
		optional(c, claimTokenVersion, &ver)
	if !ok || ver < 0 {
		return nil, false
	}
	if id.SessionID != "" {
		id.sessionKey = sessionRevocationKey(id.SessionID)
	}
	id.Scopes = strings.Fields(scope)
	for _, sc := range scp {
		if !slices.Contains(id.Scopes, sc) {
			id.Scopes = append(id.Scopes, sc)
		}
	}
	id.OriginalIssuedAt = id.IssuedAt
	if orig > 0 {
		id.OriginalIssuedAt = time.Unix(int64(orig), 0)
	}
	id.TokenVersion = uint64(ver)
	return id, true
}

// claims reads the private claims of a token.
type claims struct {
	// private is jwx's own map of private claims, read without copying or
	// locking: the token was just parsed and nothing else holds it. nil
	// when the token has none or its type does not expose them; then
	// t.Get serves.
	private map[string]any
	t       jwt.Token
	// v is the one destination for t.Get: every pointer handed to Get
	// escapes, so one variable costs one allocation instead of one per
	// claim.
	v any
}

func newClaims(t jwt.Token) *claims {
	c := &claims{t: t}
	if p, ok := t.(interface{ PrivateClaims() map[string]any }); ok {
		c.private = p.PrivateClaims()
	}
	return c
}

// get returns the claim name; found is false when it is absent.
func (c *claims) get(name string) (v any, found bool) {
	if c.private != nil {
		v, found = c.private[name]
		return v, found
	}
	// Has first: Get builds an error value for an absent claim.
	if !c.t.Has(name) || c.t.Get(name, &c.v) != nil {
		return nil, false
	}
	return c.v, true
}

// optional stores the claim name in dst when present; a claim of another
// type than T is refused.
func optional[T any](c *claims, name string, dst *T) bool {
	v, found := c.get(name)
	if !found {
		return true
	}
	tv, ok := v.(T)
	*dst = tv
	return ok
}

// stringList stores a claim holding an array of strings (or one string).
func stringList(c *claims, name string, dst *[]string) bool {
	v, found := c.get(name)
	if !found {
		return true
	}
	switch v := v.(type) {
	case string:
		*dst = []string{v}
	case []string:
		*dst = v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return false
			}
			out = append(out, s)
		}
		*dst = out
	default:
		return false
	}
	return true
}
