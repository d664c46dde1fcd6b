package gqljwt

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Input bounds for login and refresh: anything longer is refused before a
// store or bcrypt sees it.
const (
	maxLoginName     = 254 // the longest valid email address
	maxPasswordInput = 1024
	maxRefreshToken  = 512
	refreshTokenSize = 32 // random bytes in an opaque refresh token
)

// Credentials identify a user at login: Username or, when it is empty,
// Email, and the password.
type Credentials struct {
	Username string
	Email    string
	Password string
}

// Session is the outcome of a login or a refresh.
type Session struct {
	// ID identifies the session; access tokens carry it as "sid" and every
	// refresh token of the session shares it.
	ID string
	// User is the account, as the UserStore reported it.
	User *User
	// Access is the access token.
	Access *Token
	// RefreshToken is the opaque long-running refresh token, empty when no
	// RefreshStore is configured or the refresh did not rotate.
	RefreshToken string
	// RefreshExpiresAt is when RefreshToken (or, in single-token mode, the
	// right to renew) ends.
	RefreshExpiresAt time.Time
}

// Authenticate checks credentials against the UserStore, with throttling
// (see LoginThrottle): a client that reaches MaxLoginFailures failures on
// an account, untrusted clients once the account has MaxAccountFailures,
// and an address (ClientAddr(ctx)) once it has MaxAddressFailures over all
// accounts are locked out, for LoginWindow and twice as long at each
// further lockout, up to MaxLockout. A locked-out attempt answers
// ErrTooManyAttempts with RetryAfter, without looking at the password.
// With Config.DeviceCookie, a successful login makes the browser a trusted
// device of the account, whose failures count for that device alone: an
// attacker cannot lock it out. Unknown user, wrong password and inactive
// user all answer ErrInvalidCredentials, after the same bcrypt work.
//
// Each attempt is reported as a security event (see Event): succeeded,
// failed with the reason (which only the event tells), throttled with the
// key that refused, and, when a failure locks a key, a lockout.
func (s *Service) Authenticate(ctx context.Context, c Credentials) (*User, error) {
	if s.cfg.Users == nil {
		return nil, ErrInternal.WithCause(errors.New("gqljwt: login needs Config.Users"))
	}
	name, byEmail := c.Username, false
	if name == "" {
		name, byEmail = c.Email, true
	}
	if name == "" {
		return nil, ErrBadUserInput.WithMessage("A username or an email is required")
	}
	if len(name) > maxLoginName || len(c.Password) > maxPasswordInput {
		return nil, ErrBadUserInput.WithMessage("Username, email or password is too long")
	}
	var (
		u   *User
		err error
	)
	if byEmail {
		u, err = s.cfg.Users.UserByEmail(ctx, name)
	} else {
		u, err = s.cfg.Users.UserByUsername(ctx, name)
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, ErrUnavailable.WithCause(err)
	}
	// Count per account when it exists, so username and email share one
	// budget; per login name otherwise, so unknown names are throttled too.
	account, subject := "name:"+strings.ToLower(name), ""
	if u != nil {
		account, subject = "user:"+u.ID, u.ID
	}
	now := s.cfg.Now()
	adm, by, err := s.cfg.LoginThrottle.admit(ctx, s.lockoutPolicy(), s.loginKeys(ctx, account, now))
	if err != nil {
		if e := AsError(err); e.Code == CodeTooManyAttempts {
			s.emit(ctx, Event{Kind: EventLoginThrottled, Subject: subject, Login: name, Reason: by, RetryAfter: e.RetryAfter})
		}
		return nil, err
	}
	// fail counts the failure, reports it and any lockout it began, and
	// returns what the client is told: ErrInvalidCredentials whatever the
	// reason, or the counter's failure.
	fail := func(reason string) error {
		locked, err := adm.failed(ctx)
		s.emit(ctx, Event{Kind: EventLoginFailed, Subject: subject, Login: name, Reason: reason})
		for _, l := range locked {
			s.emit(ctx, Event{Kind: EventLockout, Subject: subject, Login: name, Reason: l.reason, RetryAfter: l.length})
		}
		if err != nil {
			return err
		}
		return ErrInvalidCredentials
	}
	if u == nil {
		s.cfg.Users.CheckDummyPassword(ctx, c.Password)
		return nil, fail("unknown_user")
	}
	match, err := s.cfg.Users.CheckPassword(ctx, u, c.Password)
	if err != nil {
		// Nothing was learnt about the password: nothing is counted.
		adm.abandoned(ctx)
		return nil, ErrUnavailable.WithCause(err)
	}
	switch {
	case !match:
		return nil, fail("invalid_credentials")
	case !u.Active:
		// Only the event says so: the client hears what a wrong password
		// hears, so that it cannot tell disabled accounts from others.
		return nil, fail("inactive")
	}
	if err := adm.succeeded(ctx); err != nil {
		return nil, err
	}
	if err := s.issueDeviceCookie(ctx, account, now); err != nil {
		return nil, err
	}
	s.emit(ctx, Event{Kind: EventLoginSucceeded, Subject: subject, Login: name})
	return u, nil
}

