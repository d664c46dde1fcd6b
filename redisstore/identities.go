package redisstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/gqljwt/gqljwt"
	"github.com/redis/rueidis"
)

// linkScript links an identity to a user unless it is linked to another.
// KEYS: the identity's owner. ARGV: user ID. Returns 1 when the identity
// is the user's (now or already), 0 when it is another's.
var linkScript = rueidis.NewLuaScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
if cur == ARGV[1] then return 1 end
return 0
`)

// Identities is a gqljwt.IdentityStore in Redis: {i:<identity>}, a string
// holding the owner's user ID, and {iu:<user>}, a set of the user's
// identities. An identity is written as base64url(provider) "."
// base64url(ID): a provider's account IDs are the provider's to choose,
// and no brace or separator of theirs may reach a key's hash tag.
//
// The owner is the truth, claimed atomically by one script; the user's
// set, on another slot, is written after it and only lists. A crash in
// between leaves a link that Identities does not list until the same
// link is made again (Link adds to the set each time), never a listed
// identity that another user owns. Links have no lifetime.
type Identities struct {
	c rueidis.Client
	o options
}

// NewIdentities returns an IdentityStore on c. It reads the Prefix and
// Timeout options.
func NewIdentities(c rueidis.Client, opts ...Option) *Identities {
	return &Identities{c: c, o: newOptions(opts)}
}

var _ gqljwt.IdentityStore = (*Identities)(nil)

var b64 = base64.RawURLEncoding

func encodeIdentity(id gqljwt.LinkedIdentity) string {
	return b64.EncodeToString([]byte(id.Provider)) + "." + b64.EncodeToString([]byte(id.ID))
}

func decodeIdentity(s string) (gqljwt.LinkedIdentity, error) {
	p, i, ok := strings.Cut(s, ".")
	provider, err1 := b64.DecodeString(p)
	id, err2 := b64.DecodeString(i)
	if !ok || err1 != nil || err2 != nil {
		return gqljwt.LinkedIdentity{}, fmt.Errorf("redisstore: malformed linked identity %q", s)
	}
	return gqljwt.LinkedIdentity{Provider: string(provider), ID: string(id)}, nil
}

func (s *Identities) ownerKey(id gqljwt.LinkedIdentity) string {
	return s.o.prefix + "{i:" + encodeIdentity(id) + "}"
}

func (s *Identities) userKey(userID string) string {
	return s.o.prefix + "{iu:" + b64.EncodeToString([]byte(userID)) + "}"
}

// Link implements gqljwt.IdentityStore.
func (s *Identities) Link(ctx context.Context, userID string, id gqljwt.LinkedIdentity) error {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	mine, err := linkScript.Exec(ctx, s.c, []string{s.ownerKey(id)}, []string{userID}).AsInt64()
	if err != nil {
		return fmt.Errorf("redisstore: link identity: %w", err)
	}
	if mine == 0 {
		return fmt.Errorf("redisstore: %s identity %q: %w", id.Provider, id.ID, gqljwt.ErrIdentityLinked)
	}
	if err := s.c.Do(ctx, s.c.B().Sadd().Key(s.userKey(userID)).Member(encodeIdentity(id)).Build()).Error(); err != nil {
		return fmt.Errorf("redisstore: list linked identity: %w", err)
	}
	return nil
}

// UserFor implements gqljwt.IdentityStore.
func (s *Identities) UserFor(ctx context.Context, id gqljwt.LinkedIdentity) (string, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	owner, err := s.c.Do(ctx, s.c.B().Get().Key(s.ownerKey(id)).Build()).ToString()
	switch {
	case rueidis.IsRedisNil(err):
		return "", gqljwt.ErrNotFound
	case err != nil:
		return "", fmt.Errorf("redisstore: find linked identity: %w", err)
	}
	return owner, nil
}

// Identities implements gqljwt.IdentityStore. They come sorted by
// provider, then ID: a set keeps no order of linking.
func (s *Identities) Identities(ctx context.Context, userID string) ([]gqljwt.LinkedIdentity, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	members, err := s.c.Do(ctx, s.c.B().Smembers().Key(s.userKey(userID)).Build()).AsStrSlice()
	if err != nil {
		return nil, fmt.Errorf("redisstore: list linked identities: %w", err)
	}
	ids := make([]gqljwt.LinkedIdentity, 0, len(members))
	for _, m := range members {
		id, err := decodeIdentity(m)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b gqljwt.LinkedIdentity) int {
		if c := strings.Compare(a.Provider, b.Provider); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ids, nil
}
