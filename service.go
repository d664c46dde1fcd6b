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
	// issuers are Config.Issuers by iss (see issuers.go); nil for none.
	issuers map[string]ExternalIssuer
	// wallClock is true when Config.Now is time.Now, whose expiry checks
	// go-cache already makes.
	wallClock bool
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
	ring, err := newKeyring(cfg, wallClock)
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
	s := &Service{cfg: cfg, verified: newVerifiedCache(cfg.CacheEntries), wallClock: wallClock, issuers: issuers}
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
	_, value, err := s.ring.Load().signer.Encode(claims)
	if err != nil {
		return nil, ErrInternal.WithCause(err)
	}
	if len(value) > s.cfg.MaxTokenSize {
		return nil, ErrInternal.WithCause(fmt.Errorf("gqljwt: the token is %d bytes, over MaxTokenSize (%d): Verify would refuse it", len(value), s.cfg.MaxTokenSize))
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
	id, err := s.verify(ctx, token)
	if err != nil {
		return nil, err
	}
	return id.clone(), nil
}

// VerifiedContext verifies token, as Verify does, and returns a child of
// parent carrying the outcome, as NewContext does: the identity (a copy
// held in the context itself, so that a verified request costs one
// allocation and shares nothing with the cache) or the error. It is what
// middleware.Verifier runs for a request that carries a token.
func (s *Service) VerifiedContext(parent context.Context, w http.ResponseWriter, r *http.Request, token string) context.Context {
	id, err := s.verify(parent, token)
	return NewContext(parent, w, r, id, err)
}

// verify is Verify without the copy: the identity may be the cache's.
func (s *Service) verify(ctx context.Context, token string) (*Identity, error) {
	if len(token) > s.cfg.MaxTokenSize {
		// Refused before the cache lookup would hash all of it.
		return nil, ErrTokenInvalid
	}
	ring := s.ring.Load()
	if id, ok := s.verified.get(token); ok && id.ring == ring {
		// go-cache drops an entry a second before its token expires, by
		// the wall clock. Another clock (Config.Now) needs its own check.
		if !s.wallClock && !s.cfg.Now().Before(id.ExpiresAt.Add(s.cfg.Leeway)) {
			return nil, ErrTokenExpired
		}
		if err := s.checkRevocation(ctx, id); err != nil {
			return nil, err
		}
		return id, nil
	}
	id, err := s.verifyCold(ctx, ring, token)
	if err != nil {
		return nil, err
	}
	if err := s.checkRevocation(ctx, id); err != nil {
		return nil, err
	}
	s.verified.add(token, id, s.cfg.Now)
	return id, nil
}

func (s *Service) verifySlow(ring *keyring, token string) (*Identity, error) {
	if !wellFormed(token, s.cfg.MaxTokenSize) {
		return nil, ErrTokenInvalid
	}
	ja, ok := ring.verifierFor(token)
	if !ok {
		return nil, ErrTokenInvalid
	}
	// Before the signature: a payload we could not have issued is refused
	// without spending a key operation on it.
	payload := token[strings.IndexByte(token, '.')+1 : strings.LastIndexByte(token, '.')]
	if !strictPayload(payload) {
		return nil, ErrTokenInvalid
	}
	t, err := ja.Decode(token)
	if err == nil {
		err = jwt.Validate(t, ja.ValidateOptions()...)
	}
	if err != nil {
		// Keep jwtauth's normalised error in the chain, so errors.Is works
		// with jwtauth's sentinels as well as ours.
		reason := jwtauth.ErrorReason(err)
		cause := fmt.Errorf("%w: %w", reason, err)
		if reason == jwtauth.ErrExpired {
			return nil, ErrTokenExpired.WithCause(cause)
		}
		return nil, ErrTokenInvalid.WithCause(cause)
	}
	id, ok := s.identityFromToken(token, t)
	if !ok {
		return nil, ErrTokenInvalid
	}
	id.ring = ring
	return id, nil
}

// validateOptions are the claim checks of every token of type typ. exp is
// required explicitly: jwx skips the expiry check when the claim is absent.
//
// The required claims and the type travel as one option, allOf, because
// jwt.Validate unpacks every option through reflection on every call: one
// option per check cost more than the checks. wallClock leaves out
// WithClock, whose default is the same time.Now.
func validateOptions(cfg Config, typ string, wallClock bool) []jwt.ValidateOption {
	opts := []jwt.ValidateOption{
		jwt.WithValidator(allOf{
			jwt.IsRequired(jwt.ExpirationKey),
			jwt.IsRequired(jwt.IssuedAtKey),
			jwt.IsRequired(jwt.SubjectKey),
			jwt.IsRequired(jwt.JwtIDKey),
			jwt.ClaimValueIs(claimTokenType, typ),
		}),
		jwt.WithAcceptableSkew(cfg.Leeway),
	}
	if !wallClock {
		opts = append(opts, jwt.WithClock(jwt.ClockFunc(cfg.Now)))
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	return opts
}

// allOf is a jwx validator that passes when each of its validators does.
type allOf []jwt.Validator

func (vs allOf) Validate(ctx context.Context, t jwt.Token) error {
	for _, v := range vs {
		if err := v.Validate(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// checkRevocation runs on every verification, cached or not: neither the
// token's jti nor its session may be revoked and, with a VersionStore, its
// version must be the user's current one. A store error refuses the token.
func (s *Service) checkRevocation(ctx context.Context, id *Identity) error {
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
	current, err := s.tokenVersion(ctx, id.Subject)
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

func (s *Service) tokenVersion(ctx context.Context, subject string) (uint64, error) {
	return s.cfg.VersionCache.version(ctx, s.cfg.Versions, subject)
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
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return 0, errNoSuchUser.WithCause(err)
		}
		return 0, ErrUnavailable.WithCause(err)
	}
	s.cfg.VersionCache.bumped(subject)
	s.emit(ctx, Event{Kind: EventUserSecretBumped, Subject: subject})
	return v, nil
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
	ring, err := newKeyring(cfg, s.wallClock)
	if err != nil {
		return err
	}
	s.ring.Store(ring)
	s.verified.flush()
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
