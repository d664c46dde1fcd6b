package gqljwt

import (
	"context"
	"errors"
)

// errNoSuchUser answers an operation on an account that does not exist.
var errNoSuchUser = ErrBadUserInput.WithMessage("No such user")

// User returns the account id from the UserStore: BAD_USER_INPUT "No such
// user" when there is none, AUTH_UNAVAILABLE when the store fails.
func (s *Service) User(ctx context.Context, id string) (*User, error) {
	if s.cfg.Users == nil {
		return nil, ErrInternal.WithCause(errors.New("gqljwt: User needs Config.Users"))
	}
	u, err := s.cfg.Users.UserByID(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, errNoSuchUser.WithCause(err)
	case err != nil:
		return nil, ErrUnavailable.WithCause(err)
	}
	return u, nil
}

// TokenVersion returns subject's current token version from
// Config.Versions (not from the version cache): BAD_USER_INPUT "No such
// user" for an unknown subject, AUTH_UNAVAILABLE when the store fails.
func (s *Service) TokenVersion(ctx context.Context, subject string) (uint64, error) {
	if s.cfg.Versions == nil {
		return 0, errNoVersionStore("TokenVersion")
	}
	v, err := s.cfg.Versions.TokenVersion(ctx, subject)
	switch {
	case errors.Is(err, ErrNotFound):
		return 0, errNoSuchUser.WithCause(err)
	case err != nil:
		return 0, ErrUnavailable.WithCause(err)
	}
	return v, nil
}

// RevokeUser invalidates every token of subject, access and refresh
// (WPGraphQL's revokeUserSecret without the revoked mark: see
// RevokeUserSecret): it moves the token version on, which
// refuses every access token at once, and revokes the refresh tokens,
// which frees their records too. It returns the versions before and after
// (a bump moves a version on by exactly one: see VersionStore).
func (s *Service) RevokeUser(ctx context.Context, subject string) (before, after uint64, err error) {
	if after, err = s.BumpTokenVersion(ctx, subject); err != nil {
		return 0, 0, err
	}
	if err := s.dropRefreshTokens(ctx, subject); err != nil {
		return 0, 0, err
	}
	return after - 1, after, nil
}