func tooManyAttempts(retry time.Duration) *Error {
	e := *ErrTooManyAttempts
	e.RetryAfter = retry
	return &e
}

// Login authenticates c and starts a session for the user.
func (s *Service) Login(ctx context.Context, c Credentials) (*Session, error) {
	u, err := s.Authenticate(ctx, c)
	if err != nil {
		return nil, err
	}
	return s.StartSession(ctx, u)
}

// atCurrentVersion returns u at the token version the verifier will check
// (Config.Versions, through the version cache), which need not be
// u.TokenVersion when Versions is not the UserStore.
func (s *Service) atCurrentVersion(ctx context.Context, u *User) (*User, error) {
	if u == nil || u.ID == "" {
		return nil, ErrInternal.WithCause(errors.New("gqljwt: issuing a token needs a user with an ID"))
	}
	if s.cfg.Versions == nil {
		return u, nil
	}
	v, err := s.tokenVersion(ctx, u.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, ErrInternal.WithCause(fmt.Errorf("gqljwt: Config.Versions has no token version for the user: %w", err))
	case err != nil:
		return nil, ErrUnavailable.WithCause(err)
	}
	at := *u
	at.TokenVersion = v
	return &at, nil
}

// StartSession issues the tokens of a new session for an authenticated
// user: an access token and, with a RefreshStore, a refresh token. With
// Config.Versions the session starts at the version that store holds, not
// at u.TokenVersion: the verifier compares with that store, and a separate
// one need not agree with the UserStore.
func (s *Service) StartSession(ctx context.Context, u *User) (*Session, error) {
	u, err := s.atCurrentVersion(ctx, u)
	if err != nil {
		return nil, err
	}
	sid, err := randomID(16)
	if err != nil {
		return nil, ErrInternal.WithCause(err)
	}
	access, err := s.issue(ctx, u, sid, time.Time{})
	if err != nil {
		return nil, err
	}
	sess := &Session{ID: sid, User: u, Access: access, RefreshExpiresAt: access.IssuedAt.Add(s.cfg.RefreshTTL)}
	if s.cfg.Refresh == nil {
		return sess, nil
	}
	token, rec, err := s.newRefreshRecord(sid, u.ID, u.TokenVersion, access.IssuedAt)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Refresh.Create(ctx, rec); err != nil {
		return nil, ErrUnavailable.WithCause(err)
	}
	sess.RefreshToken = token
	return sess, nil
}

// newRefreshRecord makes a refresh token of session sid, tagged (see
// refreshtoken.go), and the record its store keeps.
func (s *Service) newRefreshRecord(sid, subject string, version uint64, now time.Time) (string, RefreshRecord, error) {
	expires := now.Add(s.cfg.RefreshTTL)
	token, err := s.refreshMAC.issue(sid, subject, expires)
	if err != nil {
		return "", RefreshRecord{}, ErrInternal.WithCause(err)
	}
	return token, RefreshRecord{
		Hash: hashToken(token), Family: sid, Subject: subject, TokenVersion: version,
		IssuedAt: now, ExpiresAt: expires,
	}, nil
}

// hashToken is the key a refresh token is stored under.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// RefreshOptions tune Refresh.
type RefreshOptions struct {
	// KeepRefreshToken skips rotation: the refresh token stays valid and
	// Session.RefreshToken is empty. For APIs whose refresh operation
	// cannot return a new refresh token (CollectiveAccess, WPGraphQL); the
	// default, rotation, is what RFC 9700 recommends.
	KeepRefreshToken bool
}

