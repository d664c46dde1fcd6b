package gqljwt

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/jwtauth/v5"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Service issues and verifies tokens. It is safe for concurrent use; build
// one with New and share it.
type Service struct {
	cfg      Config
	ring     atomic.Pointer[keyring]
	verified *verifiedCache
	// issuers are Config.Issuers by iss (see issuers.go), and external
	// the cache of their verified tokens; nil for none.
	issuers  map[string]ExternalIssuer
	external *externalCache
	// names are the configurable claim names, as the payload reader takes
	// them.
	names claimNames
	// wallClock is set when the service clock is time.Now (Config.Now
	// nil): a request's one reading of it then serves the version cache,
	// which runs on the wall clock, too.
	wallClock bool
	// refreshMAC tags and opens refresh tokens; nil without a
	// RefreshStore.
	refreshMAC *refreshMAC
}

// New checks cfg, applies the defaults and returns a Service. It refuses a
// configuration that is unsafe (a short HS256 secret, a key that does not fit
// the algorithm, ...) with an error that says what to change.
func New(cfg Config) (*Service, error) {
	wallClock := cfg.Now == nil
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ring, err := newKeyring(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Revocations == nil {
		cfg.Revocations = NewMemoryRevocations()
	}
	issuers, err := newIssuers(cfg)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, verified: newVerifiedCache(cfg.CacheEntries), issuers: issuers,
		names:     claimNames{username: cfg.UsernameClaim, roles: cfg.RolesClaim, scope: cfg.ScopeClaim, scopeArray: cfg.ScopeArrayClaim},
		wallClock: wallClock}
	if issuers != nil {
		s.external = newExternalCache(cfg.CacheEntries)
	}
	key, err := refreshKey(cfg)
	if err != nil {
		return nil, err
	}
	if key != nil {
		s.refreshMAC = newRefreshMAC(key)
	}
	s.ring.Store(ring)
	return s, nil
}

// Token is an issued token with what a client needs to know about it.
type Token struct {
	// Value is the serialized token.
	Value string
	// ID is the jti.
	ID string
	// IssuedAt and ExpiresAt bound its validity.
	IssuedAt, ExpiresAt time.Time
	// Claims is the payload as signed.
	Claims map[string]any
}

// ExpiresIn is the lifetime in whole seconds, as an expiresIn field
// reports it for a token just issued.
func (t *Token) ExpiresIn() int64 {
	return int64(t.ExpiresAt.Sub(t.IssuedAt) / time.Second)
}

// IssueAccessToken signs a new access token for u, starting a new session
// with no refresh token. Login (see Login and StartSession) is the usual way
// in; this is for applications that authenticate users themselves.
func (s *Service) IssueAccessToken(ctx context.Context, u *User) (*Token, error) {
	u, err := s.atCurrentVersion(ctx, u)
	if err != nil {
		return nil, err
	}
	sid, err := randomID(16)
	if err != nil {
		return nil, ErrInternal.WithCause(err)
	}
	return s.issue(ctx, u, sid, time.Time{})
}

