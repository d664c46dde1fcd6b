package gqljwt

import (
	"context"
	"errors"
	"time"

	"github.com/patrickmn/go-cache"
)

// Errors stores return. They are plain errors for backends to return;
// the Service turns them into *Error values for clients.
var (
	// ErrNotFound: unknown user, token or record.
	ErrNotFound = errors.New("gqljwt: not found")
	// ErrRefreshReused: RefreshStore.Rotate was given a refresh token
	// rotated longer ago than the grace allows. The store has revoked its
	// whole family.
	ErrRefreshReused = errors.New("gqljwt: refresh token reused")
	// ErrRefreshRevoked: RefreshStore.Rotate was given a refresh token
	// whose family is revoked. Nothing changed.
	ErrRefreshRevoked = errors.New("gqljwt: refresh token revoked")
)

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

// RevocationStore records access tokens revoked before their expiry, by jti,
// and ended sessions, by "sid:" and the session ID (jtis never contain a
// colon). It is asked on every request, the cached ones included; an error
// refuses the request.
type RevocationStore interface {
	// RevokeToken marks tokenID revoked. The entry may be dropped after
	// until (a wall-clock time), when the token has expired anyway.
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

// RefreshRecord is what a RefreshStore keeps of one refresh token. The
// token itself is never stored: Hash is its SHA-256, so a leaked store
// yields nothing usable.
type RefreshRecord struct {
	// Hash is the base64url SHA-256 of the token, the record's key.
	Hash string
	// Family identifies the session: the first token of a login and every
	// token rotated from it. Access tokens carry it as "sid".
	Family string
	// Subject is the user ID.
	Subject string
	// TokenVersion is the user's token version at login.
	TokenVersion uint64
	// IssuedAt and ExpiresAt bound the token's validity.
	IssuedAt, ExpiresAt time.Time
	// Rotated is set by the store once the token was exchanged for its
	// successor; presenting it again after the grace is reuse.
	Rotated bool
	// RotatedAt is when the token was first rotated, by the clock of the
	// Rotate call (its now); later rotations within the grace leave it
	// alone, so the grace never extends itself.
	RotatedAt time.Time
	// Revoked is set by the store when the family was revoked.
	Revoked bool
}

// RefreshStore keeps long-running refresh tokens. The interface is narrow
// so that a shared backend (Redis) can implement each method atomically.
type RefreshStore interface {
	// Create stores a new record.
	Create(ctx context.Context, rec RefreshRecord) error
	// Get returns the record with hash, Rotated, RotatedAt and Revoked
	// filled in, or ErrNotFound. Records may be dropped once expired.
	Get(ctx context.Context, hash string) (RefreshRecord, error)
	// Rotate exchanges the token oldHash for next, in one atomic step:
	//
	//   - oldHash unknown: ErrNotFound.
	//   - its family revoked: ErrRefreshRevoked, nothing changes.
	//   - not rotated yet: it is marked rotated, RotatedAt = now, and next
	//     is stored in its family. Of any number of concurrent calls
	//     exactly one finds it so.
	//   - rotated less than grace before now (now < RotatedAt+grace): next
	//     is stored in its family too, and both successors stay valid; a
	//     race between a client's requests must not end its session.
	//   - rotated longer ago (grace zero included): reuse. The store
	//     revokes the whole family and returns ErrRefreshReused.
	//
	// A refused rotation stores nothing. A successor takes Family, Subject
	// and TokenVersion from the record it replaces, whatever the caller
	// put there. now is the Service's clock; a store may use its own
	// instead if it does so for both RotatedAt and the comparison.
	Rotate(ctx context.Context, oldHash string, next RefreshRecord, now time.Time, grace time.Duration) error
	// RevokeFamily revokes every token of a session.
	RevokeFamily(ctx context.Context, family string) error
	// RevokeSubject revokes every session of a user.
	RevokeSubject(ctx context.Context, subject string) error
}

// LinkedIdentity is an external account (an OAuth2 resource owner) linked
// to a user.
type LinkedIdentity struct {
	// Provider is the provider slug (e.g. "OAUTH2_GENERIC").
	Provider string
	// ID is the account's ID at the provider.
	ID string
}

// IdentityStore keeps the links between users and external accounts.
type IdentityStore interface {
	// Link links identity to userID. Linking an identity that is linked to
	// another user fails; linking it again to the same user is a no-op.
	Link(ctx context.Context, userID string, identity LinkedIdentity) error
	// UserFor returns the ID of the user identity is linked to, or
	// ErrNotFound.
	UserFor(ctx context.Context, identity LinkedIdentity) (string, error)
	// Identities lists the identities linked to userID.
	Identities(ctx context.Context, userID string) ([]LinkedIdentity, error)
}

// memoryRevocations is the in-process RevocationStore. Entries expire with
// the token they revoke, so it never holds more than the tokens still alive.
type memoryRevocations struct{ c *cache.Cache }

// NewMemoryRevocations returns an in-process RevocationStore on go-cache,
// the one New uses when Config.Revocations is nil. Share one between the
// Services of one process that accept each other's tokens; use a shared
// backend when several processes do.
func NewMemoryRevocations() RevocationStore {
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
