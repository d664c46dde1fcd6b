package gqljwt

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Errors stores return. They are plain errors for backends to return;
// the Service turns them into *Error values for clients.
var (
	// ErrNotFound: unknown user, token or record.
	ErrNotFound = errors.New("gqljwt: not found")
	// ErrIdentityLinked: IdentityStore.Link was given an identity that is
	// linked to another user.
	ErrIdentityLinked = errors.New("gqljwt: identity linked to another user")
	// ErrRefreshReused: RefreshStore.Rotate was given a refresh token
	// rotated longer ago than the grace allows. The store has revoked its
	// whole family.
	ErrRefreshReused = errors.New("gqljwt: refresh token reused")
	// ErrRefreshRevoked: RefreshStore.Rotate was given a refresh token
	// whose family is revoked. Nothing changed.
	ErrRefreshRevoked = errors.New("gqljwt: refresh token revoked")
)

// The store contracts below are what the Service relies on for its
// security; package storetest checks them, and every backend should run
// it from its own tests. Common to all of them:
//
//   - A method is safe for concurrent use, from several processes when the
//     backend is shared. What a method must do atomically is said with it.
//   - An error other than the documented sentinels (matched with
//     errors.Is) means the store could not answer: the Service refuses
//     the operation with AUTH_UNAVAILABLE, never lets it through.
//   - Lifetimes are judged by the clock the store was given at
//     construction (time.Now unless a test gives another), so that a test
//     moves time instead of sleeping. A backend whose server expires keys
//     (Redis PEXPIRE) converts each deadline into a lifetime against that
//     clock and lets the server reclaim the key then, but answers by the
//     clock.

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
	// TokenVersion is the user's token version as the UserStore knows it
	// (see VersionStore). With Config.Versions set, sessions take the
	// version from that store instead.
	TokenVersion uint64
	// Profile holds application fields (display name, ...) for the
	// application's own GraphQL User type; gqljwt never reads it.
	Profile map[string]any
}

