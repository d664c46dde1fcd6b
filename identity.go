package gqljwt

import (
	"bytes"
	"context"
	"slices"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/lestrrat-go/jwx/v3/transform"
)

// Identity is the verified caller of a request, built from an access token.
//
// Every request, and every caller of Service.Verify, gets its own copy:
// changing one changes nothing for the others, nor for the verified-token
// cache. Its strings and slices share one allocation with the identity
// itself (for a request, with its context node): a string kept long
// after the request keeps that node alive, and the request and response
// it refers to; strings.Clone what you keep for long.
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

// lazyToken is the parsed token once JWT has run: a pointer, not a
// sync.Once beside the token, so that it takes 8 bytes of the context node
// that holds every verified request's identity. Two first calls at once
// may both parse; they parse the same string, and the first to finish is
// kept.
type lazyToken struct {
	p atomic.Pointer[jwt.Token]
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
	if t := id.parsed.p.Load(); t != nil {
		return *t
	}
	t := id.parse()
	if !id.parsed.p.CompareAndSwap(nil, &t) {
		t = *id.parsed.p.Load()
	}
	return t
}

// parse returns the jwx token of id.Token, nil unless its signature
// verifies.
func (id *Identity) parse() jwt.Token {
	// The claims were verified when the identity was built, but a cache
	// hit matches the token by a hash: the signature is checked again
	// before the string is read, so that what JWT returns is always what
	// was signed.
	if id.issuer != nil {
		// An external token: its issuer verifies it again.
		if _, err := id.issuer.Verify(context.Background(), id.Token); err != nil {
			return nil
		}
	} else if id.ring == nil {
		return nil
	} else if k, ok := id.ring.verifierFor(id.Token); !ok || !wellFormed(id.Token, len(id.Token)) || !k.verify(id.Token) {
		return nil
	}
	t, err := jwt.ParseInsecure([]byte(id.Token))
	if err != nil {
		return nil
	}
	return t
}

// identityFromPayload builds the identity of a verified token from the
// claims readPayload collected from buf, its decoded payload, and the cache
// entry that gives it back later. ok is false when a claim gqljwt reads
// has the wrong type, which a token we issued never has: a username or
// scope that is not a string, roles or scp that are neither a string nor
// an array of strings. An identity the cache cannot hold comes with an
// empty entry.
//
// The identity is built from the entry in box, as a cache hit builds it:
// when box is nil, one allocation for the identity, its lazy token, its
// texts and, when they are few, its roles and scopes; texts that do not
// fit the box take one more.
func (s *Service) identityFromPayload(raw string, buf []byte, c *payloadClaims, ring *keyring, box *identityBox) (*Identity, cachedIdentity, bool) {
	sub, _ := jsonText(buf, c.sub)
	jti, _ := jsonText(buf, c.jti)
	if len(sub) == 0 || len(jti) == 0 {
		return nil, cachedIdentity{}, false
	}
	var sessionKey [len(sessionKeyPrefix) + sessionIDLength]byte
	copy(sessionKey[copy(sessionKey[:], sessionKeyPrefix):], buf[c.sid.start+1:c.sid.end-1]) // readPayload checked its shape
	var username, scope []byte
	if c.username.present() {
		t, ok := jsonText(buf, c.username)
		if !ok {
			return nil, cachedIdentity{}, false
		}
		username = t
	}
	if c.scope.present() {
		t, ok := jsonText(buf, c.scope)
		if !ok {
			return nil, cachedIdentity{}, false
		}
		scope = t
	}
	var rolesBuf, scopesBuf [8][]byte
	roles, scopes := rolesBuf[:0], scopesBuf[:0]
	if c.roles.present() && !eachString(buf, c.roles, func(t []byte) { roles = append(roles, t) }) {
		return nil, cachedIdentity{}, false
	}
	// The scopes: the fields of scope, then the scp entries not among them.
	for f := range bytes.FieldsSeq(scope) {
		scopes = append(scopes, f)
	}
	if c.scopeArray.present() && !eachString(buf, c.scopeArray, func(t []byte) {
		if !slices.ContainsFunc(scopes, func(have []byte) bool { return bytes.Equal(have, t) }) {
			scopes = append(scopes, t)
		}
	}) {
		return nil, cachedIdentity{}, false
	}
	if box == nil {
		box = new(identityBox)
	}
	e, cacheable := packIdentity(&box.text, sessionKey[:], sub, jti, username, roles, c.roles.present(), scopes, c.exp, c.iat, c.orig, c.ver)
	id := e.fill(box, raw, ring)
	if !cacheable {
		id.IssuedAt = time.Unix(c.iat, 0).UTC()
		id.OriginalIssuedAt = id.IssuedAt
		if c.orig > 0 {
			id.OriginalIssuedAt = time.Unix(c.orig, 0).UTC()
		}
		return id, cachedIdentity{}, true
	}
	e.gen = ring.gen
	return id, e, true
}

// jsonText returns the contents of the JSON string whose text is at v in
// buf, unescaped, and whether the value there is a string.
func jsonText(buf []byte, v valueSpan) ([]byte, bool) {
	if !v.present() || buf[v.start] != '"' {
		return nil, false
	}
	raw := buf[v.start+1 : v.end-1]
	if bytes.IndexByte(raw, '\\') >= 0 {
		return unescape(raw), true
	}
	return raw, true
}

// jsonStringIs reports whether the value at v is the string want.
func jsonStringIs(buf []byte, v valueSpan, want string) bool {
	t, ok := jsonText(buf, v)
	return ok && string(t) == want
}

// eachString calls fn with each string of the value at v, which is a
// string or an array of strings (reporting false otherwise, before any
// call for an array that holds something else).
func eachString(buf []byte, v valueSpan, fn func([]byte)) bool {
	if t, ok := jsonText(buf, v); ok {
		fn(t)
		return true
	}
	if !v.present() || buf[v.start] != '[' {
		return false
	}
	var elems [8]valueSpan
	list := elems[:0]
	// readPayload accepted the text: only the element types are unknown.
	p := payloadScanner{b: buf[:v.end], i: v.start + 1}
	if !p.next(']') {
		for {
			p.space()
			start := p.i
			if _, _, ok := p.str(); !ok {
				return false
			}
			list = append(list, valueSpan{start, p.i})
			if !p.next(',') {
				break
			}
		}
	}
	for _, e := range list {
		t, _ := jsonText(buf, e)
		fn(t)
	}
	return true
}

// audienceHas reports whether the aud value at v (a string or an array of
// strings) holds want.
func audienceHas(buf []byte, v valueSpan, want string) bool {
	found := false
	ok := eachString(buf, v, func(t []byte) { found = found || string(t) == want })
	return ok && found
}

// sessionKeyPrefix starts sessionRevocationKey's keys: an identity keeps
// "sid:" and its session ID in one string, SessionID a part of it.
const sessionKeyPrefix = "sid:"
