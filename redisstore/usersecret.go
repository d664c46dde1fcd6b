package redisstore

import (
	"context"
	"fmt"

	"github.com/gqljwt/gqljwt"
	"github.com/redis/rueidis"
)

// secretScript moves a known user's version on and sets (ARGV[1] "1") or
// clears ("0") the revoked-secret flag (s) in the same hash, in one
// script, so no reader sees one change without the other. KEYS: the
// user's key.
var secretScript = rueidis.NewLuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HGET', KEYS[1], 'd') == '1' then return -1 end
if ARGV[1] == '1' then redis.call('HSET', KEYS[1], 's', '1') else redis.call('HDEL', KEYS[1], 's') end
return redis.call('HINCRBY', KEYS[1], 'v', 1)
`)

var _ gqljwt.UserSecretStore = (*Versions)(nil)

// RevokeUserSecret implements gqljwt.UserSecretStore. The flag lives in
// the user's version hash ({v:<subject>}, field s) and, like the version,
// has no lifetime: it stays until RefreshUserSecret, across a Remove and
// Add of the user too.
func (s *Versions) RevokeUserSecret(ctx context.Context, subject string) (uint64, error) {
	return s.moveSecret(ctx, subject, "1")
}

// RefreshUserSecret implements gqljwt.UserSecretStore.
func (s *Versions) RefreshUserSecret(ctx context.Context, subject string) (uint64, error) {
	return s.moveSecret(ctx, subject, "0")
}

func (s *Versions) moveSecret(ctx context.Context, subject, revoked string) (uint64, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	// A move is a write like a bump: with CacheTTL this store reads the
	// version from Redis, not its cache, until the push has surely come.
	defer s.written(s.key(subject))
	v, err := secretScript.Exec(ctx, s.c, []string{s.key(subject)}, []string{revoked}).AsInt64()
	switch {
	case err != nil:
		return 0, fmt.Errorf("redisstore: move user secret: %w", err)
	case v < 0:
		return 0, gqljwt.ErrNotFound
	}
	return uint64(v), nil
}

// UserSecretRevoked implements gqljwt.UserSecretStore.
func (s *Versions) UserSecretRevoked(ctx context.Context, subject string) (bool, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	f, err := s.c.Do(ctx, s.c.B().Hmget().Key(s.key(subject)).Field("v", "d", "s").Build()).ToArray()
	if err != nil {
		return false, fmt.Errorf("redisstore: user secret: %w", err)
	}
	if len(f) != 3 || f[0].IsNil() || !f[1].IsNil() {
		return false, gqljwt.ErrNotFound
	}
	return !f[2].IsNil(), nil
}
