package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

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
//
// With CacheTTL, TokenVersion reads through rueidis's client-side cache,
// as Revocations.IsRevoked does: Redis pushes an invalidation when a
// version moves, so a bump made through another instance is seen as soon
// as the push arrives (CacheTTL bounds how long a lost push could hide
// it), and one made through this store at once (it reads Redis for CacheTTL
// after its own writes). That is the read Service.Refresh makes of every
// refreshing user: without the cache it is a round trip each.
type Versions struct {
	c rueidis.Client
	o options

	// wrote holds, with CacheTTL, when this store last wrote each key,
	// for CacheTTL: the cache may answer before the invalidation of a
	// version this store has just moved has arrived.
	mu     sync.Mutex
	wrote  map[string]time.Time
	pruned time.Time
	// heldUntil is when (wall clock, unix ns) the latest write of wrote
	// stops counting: until then reads take the lock, after it none do.
	heldUntil atomic.Int64
}

// NewVersions returns a VersionStore on c. It reads the Prefix, Timeout,
// CacheTTL and Front options. The Service's VersionCache
// (Config.VersionCacheTTL) caches the access path's reads in front of
// this store, and knows at once of a bump made through its own Service.
func NewVersions(c rueidis.Client, opts ...Option) *Versions {
	return &Versions{c: c, o: newOptions(opts)}
}

// written records that key was written now, and forgets writes older than
// CacheTTL.
func (s *Versions) written(key string) {
	if s.o.cacheTTL <= 0 {
		return
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wrote == nil {
		s.wrote = make(map[string]time.Time)
	}
	if now.Sub(s.pruned) > s.o.cacheTTL {
		for k, at := range s.wrote {
			if now.Sub(at) > s.o.cacheTTL {
				delete(s.wrote, k)
			}
		}
		s.pruned = now
	}
	s.wrote[key] = now
	if held := now.Add(s.o.cacheTTL).UnixNano(); held > s.heldUntil.Load() {
		s.heldUntil.Store(held) // under mu: no other store in between
	}
	if s.o.front.active(s.o.cacheTTL) {
		s.o.front.drop(key)
	}
}

// cached reports whether TokenVersion may read key from the client-side
// cache: CacheTTL is set and this store has not written key within it.
func (s *Versions) cached(key string) bool {
	if s.o.cacheTTL <= 0 {
		return false
	}
	if time.Now().UnixNano() > s.heldUntil.Load() {
		return true
	}
	s.mu.Lock()
	at, ok := s.wrote[key]
	s.mu.Unlock()
	return !ok || time.Since(at) > s.o.cacheTTL
}

var _ gqljwt.VersionStore = (*Versions)(nil)

func (s *Versions) key(subject string) string { return s.o.prefix + "{v:" + subject + "}" }

// Add makes subject known, at version 0 when it is new, and returns its
// version. Adding a known user changes nothing; adding a removed one
// brings it back one version on.
func (s *Versions) Add(ctx context.Context, subject string) (uint64, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	defer s.written(s.key(subject))
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
	defer s.written(s.key(subject))
	if err := removeScript.Exec(ctx, s.c, []string{s.key(subject)}, nil).Error(); err != nil {
		return fmt.Errorf("redisstore: remove user version: %w", err)
	}
	return nil
}

// TokenVersion implements gqljwt.VersionStore.
func (s *Versions) TokenVersion(ctx context.Context, subject string) (uint64, error) {
	key := s.key(subject)
	if !s.cached(key) {
		ctx, cancel := s.o.withTimeout(ctx)
		defer cancel()
		return versionOf(s.c.Do(ctx, s.c.B().Hmget().Key(key).Field("v", "d").Build()))
	}
	f := s.o.front
	if !f.active(s.o.cacheTTL) {
		// The bound is set only if the read goes to Redis (lazyTimeout).
		ctx, stop := s.o.lazyBound(ctx)
		defer stop()
		return versionOf(s.c.DoCache(ctx, s.c.B().Hmget().Key(key).Field("v", "d").Cache(), s.o.cacheTTL))
	}
	wall := time.Now()
	if e, ok := lookup(f, key, wall); ok {
		if !e.known {
			return 0, gqljwt.ErrNotFound
		}
		return uint64(e.n), nil
	}
	ctx, stop := s.o.lazyBound(ctx)
	defer stop()
	gen := f.gen.Load()
	res := s.c.DoCache(ctx, s.c.B().Hmget().Key(key).Field("v", "d").Cache(), s.o.cacheTTL)
	v, err := versionOf(res)
	switch {
	case err == nil:
		f.store(key, frontEntry{n: int64(v), known: true}, gen, wall, s.o.cacheTTL, res)
	case errors.Is(err, gqljwt.ErrNotFound):
		f.store(key, frontEntry{}, gen, wall, s.o.cacheTTL, res)
	}
	return v, err
}

// versionOf decodes TokenVersion's HMGET reply.
func versionOf(res rueidis.RedisResult) (uint64, error) {
	f, err := res.ToArray()
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
	defer s.written(s.key(subject))
	v, err := bumpScript.Exec(ctx, s.c, []string{s.key(subject)}, nil).AsInt64()
	switch {
	case err != nil:
		return 0, fmt.Errorf("redisstore: bump token version: %w", err)
	case v < 0:
		return 0, gqljwt.ErrNotFound
	}
	return uint64(v), nil
}