// Refresh exchanges a long-running refresh token for a new access token
// and, unless opts.KeepRefreshToken, a new refresh token (rotation).
//
// A rotated refresh token presented again within Config.RefreshReuseGrace
// of its rotation gets a fresh pair in the same session too: concurrent
// refreshes of one token (tabs, retries) all succeed, and every token
// handed out keeps working. Presented later, it is reuse: the whole
// session is revoked (RFC 9700 reuse detection), which is reported as
// EventRefreshReused and EventSessionRevoked. With the grace off, of
// concurrent refreshes of one token exactly one succeeds and the others
// revoke the session. The user must still exist, be active and be on the
// token version the session started with.
func (s *Service) Refresh(ctx context.Context, refreshToken string, opts RefreshOptions) (*Session, error) {
	if s.cfg.Refresh == nil {
		return nil, errNoRefreshStore
	}
	if s.cfg.Users == nil {
		return nil, ErrInternal.WithCause(errors.New("gqljwt: refresh needs Config.Users"))
	}
	presented := s.presentRefresh(refreshToken)
	if sess, done, err := s.refreshByExchange(ctx, presented, opts); done {
		return sess, err
	}
	rec, err := s.lookupRefresh(ctx, presented)
	if err != nil {
		return nil, err
	}
	if rec.Revoked {
		return nil, errRevokedRefresh
	}
	now := s.cfg.Now()
	if rec.Rotated && !s.inReuseGrace(rec, now) {
		// Reuse: the token was stolen or the client is confused; either
		// way the session ends (RFC 9700, section 4.14.2). Decided here
		// without the store: a rotation only ever gets older.
		return nil, s.refreshReused(ctx, rec)
	}
	if !now.Before(rec.ExpiresAt) {
		return nil, errExpiredRefresh
	}
	u, err := s.currentUser(ctx, rec.Subject, rec.TokenVersion)
	if err != nil {
		return nil, err
	}
	sess := &Session{ID: rec.Family, User: u, RefreshExpiresAt: rec.ExpiresAt}
	if !opts.KeepRefreshToken {
		token, next, err := s.newRefreshRecord(rec.Family, rec.Subject, rec.TokenVersion, now)
		if err != nil {
			return nil, err
		}
		// The store decides whether this call is the rotation, a late
		// caller within the grace or reuse: only it sees the others.
		switch err := s.cfg.Refresh.Rotate(ctx, rec.Hash, next, now, s.reuseGrace()); {
		case errors.Is(err, ErrRefreshReused):
			return nil, s.refreshReused(ctx, rec)
		case errors.Is(err, ErrRefreshRevoked):
			return nil, errRevokedRefresh
		case errors.Is(err, ErrNotFound):
			return nil, s.unknownRefresh(ctx, presented)
		case err != nil:
			return nil, ErrUnavailable.WithCause(err)
		}
		sess.RefreshToken, sess.RefreshExpiresAt = token, next.ExpiresAt
	}
	if sess.Access, err = s.issue(ctx, u, rec.Family, time.Time{}); err != nil {
		return nil, err
	}
	return sess, nil
}

// reuseGrace is the effective Config.RefreshReuseGrace: negative is off.
func (s *Service) reuseGrace() time.Duration { return max(s.cfg.RefreshReuseGrace, 0) }

// inReuseGrace reports whether the rotated rec may still be exchanged at
// now. A store that leaves RotatedAt zero gets no grace.
func (s *Service) inReuseGrace(rec RefreshRecord, now time.Time) bool {
	return !rec.RotatedAt.IsZero() && now.Before(rec.RotatedAt.Add(s.reuseGrace()))
}

// refreshReused ends the session of a reused refresh token and reports
// it; the report goes first, so that an alert fires even when ending the
// session fails.
func (s *Service) refreshReused(ctx context.Context, rec RefreshRecord) error {
	s.emit(ctx, Event{Kind: EventRefreshReused, Subject: rec.Subject, SessionID: rec.Family, Reason: reasonReuse})
	if err := s.endSession(ctx, rec.Family, rec.Subject, reasonReuse); err != nil {
		return err
	}
	return errRevokedRefresh
}

// Reasons of EventSessionRevoked (and EventRefreshReused: reasonReuse).
const (
	reasonReuse     = "reuse"
	reasonLogout    = "logout"
	reasonRevoke    = "revoke"
	reasonLogoutAll = "logout_all"
)

// presentedRefresh is a refresh token as a client presented it, and what
// it says of itself when it is one of ours (its tag holds), opened once
// for every step of the request.
type presentedRefresh struct {
	token  string
	claims refreshClaims
	ours   bool
}

func (s *Service) presentRefresh(token string) presentedRefresh {
	claims, ours := s.refreshMAC.open(token)
	return presentedRefresh{token: token, claims: claims, ours: ours}
}