// issue signs an access token for u in session sid; origIat is the time
// the session started (zero: now).
func (s *Service) issue(ctx context.Context, u *User, sid string, origIat time.Time) (*Token, error) {
	if u == nil || u.ID == "" {
		return nil, ErrInternal.WithCause(errors.New("gqljwt: issuing a token needs a user with an ID"))
	}
	if err := s.mayIssue(ctx, u.ID); err != nil {
		return nil, err
	}
	now := s.cfg.Now().Truncate(time.Second)
	if origIat.IsZero() {
		origIat = now
	}
	jti, err := randomID(16)
	if err != nil {
		return nil, ErrInternal.WithCause(err)
	}
	exp := now.Add(s.cfg.AccessTTL)
	claims := map[string]any{}
	if s.cfg.Claims != nil {
		extra, err := s.cfg.Claims(ctx, u)
		if err != nil {
			return nil, AsError(err)
		}
		for k, v := range extra {
			if reservedClaims[k] {
				return nil, ErrInternal.WithCause(fmt.Errorf("gqljwt: the Claims hook may not set %q", k))
			}
			claims[k] = v
		}
	}
	claims["sub"] = u.ID
	claims["iat"] = now.Unix()
	if s.cfg.NotBefore {
		claims["nbf"] = now.Unix()
	}
	claims["exp"] = exp.Unix()
	claims["jti"] = jti
	claims[claimTokenType] = tokenTypeAccess
	claims[claimOriginalIssuedAt] = origIat.Unix()
	claims[claimSessionID] = sid
	if s.cfg.Versions != nil {
		claims[claimTokenVersion] = u.TokenVersion
	}
	if s.cfg.Issuer != "" {
		claims["iss"] = s.cfg.Issuer
	}
	if s.cfg.Audience != "" {
		claims["aud"] = s.cfg.Audience
	}
	if u.Username != "" {
		claims[s.cfg.UsernameClaim] = u.Username
	}
	if len(u.Roles) > 0 {
		claims[s.cfg.RolesClaim] = u.Roles
	}
	if len(u.Scopes) > 0 {
		claims[s.cfg.ScopeClaim] = strings.Join(u.Scopes, " ")
	}
	ring := s.ring.Load()
	_, value, err := ring.signer.Encode(claims)
	if err != nil {
		return nil, ErrInternal.WithCause(err)
	}
	if len(value) > s.cfg.MaxTokenSize {
		return nil, ErrInternal.WithCause(fmt.Errorf("gqljwt: the token is %d bytes, over MaxTokenSize (%d): Verify would refuse it", len(value), s.cfg.MaxTokenSize))
	}
	if s.cfg.Claims != nil {
		// The hook's values are the application's: a nesting past the
		// reader's depth, a duplicate name in a json.RawMessage, a number
		// past float64, a username or roles claim of the wrong type would
		// make a token that Verify refuses, which the caller would only
		// learn from its users. Our own claims always pass
		// (TestStrictClaimsIssuedTokens).
		if _, _, err := s.verifySlow(ring, value, now, nil); err != nil {
			return nil, ErrInternal.WithCause(fmt.Errorf("gqljwt: the Claims hook's claims make a token that Verify refuses: %w", err))
		}
	}
	return &Token{Value: value, ID: jti, IssuedAt: now, ExpiresAt: exp, Claims: claims}, nil
}

// Verify checks an access token and returns its identity. Errors are
// *Error: ErrTokenInvalid, ErrTokenExpired, ErrTokenRevoked, or
// ErrUnavailable when a store could not answer.
//
// A token verified before is served from the verified-token cache, which is
// exactly as strict as full verification; see verifiedCache. The identity
// returned is the caller's own copy: changing it changes nothing for other
// requests with the same token.
func (s *Service) Verify(ctx context.Context, token string) (*Identity, error) {
	return s.verify(ctx, token, nil)
}

// VerifiedContext verifies token, as Verify does, and returns a child of
// parent carrying the outcome, as NewContext does: the identity (held in
// the context node itself, so that a verified request costs one
// allocation and shares nothing with the cache) or the error. It is what
// middleware.Verifier runs for a request that carries a token.
func (s *Service) VerifiedContext(parent context.Context, w http.ResponseWriter, r *http.Request, token string) context.Context {
	c := &verifiedContext{httpContext: httpContext{Context: parent, w: w, r: r}}
	id, err := s.verify(parent, token, &c.box)
	if err != nil {
		// The identity's room is not needed: a smaller node will do.
		return &requestContext{httpContext: c.httpContext, err: err}
	}
	if id != &c.box.id {
		// An external issuer's identity is new and shared with nothing:
		// a plain copy is the request's own.
		c.box.id = *id
	}
	return c
}

