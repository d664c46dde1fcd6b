package gqljwt

import (
	"context"
	"errors"
	"reflect"
)

// UserSecretStore is an optional capability of a VersionStore: a mark per
// user saying that the user's secret is revoked (WPGraphQL Headless
// Login's isUserSecretRevoked). The plugin's revokeUserSecret sets it, and
// while it is set no token may be issued for the user; its
// refreshUserSecret issues a new secret and clears it. gqljwt's user
// secret is the token version, so both operations move the version on, and
// each does so together with the mark, in one atomic step: a revocation
// that bumped the version but lost the mark would let the user log in
// again, and a refresh that cleared the mark without a bump would bring
// nothing new.
//
// The mark has no lifetime: a revoked secret stays revoked until it is
// refreshed, however long that takes (this is why the RevocationStore,
// whose entries expire with the tokens they refuse, cannot hold it). A
// subject the store does not know answers ErrNotFound from every method
// and is not created by any. Set Config.UserSecrets to have the Service
// consult it; package storetest checks implementations (UserSecretStore).
type UserSecretStore interface {
	VersionStore
	// RevokeUserSecret moves subject's version on and marks its secret
	// revoked, atomically, and returns the new version. Revoking a revoked
	// secret moves the version on again and leaves it revoked.
	RevokeUserSecret(ctx context.Context, subject string) (uint64, error)
	// RefreshUserSecret moves subject's version on and clears the mark,
	// atomically, and returns the new version.
	RefreshUserSecret(ctx context.Context, subject string) (uint64, error)
	// UserSecretRevoked reports whether subject's secret is marked revoked.
	UserSecretRevoked(ctx context.Context, subject string) (bool, error)
}

// ErrUserSecretRevoked refuses a token for a user whose secret is revoked
// (Config.UserSecrets), until RefreshUserSecret. Its reason is
// TOKEN_REVOKED: every token the user held was refused by the revocation.
var ErrUserSecretRevoked = &Error{Code: CodeForbidden, Reason: CodeTokenRevoked,
	Message: "No token can be issued for this user: the user secret is revoked"}

// sameStore reports whether a and b are the same store value, without the
// panic comparing two interfaces holding an uncomparable type would cause.
func sameStore(a, b any) bool {
	if reflect.TypeOf(a) != reflect.TypeOf(b) || !reflect.TypeOf(a).Comparable() {
		return false
	}
	return a == b
}

// RevokeUserSecret is WPGraphQL's revokeUserSecret: every token of subject
// is refused at once, as RevokeUser does, and with Config.UserSecrets no
// new one is issued (ErrUserSecretRevoked) until RefreshUserSecret, so the
// user cannot log in again either. Without UserSecrets it is RevokeUser. It
// returns the versions before and after; errors are as RevokeUser's.
func (s *Service) RevokeUserSecret(ctx context.Context, subject string) (before, after uint64, err error) {
	return s.moveUserSecret(ctx, subject, UserSecretStore.RevokeUserSecret, "revoked")
}

// RefreshUserSecret is WPGraphQL's refreshUserSecret: a new secret, which
// refuses every token of the old one, and with Config.UserSecrets clears
// the revocation RevokeUserSecret made. Without UserSecrets it is
// RevokeUser.
func (s *Service) RefreshUserSecret(ctx context.Context, subject string) (before, after uint64, err error) {
	return s.moveUserSecret(ctx, subject, UserSecretStore.RefreshUserSecret, "refreshed")
}

func (s *Service) moveUserSecret(ctx context.Context, subject string, move func(UserSecretStore, context.Context, string) (uint64, error), reason string) (before, after uint64, err error) {
	if s.cfg.UserSecrets == nil {
		return s.RevokeUser(ctx, subject)
	}
	after, err = move(s.cfg.UserSecrets, ctx, subject)
	if after, err = s.versionMoved(ctx, subject, after, err, reason); err != nil {
		return 0, 0, err
	}
	if err := s.dropRefreshTokens(ctx, subject); err != nil {
		return 0, 0, err
	}
	return after - 1, after, nil
}

// UserSecretRevoked reports whether subject's secret is revoked
// (isUserSecretRevoked): always false without Config.UserSecrets, whose
// revocations are undone at once. BAD_USER_INPUT "No such user" for an
// unknown subject; a failing store answers true with AUTH_UNAVAILABLE.
func (s *Service) UserSecretRevoked(ctx context.Context, subject string) (bool, error) {
	if s.cfg.UserSecrets == nil {
		return false, nil
	}
	revoked, err := s.cfg.UserSecrets.UserSecretRevoked(ctx, subject)
	switch {
	case errors.Is(err, ErrNotFound):
		return true, errNoSuchUser.WithCause(err)
	case err != nil:
		return true, ErrUnavailable.WithCause(err)
	}
	return revoked, nil
}

// mayIssue refuses a token for a user whose secret is revoked, as the
// plugin's check_if_secret_is_revoked filters every token it signs. It is
// asked after the token version was read, so a revocation that races with
// an issue either comes first and refuses here, or moves the version the
// token carries out of date.
func (s *Service) mayIssue(ctx context.Context, subject string) error {
	if s.cfg.UserSecrets == nil {
		return nil
	}
	revoked, err := s.cfg.UserSecrets.UserSecretRevoked(ctx, subject)
	switch {
	case errors.Is(err, ErrNotFound):
		return ErrTokenRevoked.WithCause(err)
	case err != nil:
		return ErrUnavailable.WithCause(err)
	case revoked:
		return ErrUserSecretRevoked
	}
	return nil
}