// lookupRefresh finds the record of a presented refresh token, bounding
// the input before it is hashed. A token of ours is judged by what it
// says first: expired, it is refused without a store call; unknown to the
// store, it is reuse (see unknownRefresh). Anything else is looked up by
// hash alone, and unknown is invalid.
func (s *Service) lookupRefresh(ctx context.Context, p presentedRefresh) (RefreshRecord, error) {
	if len(p.token) == 0 || len(p.token) > maxRefreshToken {
		return RefreshRecord{}, errInvalidRefresh
	}
	if p.ours && !s.cfg.Now().Before(p.claims.expires) {
		return RefreshRecord{}, errExpiredRefresh
	}
	rec, err := s.cfg.Refresh.Get(ctx, hashToken(p.token))
	switch {
	case errors.Is(err, ErrNotFound):
		return RefreshRecord{}, s.unknownRefresh(ctx, p)
	case err != nil:
		return RefreshRecord{}, ErrUnavailable.WithCause(err)
	case p.ours && rec.Family != p.claims.family:
		// The store and the token disagree on the session: trust neither.
		return RefreshRecord{}, errInvalidRefresh
	}
	return rec, nil
}

// unknownRefresh is the answer to a refresh token its store does not know.
// A token of ours that has not expired was issued, so the store dropped
// it: rotated and past its grace, or its session lost. Either way it is
// reuse and its session, which the token names, ends: a thief who rotated
// a stolen token many times is cut off when the owner presents the old
// one, however old (RFC 9700 §4.14.2). Fail closed: a store that lost a
// live session ends it too. A session ended lately (its RevocationStore
// entry is still kept) is not ended and reported again: the token is
// refused as revoked, as a kept record of it would be. Anything else is
// invalid and ends nothing. The expiry is read again: time has passed
// since the caller's first look.
func (s *Service) unknownRefresh(ctx context.Context, p presentedRefresh) error {
	switch {
	case !p.ours:
		return errInvalidRefresh
	case !s.cfg.Now().Before(p.claims.expires):
		return errExpiredRefresh
	}
	ended, err := s.cfg.Revocations.IsRevoked(ctx, "", sessionRevocationKey(p.claims.family))
	switch {
	case err != nil:
		return ErrUnavailable.WithCause(err)
	case ended:
		return errRevokedRefresh
	}
	return s.refreshReused(ctx, RefreshRecord{Family: p.claims.family, Subject: p.claims.subject})
}

var (
	// errNoRefreshStore: a client sent a refresh token to a server in
	// single-token mode.
	errNoRefreshStore = ErrBadUserInput.WithMessage("Long-running refresh tokens are not enabled")
	errInvalidRefresh = ErrTokenInvalid.WithMessage("Invalid refresh token")
	errRevokedRefresh = ErrTokenRevoked.WithMessage("Refresh token has been revoked")
	errExpiredRefresh = ErrTokenExpired.WithMessage("Refresh token has expired")
)

// currentUser reloads the user of a token and checks that it may still
// hold tokens: it exists, is active and, with a VersionStore, is still on
// version.
func (s *Service) currentUser(ctx context.Context, subject string, version uint64) (*User, error) {
	u, err := s.cfg.Users.UserByID(ctx, subject)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrTokenRevoked
	}
	if err != nil {
		return nil, ErrUnavailable.WithCause(err)
	}
	if !u.Active {
		return nil, ErrTokenRevoked
	}
	if s.cfg.Versions != nil {
		current, err := s.cfg.Versions.TokenVersion(ctx, subject)
		if err != nil {
			return nil, ErrUnavailable.WithCause(err)
		}
		if current != version {
			return nil, ErrTokenRevoked
		}
		u.TokenVersion = current
	}
	return u, nil
}

// RenewToken is single-token refresh (django-graphql-jwt's default): a
// still-valid access token is exchanged for a new one in the same session,
// as long as the session started (origIat) less than RefreshTTL ago.
func (s *Service) RenewToken(ctx context.Context, accessToken string) (*Session, error) {
	id, err := s.verify(ctx, accessToken, nil)
	if err != nil {
		return nil, err
	}
	if id.ExternalIssuer != "" {
		return nil, errExternal // its subject is no account of ours
	}
	if s.cfg.Users == nil {
		return nil, ErrInternal.WithCause(errors.New("gqljwt: renewing a token needs Config.Users"))
	}
	deadline := id.OriginalIssuedAt.Add(s.cfg.RefreshTTL)
	if !s.cfg.Now().Before(deadline) {
		return nil, ErrTokenExpired.WithMessage("Refresh has expired")
	}
	u, err := s.currentUser(ctx, id.Subject, id.TokenVersion)
	if err != nil {
		return nil, err
	}
	access, err := s.issue(ctx, u, id.SessionID, id.OriginalIssuedAt)
	if err != nil {
		return nil, err
	}
	return &Session{ID: id.SessionID, User: u, Access: access, RefreshExpiresAt: deadline}, nil
}