// verify checks token and returns its identity, the caller's own: built
// in box (a new one when box is nil), but for an external issuer's, which
// is new.
func (s *Service) verify(ctx context.Context, token string, box *identityBox) (*Identity, error) {
	if len(token) > s.cfg.MaxTokenSize {
		// Refused before the cache lookup would hash all of it.
		return nil, ErrTokenInvalid
	}
	ring := s.ring.Load()
	// One reading of the clock serves the whole of a hit: time.Now is a
	// large part of it on some machines.
	now := s.now()
	if box == nil {
		box = new(identityBox)
	}
	if e, ok := s.verified.get(token, &box.text); ok && e.servable(now, ring) {
		id := e.fill(box, token, ring)
		if err := s.checkRevocation(ctx, id, now); err != nil {
			return nil, err
		}
		return id, nil
	}
	if id, ok := s.external.get(s.verified, token, now, ring); ok {
		if err := s.checkRevocation(ctx, id, now); err != nil {
			return nil, err
		}
		return id, nil
	}
	s.verified.misses.Add(1)
	id, entry, err := s.verifyCold(ctx, ring, token, now, box)
	if err != nil {
		return nil, err
	}
	if err := s.checkRevocation(ctx, id, now); err != nil {
		return nil, err
	}
	if id.issuer != nil {
		// Read again: the issuer's Verify may have waited on the network.
		s.external.add(s.verified, token, id, s.cfg.Now(), ring)
		return id, nil
	}
	s.verified.add(token, entry, now)
	return id, nil
}

// verifySlow is full verification at now; it returns the identity, built
// in box (a new one when box is nil), and the cache entry that serves it
// later.
func (s *Service) verifySlow(ring *keyring, token string, now time.Time, box *identityBox) (*Identity, cachedIdentity, error) {
	if !wellFormed(token, s.cfg.MaxTokenSize) {
		return nil, cachedIdentity{}, ErrTokenInvalid
	}
	key, ok := ring.verifierFor(token)
	if !ok {
		return nil, cachedIdentity{}, ErrTokenInvalid
	}
	// Before the signature: a payload we could not have issued is refused
	// without spending a key operation on it. The same pass collects the
	// claims.
	payload := token[strings.IndexByte(token, '.')+1 : strings.LastIndexByte(token, '.')]
	var stack [payloadStackBuffer]byte
	var c payloadClaims
	buf, ok := readPayload(stack[:], payload, &c, &s.names)
	if !ok {
		return nil, cachedIdentity{}, ErrTokenInvalid
	}
	if !key.verify(token) {
		return nil, cachedIdentity{}, errBadSignature
	}
	if err := s.validateClaims(buf, &c, now); err != nil {
		return nil, cachedIdentity{}, err
	}
	id, entry, ok := s.identityFromPayload(token, buf, &c, ring, box)
	if !ok {
		return nil, cachedIdentity{}, ErrTokenInvalid
	}
	return id, entry, nil
}

// The refusals of verifySlow keep jwtauth's normalised error and jwx's in
// the chain, as when jwx validated: errors.Is works with the sentinels of
// both as well as ours. Built once: a refusal allocates nothing.
var (
	errBadSignature = ErrTokenInvalid.WithCause(jwtauth.ErrUnauthorized)
	errExpired      = ErrTokenExpired.WithCause(fmt.Errorf("%w: %w", jwtauth.ErrExpired, jwt.TokenExpiredError()))
	errIssuedAt     = ErrTokenInvalid.WithCause(fmt.Errorf("%w: %w", jwtauth.ErrIATInvalid, jwt.InvalidIssuedAtError()))
	errNotBefore    = ErrTokenInvalid.WithCause(fmt.Errorf("%w: %w", jwtauth.ErrNBFInvalid, jwt.TokenNotYetValidError()))
	errMissingClaim = ErrTokenInvalid.WithCause(fmt.Errorf("%w: %w", jwtauth.ErrUnauthorized, jwt.MissingRequiredClaimError()))
	errClaims       = ErrTokenInvalid.WithCause(fmt.Errorf("%w: %w", jwtauth.ErrUnauthorized, jwt.ValidateError()))
)