// UserStore is where accounts live. Implementations return ErrNotFound for
// an unknown user and any other error for a failure, which refuses the
// login.
//
// Every lookup returns a *User of the caller's own: the Service writes to
// it (the token version), which must not change what the store holds. An
// empty ID, username or email matches no user, even one without a username
// or an email. A disabled account is returned with Active false, not as
// ErrNotFound, so that login can spend on it the work a wrong password
// costs.
type UserStore interface {
	// UserByUsername finds the user by exact username.
	UserByUsername(ctx context.Context, username string) (*User, error)
	// UserByEmail finds the user by email; addresses should match without
	// regard to case, as memstore's do.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UserByID finds the user by ID (the sub claim).
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
//
// Deadlines (until) are wall-clock times, whatever Config.Now says: an entry
// must outlive, in real time, the tokens it refuses, and the Service
// computes until from time.Now. A store given another clock (a test's)
// judges until by that clock.
type RevocationStore interface {
	// RevokeToken marks tokenID revoked until at least until, by the
	// store's clock; the entry may be dropped after, when the tokens it
	// refuses have expired anyway. Revoking a key again never shortens
	// its entry: the later deadline wins. A deadline already past may be
	// ignored.
	RevokeToken(ctx context.Context, tokenID string, until time.Time) error
	// IsRevoked reports whether tokenID or sessionKey (its session's
	// entry; "" for none) was revoked and its entry is still kept; false
	// for keys never revoked. Both are answered in one call, so that the
	// check every request makes costs one round trip to a shared store.
	IsRevoked(ctx context.Context, tokenID, sessionKey string) (bool, error)
}

// VersionStore holds each user's token version. Every token carries the
// version current when it was issued; bumping the version invalidates all of
// the user's access and refresh tokens at once (logout everywhere, password
// change, WPGraphQL's revokeUserSecret).
//
// A version only moves forward: a value a user's version had must never
// come back (a user recreated under the same ID included), or the tokens
// issued at it would be valid again. Versions have no lifetime; they live
// as long as the user.
type VersionStore interface {
	// TokenVersion returns subject's current version; ErrNotFound for a
	// deleted user, whose tokens are then refused.
	TokenVersion(ctx context.Context, subject string) (uint64, error)
	// BumpTokenVersion increments subject's version and returns the new
	// one, atomically: n concurrent bumps return n different versions and
	// move the version on by n. ErrNotFound for an unknown subject.
	BumpTokenVersion(ctx context.Context, subject string) (uint64, error)
}

// RefreshRecord is what a RefreshStore keeps of one refresh token. The
// token itself is never stored: Hash is its SHA-256, so a leaked store
// yields nothing usable.
//
// The Service writes Hash, IssuedAt and ExpiresAt of every record, and
// Family, Subject and TokenVersion of the first record of a session (at
// login). The store owns the rest: Rotated, RotatedAt and Revoked are its
// state, ignored in what it is given, and a successor stored by Rotate
// takes Family, Subject and TokenVersion from the record it replaces,
// whatever the caller put there, so that no rotation can move a session
// to another user or version.
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
	// IssuedAt and ExpiresAt bound the token's validity, by the Service's
	// clock (Config.Now), which the store must be given too. A store keeps
	// them to the nanosecond from 1678 to 2262 (what Unix nanoseconds
	// hold), and the zero time as zero; a time outside those years may
	// come back as the nearest of them, never wrapped into the past.
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
// so that a shared backend (Redis, in a Lua script) can implement each
// method atomically.
//
// Lifetimes, by the store's clock:
//
//   - A record not rotated is kept until its ExpiresAt, its family revoked
//     or not (presenting a revoked session's token must answer revoked);
//     it may be dropped then, and should be, to bound the store.
//   - A rotated record is kept while now < RotatedAt + grace, the largest
//     grace a Rotate of it was given (zero: it may go at its rotation). It
//     may be dropped after, and should be: memory then follows the live
//     sessions, not the rotations. The Service tags its tokens (see
//     Config.RefreshTokenSecret) and takes a tagged, unexpired token its
//     store does not know for one that was rotated and dropped: reuse,
//     which ends the session however many rotations old the token is. A
//     store may also keep rotated records to their ExpiresAt and answer
//     ErrRefreshReused itself. A store may bound the records it keeps of
//     one family, so that no client can make its operations costly: past
//     the bound it may drop the oldest rotated ones early (their reuse is
//     then detected by the Service) and refuse a rotation as reuse when
//     the family holds that many live tokens (memstore: 128).
//   - A family's revocation lasts as long as any record of the family: a
//     record whose family state the store has lost reads as revoked,
//     never as live.
type RefreshStore interface {
	// Create stores the first record of a new session. A record with the
	// same Hash must not be overwritten: Create fails instead (256 random
	// bits do not collide; a duplicate is a bug). A store may refuse a
	// Family it holds already the same way. A record already expired need
	// not be stored.
	Create(ctx context.Context, rec RefreshRecord) error
	// Get returns the record with hash, Rotated, RotatedAt and Revoked
	// filled in, or ErrNotFound for one never stored or dropped (see the
	// lifetimes above).
	Get(ctx context.Context, hash string) (RefreshRecord, error)
	// Rotate exchanges the token oldHash for next, in one atomic step:
	//
	//   - oldHash unknown (never stored, expired, or rotated and dropped
	//     after its grace): ErrNotFound.
	//   - its family revoked: ErrRefreshRevoked, nothing changes.
	//   - not rotated yet: it is marked rotated, RotatedAt = now, and next
	//     is stored in its family. Of any number of concurrent calls
	//     exactly one finds it so.
	//   - rotated less than grace before now (now < RotatedAt+grace): next
	//     is stored in its family too, and both successors stay valid; a
	//     race between a client's requests must not end its session.
	//   - rotated longer ago (grace zero included) and still kept: reuse.
	//     The store revokes the whole family and returns ErrRefreshReused.
	//
	// A refused rotation stores nothing. now is the Service's clock; a
	// store may use its own instead if it does so for both RotatedAt and
	// the comparison. A successor already expired by the store's clock
	// need not be stored.
	Rotate(ctx context.Context, oldHash string, next RefreshRecord, now time.Time, grace time.Duration) error
	// RevokeFamily revokes every token of a session, those rotated into it
	// later included (Rotate refuses a revoked family). An unknown family
	// is no error: sessions without refresh tokens end through it too.
	RevokeFamily(ctx context.Context, family string) error
	// RevokeSubject revokes every session of a user, as RevokeFamily does
	// each; an unknown subject is no error.
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
// Links have no lifetime.
type IdentityStore interface {
	// Link links identity to userID. Linking an identity that is linked to
	// another user fails with ErrIdentityLinked; linking it again to the
	// same user is a no-op.
	// Atomic: of concurrent links of one identity to different users
	// exactly one succeeds.
	Link(ctx context.Context, userID string, identity LinkedIdentity) error
	// UserFor returns the ID of the user identity is linked to, or
	// ErrNotFound.
	UserFor(ctx context.Context, identity LinkedIdentity) (string, error)
	// Identities lists the identities linked to userID, in a slice of the
	// caller's own; none is no error.
	Identities(ctx context.Context, userID string) ([]LinkedIdentity, error)
}

// memoryRevocations is the in-process RevocationStore. Entries expire with
// the token they revoke, so it never holds more than the tokens still alive
// (and, for at most a minute, those that just died). Deadlines are judged
// by now.
//
// Every request reads it, so a read takes no lock and reads the clock only
// for a key the store holds: a key it does not hold is not revoked, at any
// time. While it holds nothing, the usual state of a service nobody logged
// out of in the last token lifetime, a read is one atomic load.
type memoryRevocations struct {
	// mu orders the writers: RevokeToken's read-modify-write and sweep.
	mu sync.Mutex
	// m maps a key to its deadline, a time.Time.
	m sync.Map
	// n counts the entries of m. A writer raises it before it stores a
	// new entry and lowers it after it deletes one, so that a reader that
	// loads 0 knows m held nothing at that moment.
	n atomic.Int64
	// sweeping is set while a sweep is scheduled: one is, whenever m
	// holds an entry.
	sweeping bool
	now      func() time.Time
}

// memoryRevocationSweep is how often expired entries are reclaimed while
// the store holds any.
const memoryRevocationSweep = time.Minute

// NewMemoryRevocations returns an in-process RevocationStore, the one New
// uses when Config.Revocations is nil. Share one between the Services of
// one process that accept each other's tokens; use a shared backend when
// several processes do.
func NewMemoryRevocations() RevocationStore { return newMemoryRevocations(time.Now) }

func newMemoryRevocations(now func() time.Time) *memoryRevocations {
	return &memoryRevocations{now: now}
}

func (m *memoryRevocations) RevokeToken(_ context.Context, tokenID string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.now().Before(until) {
		return nil
	}
	x, held := m.m.Load(tokenID)
	if held && !x.(time.Time).Before(until) {
		return nil
	}
	if !held {
		m.n.Add(1)
	}
	m.m.Store(tokenID, until)
	if !m.sweeping {
		m.sweeping = true
		time.AfterFunc(memoryRevocationSweep, m.sweep)
	}
	return nil
}

// sweep deletes the entries whose deadline has passed, which answer false
// whether held or not, and comes back while any is left. It runs on the
// wall clock, like go-cache's janitor did; the entries' deadlines are
// judged by the store's clock.
func (m *memoryRevocations) sweep() {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.m.Range(func(key, x any) bool {
		if !now.Before(x.(time.Time)) {
			m.m.Delete(key)
			m.n.Add(-1)
		}
		return true
	})
	if m.sweeping = m.n.Load() > 0; m.sweeping {
		time.AfterFunc(memoryRevocationSweep, m.sweep)
	}
}

func (m *memoryRevocations) IsRevoked(_ context.Context, tokenID, sessionKey string) (bool, error) {
	if m.n.Load() == 0 {
		return false, nil
	}
	for _, key := range [...]string{tokenID, sessionKey} {
		if key == "" {
			continue
		}
		if x, held := m.m.Load(key); held && m.now().Before(x.(time.Time)) {
			return true, nil
		}
	}
	return false, nil
}
