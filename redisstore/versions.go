package redisstore

import (
	"context"
	"fmt"

	"github.com/gqljwt/gqljwt"
	"github.com/redis/rueidis"
)

// bumpScript moves a known user's version on. KEYS: the user's key.
var bumpScript = rueidis.NewLuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HGET', KEYS[1], 'd') == '1' then return -1 end
return redis.call('HINCRBY', KEYS[1], 'v', 1)
`)

// addScript makes a user known. A user deleted before comes back one
// version on, so that the tokens issued before the deletion stay refused.
// KEYS: the user's key.
var addScript = rueidis.NewLuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'v', 0)
  return 0
end
if redis.call('HGET', KEYS[1], 'd') == '1' then
  redis.call('HDEL', KEYS[1], 'd')
  return redis.call('HINCRBY', KEYS[1], 'v', 1)
end
return tonumber(redis.call('HGET', KEYS[1], 'v'))
`)

// removeScript marks a user deleted, keeping the version. KEYS: the
// user's key.
var removeScript = rueidis.NewLuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'd', '1') end
return 1
`)

// Versions is a gqljwt.VersionStore in Redis: {v:<subject>}, a hash of
// the version (v) and, once the user is deleted, a flag (d).
//
// It holds versions only, not users, so it must be told which users
// exist: Add when a user is created (or, once, for every existing user),
// Remove when one is deleted. A subject it was never told of is unknown:
// TokenVersion answers gqljwt.ErrNotFound and the Service refuses the
// subject's tokens, which fails closed for a user Add missed. A removed
// user's key stays, a few bytes, as versions have no lifetime: a user
// recreated under the same ID continues from the old version, so no
// version ever comes back.
type Versions struct {
	c rueidis.Client
	o options
}

// NewVersions returns a VersionStore on c. It reads the Prefix and
// Timeout options. Its reads are not cached here: the Service's
// VersionCache (Config.VersionCacheTTL) already is that cache, and knows
// at once of a bump made through its own Service.
func NewVersions(c rueidis.Client, opts ...Option) *Versions {
	return &Versions{c: c, o: newOptions(opts)}
}

var _ gqljwt.VersionStore = (*Versions)(nil)

func (s *Versions) key(subject string) string { return s.o.prefix + "{v:" + subject + "}" }

// Add makes subject known, at version 0 when it is new, and returns its
// version. Adding a known user changes nothing; adding a removed one
// brings it back one version on.
func (s *Versions) Add(ctx context.Context, subject string) (uint64, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	v, err := addScript.Exec(ctx, s.c, []string{s.key(subject)}, nil).AsUint64()
	if err != nil {
		return 0, fmt.Errorf("redisstore: add user version: %w", err)
	}
	return v, nil
}

// Remove marks subject deleted: its tokens are refused from then on. An
// unknown subject is no error.
func (s *Versions) Remove(ctx context.Context, subject string) error {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	if err := removeScript.Exec(ctx, s.c, []string{s.key(subject)}, nil).Error(); err != nil {
		return fmt.Errorf("redisstore: remove user version: %w", err)
	}
	return nil
}

// TokenVersion implements gqljwt.VersionStore.
func (s *Versions) TokenVersion(ctx context.Context, subject string) (uint64, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	f, err := s.c.Do(ctx, s.c.B().Hmget().Key(s.key(subject)).Field("v", "d").Build()).ToArray()
	if err != nil {
		return 0, fmt.Errorf("redisstore: token version: %w", err)
	}
	if len(f) != 2 || f[0].IsNil() || !f[1].IsNil() {
		return 0, gqljwt.ErrNotFound
	}
	v, err := f[0].AsUint64()
	if err != nil {
		return 0, fmt.Errorf("redisstore: token version: %w", err)
	}
	return v, nil
}

// BumpTokenVersion implements gqljwt.VersionStore.
func (s *Versions) BumpTokenVersion(ctx context.Context, subject string) (uint64, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	v, err := bumpScript.Exec(ctx, s.c, []string{s.key(subject)}, nil).AsInt64()
	switch {
	case err != nil:
		return 0, fmt.Errorf("redisstore: bump token version: %w", err)
	case v < 0:
		return 0, gqljwt.ErrNotFound
	}
	return uint64(v), nil
}