// validateClaims makes jwx's checks, as jwt.Validate made them with the
// options gqljwt gave it, in its order (iat, exp, nbf, then the required
// claims, typ, iss and aud): exp, iat, sub and jti required, the times
// against the service clock with the leeway, typ "access", iss and aud
// when configured. c was read from buf by readPayload.
func (s *Service) validateClaims(buf []byte, c *payloadClaims, now time.Time) error {
	leeway := s.cfg.Leeway
	switch {
	case c.hasIat && now.Before(time.Unix(c.iat, 0).Add(-leeway)):
		return errIssuedAt
	case c.hasExp && !now.Before(time.Unix(c.exp, 0).Add(leeway)):
		return errExpired
	case c.hasNbf && now.Before(time.Unix(c.nbf, 0).Add(-leeway)):
		return errNotBefore
	case !c.hasExp || !c.hasIat || !c.sub.present() || !c.jti.present():
		return errMissingClaim
	case !jsonStringIs(buf, c.typ, tokenTypeAccess):
		return errClaims
	case s.cfg.Issuer != "" && !jsonStringIs(buf, c.iss, s.cfg.Issuer):
		return errClaims
	case s.cfg.Audience != "" && !audienceHas(buf, c.aud, s.cfg.Audience):
		return errClaims
	}
	return nil
}

// checkRevocation runs on every verification, cached or not: neither the
// token's jti nor its session may be revoked and, with a VersionStore, its
// version must be the user's current one. A store error refuses the token.
// now is the service clock's time the request read.
func (s *Service) checkRevocation(ctx context.Context, id *Identity, now time.Time) error {
	if id.issuer != nil {
		return s.checkExternal(ctx, id)
	}
	revoked, err := s.cfg.Revocations.IsRevoked(ctx, id.TokenID, id.sessionKey)
	if err != nil {
		return ErrUnavailable.WithCause(err)
	}
	if revoked {
		return ErrTokenRevoked
	}
	if s.cfg.Versions == nil {
		return nil
	}
	if !s.wallClock {
		now = wallNow()
	}
	current, err := s.cfg.VersionCache.version(ctx, s.cfg.Versions, id.Subject, now)
	if errors.Is(err, ErrNotFound) {
		return ErrTokenRevoked
	}
	if err != nil {
		return ErrUnavailable.WithCause(err)
	}
	if id.TokenVersion != current {
		return ErrTokenRevoked
	}
	return nil
}

// now is the service clock's time: Config.Now's, or the wall clock's read
// the cheap way (wallNow) when Config.Now is nil.
func (s *Service) now() time.Time {
	if s.wallClock {
		return wallNow()
	}
	return s.cfg.Now()
}

func (s *Service) tokenVersion(ctx context.Context, subject string) (uint64, error) {
	return s.cfg.VersionCache.version(ctx, s.cfg.Versions, subject, time.Now())
}

// RevokeAccessToken denylists the access token of id until it expires. It
// takes effect at once, for cached tokens too.
func (s *Service) RevokeAccessToken(ctx context.Context, id *Identity) error {
	if id == nil {
		return ErrUnauthenticated
	}
	// Stores keep the entry by the wall clock; the token lives by the
	// service clock, so hand over the time it has left.
	until := time.Now().Add(id.ExpiresAt.Add(s.cfg.Leeway).Sub(s.cfg.Now()))
	if err := s.cfg.Revocations.RevokeToken(ctx, id.TokenID, until); err != nil {
		return ErrUnavailable.WithCause(err)
	}
	return nil
}

// BumpTokenVersion invalidates every token of subject (access and refresh)
// by moving the user's token version on. It needs Config.Versions. An
// unknown subject answers ErrBadUserInput, which also matches ErrNotFound
// with errors.Is. A bump is reported as EventUserSecretBumped.
func (s *Service) BumpTokenVersion(ctx context.Context, subject string) (uint64, error) {
	if s.cfg.Versions == nil {
		return 0, errNoVersionStore("BumpTokenVersion")
	}
	v, err := s.cfg.Versions.BumpTokenVersion(ctx, subject)
	return s.versionMoved(ctx, subject, v, err, "")
}

