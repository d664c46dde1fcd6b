package gqljwt

import (
	"context"
	"errors"
	"time"

	"github.com/patrickmn/go-cache"
)

// ErrNotFound is returned by stores for an unknown user, token or record.
var ErrNotFound = errors.New("gqljwt: not found")

// User is an account as the stores report it.
type User struct {
	// ID is the stable user ID; it becomes the sub claim.
	ID string
	// Username and Email are the login names; either may be empty.
	Username string
	Email    string
	// Roles and Scopes go into the access token.
	Roles  []string
	Scopes []string
	// Active is false for a disabled account, which may not log in or refresh.
	Active bool
	// TokenVersion is the user's current token version (see VersionStore).
	TokenVersion uint64
	// Profile holds application fields (display name, ...) for the
	// application's own GraphQL User type; gqljwt never reads it.
	Profile map[string]any
}

// UserStore is where accounts live. Implementations return ErrNotFound for
// an unknown user and any other error for a failure, which refuses the login.
type UserStore interface {
	UserByUsername(ctx context.Context, username string) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
	UserByID(ctx context.Context, id string) (*User, error)
	// CheckPassword reports whether password is the user's password. It must
	// take the same time whatever the outcome (bcrypt does).
	CheckPassword(ctx context.Context, u *User, password string) (bool, error)
	// CheckDummyPassword does the work of CheckPassword against a dummy hash,
	// so that an unknown user costs as much time as a wrong password.
	CheckDummyPassword(ctx context.Context, password string)
}

// RevocationStore records access tokens revoked before their expiry, by jti.
// It is asked on every request, the cached ones included; an error refuses
// the request.
type RevocationStore interface {
	// RevokeToken marks tokenID revoked. The entry may be dropped after
	// until, when the token expires anyway.
	RevokeToken(ctx context.Context, tokenID string, until time.Time) error
	// IsRevoked reports whether tokenID was revoked.
	IsRevoked(ctx context.Context, tokenID string) (bool, error)
}

// VersionStore holds each user's token version. Every token carries the
// version current when it was issued; bumping the version invalidates all of
// the user's access and refresh tokens at once (logout everywhere, password
// change, WPGraphQL's revokeUserSecret).
type VersionStore interface {
	// TokenVersion returns subject's current version; ErrNotFound for a
	// deleted user, whose tokens are then refused.
	TokenVersion(ctx context.Context, subject string) (uint64, error)
	// BumpTokenVersion increments subject's version and returns the new one.
	BumpTokenVersion(ctx context.Context, subject string) (uint64, error)
}

// memoryRevocations is the in-process RevocationStore used when
// Config.Revocations is nil. Entries expire with the token they revoke, so
// the store never holds more than the tokens still alive.
type memoryRevocations struct{ c *cache.Cache }

func newMemoryRevocations() *memoryRevocations {
	return &memoryRevocations{c: cache.New(cache.NoExpiration, time.Minute)}
}

func (m *memoryRevocations) RevokeToken(_ context.Context, tokenID string, until time.Time) error {
	ttl := time.Until(until)
	if ttl <= 0 {
		return nil
	}
	m.c.Set(tokenID, struct{}{}, ttl)
	return nil
}

func (m *memoryRevocations) IsRevoked(_ context.Context, tokenID string) (bool, error) {
	_, found := m.c.Get(tokenID)
	return found, nil
}
