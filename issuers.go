package gqljwt

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gqljwt/gqljwt/internal/canonb64"
	"github.com/maypok86/otter/v2"
)

// ExternalIssuer verifies the tokens of one identity provider other than
// this Service (an OpenID Connect provider: see the oidc package), so that
// one Service, and so one middleware.Verifier, accepts both its own tokens
// and theirs, with the same cache, revocation and guards.
//
// The Service picks the issuer by the token's iss before any key is used:
// a token whose iss is Issuer() goes to Verify and nowhere else; every
// other token goes to the Service's own verification. A token of one
// issuer is thus never checked with another's keys, nor with ours.
type ExternalIssuer interface {
	// Issuer is the exact iss of the issuer's tokens.
	Issuer() string
	// Verify checks token completely (signature, algorithm, iss, aud, exp)
	// and returns its identity: Subject, IssuedAt and ExpiresAt set,
	// TokenID the jti when the token has one, Username, Roles and Scopes
	// as the issuer maps its claims. Errors are *Error (ErrTokenInvalid,
	// ErrTokenExpired, ErrUnavailable when the keys cannot be had).
	Verify(ctx context.Context, token string) (*Identity, error)
	// Current reports, for a token Verify accepted before and the
	// verified-token cache now serves, whether the issuer would still
	// accept it as far as its keys go (the key still published, the key
	// set not stale): nil if so, else the error Verify would now give.
	Current(ctx context.Context, token string) error
}

// newIssuers indexes cfg.Issuers by iss, refusing what would make routing
// ambiguous.
func newIssuers(cfg Config) (map[string]ExternalIssuer, error) {
	if len(cfg.Issuers) == 0 {
		return nil, nil
	}
	m := make(map[string]ExternalIssuer, len(cfg.Issuers))
	for _, x := range cfg.Issuers {
		if x == nil {
			return nil, errors.New("gqljwt: Issuers holds a nil issuer")
		}
		iss := x.Issuer()
		switch {
		case iss == "":
			return nil, errors.New("gqljwt: an external issuer has an empty Issuer()")
		case iss == cfg.Issuer:
			return nil, fmt.Errorf("gqljwt: external issuer %q is this Service's own Issuer", iss)
		case m[iss] != nil:
			return nil, fmt.Errorf("gqljwt: two external issuers share iss %q", iss)
		}
		m[iss] = x
	}
	return m, nil
}

// verifyCold is full verification: the token goes to the external issuer
// its iss names, or else to our own keys (verifySlow, at now, in box).
func (s *Service) verifyCold(ctx context.Context, ring *keyring, token string, now time.Time, box *identityBox) (*Identity, cachedIdentity, error) {
	if s.issuers == nil {
		return s.verifySlow(ring, token, now, box)
	}
	iss, ok := peekIssuer(token, s.cfg.MaxTokenSize)
	if !ok {
		return nil, cachedIdentity{}, ErrTokenInvalid
	}
	x := s.issuers[iss]
	if x == nil {
		return s.verifySlow(ring, token, now, box)
	}
	got, err := x.Verify(ctx, token)
	if err != nil {
		return nil, cachedIdentity{}, AsError(err)
	}
	if got == nil || got.Subject == "" || got.ExpiresAt.IsZero() {
		return nil, cachedIdentity{}, ErrInternal.WithCause(fmt.Errorf("gqljwt: external issuer %q returned an identity without subject or expiry", iss))
	}
	ext := &struct {
		id   Identity
		lazy lazyToken
	}{}
	id := &ext.id
	*id = Identity{
		Subject: got.Subject, Username: got.Username,
		Roles: append([]string(nil), got.Roles...), Scopes: append([]string(nil), got.Scopes...),
		TokenID: externalTokenID(iss, got.TokenID, token), Token: token,
		IssuedAt: got.IssuedAt, ExpiresAt: got.ExpiresAt, OriginalIssuedAt: got.IssuedAt,
		ExternalIssuer: iss,
		parsed:         &ext.lazy, ring: ring, issuer: x,
	}
	return id, cachedIdentity{}, nil
}

// externalCache remembers the identities of verified external tokens, as
// verifiedCache does ours (see there for why serving from it is as strict
// as verifying): found by the same key, served only before the token's exp
// (and at most maxCachedAge) and while the keyring that was current stays
// so, with checkRevocation (the issuer's key still published, the
// denylist) on every hit. Its entries are whole identities: external
// tokens are few beside ours, and their claims do not fit our packing.
type externalCache struct {
	c *otter.Cache[cacheKey, externalEntry]
}

type externalEntry struct {
	id *Identity
	// added and until bound when the entry is served: not before it was
	// added (a clock stepped back, where the issuer might refuse the
	// token's iat or nbf), and not from until on.
	added, until time.Time
}

func newExternalCache(max int) *externalCache {
	if max < 0 {
		return nil
	}
	return &externalCache{c: otter.Must(&otter.Options[cacheKey, externalEntry]{MaximumSize: max, Clock: stillClock{}})}
}

// get returns a copy of the identity of token, the caller's own, when it
// may be served at now by ring.
func (x *externalCache) get(keys *verifiedCache, token string, now time.Time, ring *keyring) (*Identity, bool) {
	if x == nil || !keys.enabled() {
		return nil, false
	}
	e, ok := x.c.GetIfPresent(keys.key(token))
	if !ok || e.id.ring != ring || now.Before(e.added) || !now.Before(e.until) || e.id.Token != token {
		return nil, false
	}
	id := *e.id
	id.Roles, id.Scopes = slices.Clone(id.Roles), slices.Clone(id.Scopes)
	return &id, true
}