// versionMoved is what follows every store move of subject's version (to
// v, or err): the error mapped as BumpTokenVersion documents, the cached
// version forgotten, the move reported as EventUserSecretBumped with
// reason.
func (s *Service) versionMoved(ctx context.Context, subject string, v uint64, err error, reason string) (uint64, error) {
	switch {
	case errors.Is(err, ErrNotFound):
		return 0, errNoSuchUser.WithCause(err)
	case err != nil:
		return 0, ErrUnavailable.WithCause(err)
	}
	s.cfg.VersionCache.bumped(subject)
	s.emit(ctx, Event{Kind: EventUserSecretBumped, Subject: subject, Reason: reason})
	return v, nil
}

// dropRefreshTokens revokes subject's refresh tokens after a move of its
// version, which refuses them already: revoking frees their records.
func (s *Service) dropRefreshTokens(ctx context.Context, subject string) error {
	if s.cfg.Refresh == nil {
		return nil
	}
	if err := s.cfg.Refresh.RevokeSubject(ctx, subject); err != nil {
		return ErrUnavailable.WithCause(err)
	}
	return nil
}

func errNoVersionStore(what string) *Error {
	return ErrInternal.WithCause(fmt.Errorf("gqljwt: %s needs Config.Versions", what))
}

// RotateKeys replaces the signing key and the accepted verification keys
// without a restart. Tokens signed by a key still listed keep verifying;
// dropping a key refuses its tokens at once, because the verified-token cache
// is emptied with the swap. A rotation is reported as EventKeysRotated,
// whose Reason is the new signing key's kid (a name, never key material).
func (s *Service) RotateKeys(signing Key, verification ...Key) error {
	cfg := s.cfg
	cfg.Secret = nil
	cfg.SigningKey = signing
	cfg.VerificationKeys = verification
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	ring, err := newKeyring(cfg)
	if err != nil {
		return err
	}
	s.ring.Store(ring)
	s.verified.flush()
	s.external.flush()
	// No request caused it: there is no context to carry, nor a client.
	s.emit(context.Background(), Event{Kind: EventKeysRotated, Reason: signing.ID})
	return nil
}

// JWKSHandler serves the public keys (signing and verification) as a JSON
// Web Key Set, for RS256, ES256 and EdDSA. With HS256 it answers 404: those
// keys are secrets.
func (s *Service) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ring.Load().ServeJWKS(w, r)
	})
}

// wellFormed accepts only compact serialization: three non-empty,
// canonically encoded base64url segments (the signature may not be empty:
// unsigned tokens are refused), within maxLen bytes. Canonical means no
// segment length that no byte string encodes to and zero unused bits in
// the last character: decoders ignore those bits, so without this check
// several strings would verify as one token (and take several cache
// entries). It runs before any decoding, so oversized or hostile input
// costs at most one pass over maxLen bytes.
func wellFormed(token string, maxLen int) bool {
	if len(token) == 0 || len(token) > maxLen {
		return false
	}
	dots, start := 0, 0
	for i := 0; i < len(token); i++ {
		// A table lookup, with the rare dot off the hot branch: on random
		// base64url text a switch over character ranges mispredicts and
		// costs several times more.
		if base64URLValue[token[i]] >= 0 {
			continue
		}
		if token[i] != '.' || dots == 2 || !canonicalSegment(token[start:i]) {
			return false
		}
		dots++
		start = i + 1
	}
	return dots == 2 && canonicalSegment(token[start:])
}

// canonicalSegment reports whether seg, made of base64url characters, is
// the unpadded encoding of some bytes with no stray bits.
func canonicalSegment(seg string) bool {
	switch len(seg) % 4 {
	case 0:
		return len(seg) > 0
	case 1:
		return false
	case 2:
		return base64URLValue[seg[len(seg)-1]]&0x0f == 0
	default:
		return base64URLValue[seg[len(seg)-1]]&0x03 == 0
	}
}

// base64URLValue maps a byte to its base64url value, -1 for the others.
var base64URLValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for v, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = int8(v)
	}
	return t
}()

// randomID returns n random bytes from crypto/rand, base64url-encoded.
func randomID(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