// RevokeRefreshToken ends the session of a refresh token at once: its
// refresh tokens and the access tokens issued in it. An unknown token
// answers ErrTokenInvalid, one revoked before ErrTokenRevoked, an expired
// one ErrTokenExpired; one of ours its store forgot after rotating it is
// reuse, as in Refresh. A rotated
// token ends the session too and answers ErrTokenRevoked, being no longer
// the session's current one; presented after the reuse grace, it is
// reported as reuse.
func (s *Service) RevokeRefreshToken(ctx context.Context, refreshToken string) error {
	if s.cfg.Refresh == nil {
		return errNoRefreshStore
	}
	rec, err := s.lookupRefresh(ctx, s.presentRefresh(refreshToken))
	if err != nil {
		return err
	}
	if rec.Revoked {
		return errRevokedRefresh
	}
	if rec.Rotated && !s.inReuseGrace(rec, s.cfg.Now()) {
		// Presenting a rotated token is reuse, whatever it is presented to.
		return s.refreshReused(ctx, rec)
	}
	if err := s.endSession(ctx, rec.Family, rec.Subject, reasonRevoke); err != nil {
		return err
	}
	if rec.Rotated {
		return errRevokedRefresh
	}
	return nil
}

// Logout ends the session of id: its access tokens, id's and any other
// issued in the session, and its refresh tokens.
func (s *Service) Logout(ctx context.Context, id *Identity) error {
	if err := s.RevokeAccessToken(ctx, id); err != nil {
		return err
	}
	return s.endSession(ctx, id.SessionID, id.Subject, reasonLogout)
}

// sessionRevocationKey is the RevocationStore entry that ends session sid.
func sessionRevocationKey(sid string) string { return "sid:" + sid }

// endSession revokes the session sid: its refresh-token family and, through
// a RevocationStore entry checked on every request, every access token
// carrying sid. Once the entry exists no token of the session can be minted
// (refresh is refused by the revoked family, renewal by the entry), so the
// entry may go when the session's last access token has expired: AccessTTL
// after now, plus the leeway and a margin for an issue already under way.
// The end is reported as EventSessionRevoked with reason, once done.
func (s *Service) endSession(ctx context.Context, sid, subject, reason string) error {
	if sid == "" {
		return nil
	}
	until := time.Now().Add(s.cfg.AccessTTL + s.cfg.Leeway + time.Minute)
	if err := s.cfg.Revocations.RevokeToken(ctx, sessionRevocationKey(sid), until); err != nil {
		return ErrUnavailable.WithCause(err)
	}
	if s.cfg.Refresh != nil {
		if err := s.cfg.Refresh.RevokeFamily(ctx, sid); err != nil {
			return ErrUnavailable.WithCause(err)
		}
	}
	s.emit(ctx, Event{Kind: EventSessionRevoked, Subject: subject, SessionID: sid, Reason: reason})
	return nil
}

// LogoutAll ends every session of id's user: all refresh tokens are revoked
// and the token version moves on, so that every access token is refused
// too. It needs Config.Versions: without token versions the access tokens of
// the user's other sessions cannot be found, and LogoutAll refuses rather
// than report a logout it did not do. A user deleted meanwhile has no token
// left to refuse: that is success. It is reported as EventSessionRevoked
// with no SessionID: every session.
func (s *Service) LogoutAll(ctx context.Context, id *Identity) error {
	if id == nil {
		return ErrUnauthenticated
	}
	if id.ExternalIssuer != "" {
		return errExternal
	}
	if s.cfg.Versions == nil {
		return errNoVersionStore("LogoutAll")
	}
	if s.cfg.Refresh != nil {
		if err := s.cfg.Refresh.RevokeSubject(ctx, id.Subject); err != nil {
			return ErrUnavailable.WithCause(err)
		}
	}
	if _, err := s.BumpTokenVersion(ctx, id.Subject); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	s.emit(ctx, Event{Kind: EventSessionRevoked, Subject: id.Subject, Reason: reasonLogoutAll})
	return nil
}