func (x *externalCache) add(keys *verifiedCache, token string, id *Identity, now time.Time, ring *keyring) {
	if x == nil || !keys.enabled() {
		return
	}
	until := now.Add(maxCachedAge)
	if id.ExpiresAt.Before(until) {
		until = id.ExpiresAt
	}
	if !now.Before(until) {
		return
	}
	kept := *id
	kept.Roles, kept.Scopes = slices.Clone(id.Roles), slices.Clone(id.Scopes)
	kept.ring = ring
	x.c.Set(keys.key(token), externalEntry{id: &kept, added: now, until: until})
}

func (x *externalCache) flush() {
	if x != nil {
		x.c.InvalidateAll()
	}
}

// checkExternal is checkRevocation for an external token: its key must
// still be current and its TokenID not denylisted. Sessions and token
// versions are ours: an external token has no session of ours, and its
// subject names no local user, whose version would wrongly refuse (an
// unknown subject) or wrongly admit it (a local user with that ID).
func (s *Service) checkExternal(ctx context.Context, id *Identity) error {
	if err := id.issuer.Current(ctx, id.Token); err != nil {
		return AsError(err)
	}
	revoked, err := s.cfg.Revocations.IsRevoked(ctx, id.TokenID, "")
	if err != nil {
		return ErrUnavailable.WithCause(err)
	}
	if revoked {
		return ErrTokenRevoked
	}
	return nil
}

// externalTokenID is the revocation handle of an external token: derived
// from its issuer and jti, so that no issuer's IDs can denylist another's
// tokens or ours (ours have no colon), and from the token itself when it
// has no jti.
func externalTokenID(iss, jti, token string) string {
	h := sha256.New()
	if jti != "" {
		h.Write([]byte("jti\x00" + iss + "\x00" + jti))
	} else {
		h.Write([]byte("token\x00" + token))
	}
	return "ext:" + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// errExternal refuses an operation on our own sessions or accounts for the
// caller of an external token.
var errExternal = ErrBadUserInput.WithMessage("This token is managed by its external issuer")

// peekIssuer returns the top-level iss of a compact token's payload,
// without verifying anything, so that the token can be sent to the one
// verifier that may check it. It only locates: the verifier then reads the
// payload strictly. ok is false when the payload is not base64url, is not
// a JSON object, nests deeper than maxJSONDepth, names iss twice, holds a
// non-string iss, has data after the object, or has a top-level member name with escapes (which could
// spell iss in a way this scan would not see): such a token is refused
// rather than routed by a guess.
func peekIssuer(token string, maxLen int) (iss string, ok bool) {
	first := strings.IndexByte(token, '.')
	last := strings.LastIndexByte(token, '.')
	if len(token) > maxLen || first < 0 || last == first {
		return "", false
	}
	b, err := canonb64.DecodeString(token[first+1 : last])
	if err != nil {
		return "", false
	}
	p := peekScanner{b: b}
	if !p.skipSpace() || p.b[p.i] != '{' {
		return "", false
	}
	p.i++
	if p.skipSpace() && p.b[p.i] == '}' {
		p.i++
		return "", p.end()
	}
	seen := false
	for {
		if !p.skipSpace() {
			return "", false
		}
		name, escaped, good := p.str()
		if !good || escaped || !p.skipSpace() || p.b[p.i] != ':' {
			return "", false
		}
		p.i++
		if !p.skipSpace() {
			return "", false
		}
		if string(name) == "iss" {
			if seen {
				return "", false
			}
			seen = true
			raw, esc, good := p.str()
			if !good {
				return "", false
			}
			iss = string(raw)
			if esc && json.Unmarshal(p.b[p.i-len(raw)-2:p.i], &iss) != nil {
				return "", false
			}
		} else if !p.skipValue(0) {
			return "", false
		}
		if !p.skipSpace() {
			return "", false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			if !p.end() {
				return "", false
			}
			return iss, true
		default:
			return "", false
		}
	}
}

// peekScanner walks JSON without validating it beyond what locating the
// top-level members needs.
type peekScanner struct {
	b []byte
	i int
}

// skipSpace skips whitespace and reports whether a byte follows.
func (p *peekScanner) skipSpace() bool {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
	return p.i < len(p.b)
}

// end reports whether nothing but whitespace is left.
func (p *peekScanner) end() bool { return !p.skipSpace() }

// str reads a string at p.i: its raw contents and whether they hold
// escapes.
func (p *peekScanner) str() (raw []byte, escaped, ok bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false, false
	}
	start := p.i + 1
	for i := start; i < len(p.b); i++ {
		switch p.b[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			p.i = i + 1
			return p.b[start:i], escaped, true
		}
	}
	return nil, false, false
}

// skipValue skips one value: a string, or a run of other bytes up to the
// delimiter that ends it, nested objects and arrays counted.
func (p *peekScanner) skipValue(depth int) bool {
	if depth >= maxJSONDepth || !p.skipSpace() {
		return false
	}
	switch p.b[p.i] {
	case '"':
		_, _, ok := p.str()
		return ok
	case '{', '[':
		closer := byte('}')
		if p.b[p.i] == '[' {
			closer = ']'
		}
		p.i++
		for {
			if !p.skipSpace() {
				return false
			}
			switch p.b[p.i] {
			case closer:
				p.i++
				return true
			case ',', ':':
				p.i++
			default:
				if !p.skipValue(depth + 1) {
					return false
				}
			}
		}
	}
	start := p.i
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ',', '}', ']', ':', ' ', '\t', '\n', '\r', '"', '{', '[':
			return p.i > start
		}
		p.i++
	}
	return false
}
