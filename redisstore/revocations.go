package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/redis/rueidis"
)

// revocationSlack keeps an entry in Redis a little past its deadline, so
// that a store clock running slightly behind Redis's still finds it.
const revocationSlack = time.Minute

// revokeScript sets a revocation's deadline unless a later one is already
// kept: the later deadline wins, whatever order revocations arrive in.
// Deadlines are unix microseconds, exact in Lua's doubles. KEYS: the
// entry. ARGV: deadline (µs), lifetime in ms.
var revokeScript = rueidis.NewLuaScript(`
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// Revocations is a gqljwt.RevocationStore in Redis. Each entry is a key of
// its own, {r:<tokenID>} or {r:sid:<session>}, holding its deadline, so
// that IsRevoked judges it by the store's clock.
//
// IsRevoked sends the GETs of the token's and the session's entries
// together (DoMulti): one pipelined round trip on a single node. With
// CacheTTL it reads each through rueidis's client-side cache instead, the
// session's first: on the warm path both are hits and no round trip is
// made. With Front too, it first asks the Tracking's front cache, which
// on the warm path answers without calling rueidis at all. The two keys
// hash to different slots on purpose, so that revocations spread over a
// Cluster.
type Revocations struct {
	c rueidis.Client
	o options

	// mine holds, with CacheTTL, the deadlines this store wrote in the
	// last CacheTTL, by key: the cache may answer before Redis's
	// invalidation of a key this store has just revoked has arrived.
	mu     sync.RWMutex
	mine   map[string]localRevocation
	pruned time.Time
	// heldUntil is when (wall clock, unix ns) the latest entry of mine
	// stops counting, so that the warm path skips the lock while the
	// store has written nothing lately, as nearly always.
	heldUntil atomic.Int64
}

// localRevocation is a revocation this store wrote, and when.
type localRevocation struct {
	until, written time.Time
}

// NewRevocations returns a RevocationStore on c. It reads the Prefix,
// Timeout, Clock, CacheTTL and Front options.
func NewRevocations(c rueidis.Client, opts ...Option) *Revocations {
	return &Revocations{c: c, o: newOptions(opts)}
}

var _ gqljwt.RevocationStore = (*Revocations)(nil)

func (s *Revocations) key(id string) string { return s.o.prefix + "{r:" + id + "}" }

// appendKey appends id's entry to b: the front is asked with keys built
// in a buffer of the caller's stack.
func (s *Revocations) appendKey(b []byte, id string) []byte {
	b = append(b, s.o.prefix...)
	b = append(b, "{r:"...)
	b = append(b, id...)
	return append(b, '}')
}

// keys are the entries of a token and its session ("" for none), built
// in one allocation: IsRevoked builds them on every request that reads
// Redis.
func (s *Revocations) keys(tokenID, sessionKey string) (tk, sk string) {
	if sessionKey == "" {
		return s.key(tokenID), ""
	}
	both := s.o.prefix + "{r:" + tokenID + "}" + s.o.prefix + "{r:" + sessionKey + "}"
	n := len(s.o.prefix) + len("{r:}") + len(tokenID)
	return both[:n], both[n:]
}

// micros rounds t up to the microsecond: a deadline may only grow.
func micros(t time.Time) int64 {
	us := t.UnixMicro()
	if time.UnixMicro(us).Before(t) {
		us++
	}
	return us
}

// RevokeToken implements gqljwt.RevocationStore.
func (s *Revocations) RevokeToken(ctx context.Context, tokenID string, until time.Time) error {
	if !s.o.now().Before(until) {
		return nil
	}
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	key := s.key(tokenID)
	px := s.o.lifetime(until.Add(revocationSlack))
	err := revokeScript.Exec(ctx, s.c, []string{key},
		[]string{strconv.FormatInt(micros(until), 10), strconv.FormatInt(px, 10)}).Error()
	if s.o.front.active(s.o.cacheTTL) {
		// Even on an error: the script may have run.
		s.o.front.drop(key)
	}
	if err != nil {
		return fmt.Errorf("redisstore: revoke token: %w", err)
	}
	if s.o.cacheTTL > 0 {
		s.remember(key, until)
	}
	return nil
}

// remember records a revocation this store wrote, for CacheTTL of the
// wall clock (the time a cached answer lives), and forgets older ones.
func (s *Revocations) remember(key string, until time.Time) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mine == nil {
		s.mine = make(map[string]localRevocation)
	}
	if now.Sub(s.pruned) > s.o.cacheTTL {
		for k, r := range s.mine {
			if now.Sub(r.written) > s.o.cacheTTL {
				delete(s.mine, k)
			}
		}
		s.pruned = now
	}
	if r, ok := s.mine[key]; !ok || r.until.Before(until) {
		s.mine[key] = localRevocation{until: until, written: now}
	}
	if held := now.Add(s.o.cacheTTL).UnixNano(); held > s.heldUntil.Load() {
		s.heldUntil.Store(held)
	}
}

// revokedHere reports whether s revoked tk or sk ("" for none) within
// the last CacheTTL before wall, with a deadline not yet past at now.
// The keys may be strings or views of a buffer.
func revokedHere[K string | []byte](s *Revocations, now, wall time.Time, tk, sk K) bool {
	if wall.UnixNano() > s.heldUntil.Load() {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, k := range [2]K{tk, sk} {
		if r, ok := s.mine[string(k)]; ok && now.Before(r.until) && wall.Sub(r.written) <= s.o.cacheTTL {
			return true
		}
	}
	return false
}

// IsRevoked implements gqljwt.RevocationStore.
func (s *Revocations) IsRevoked(ctx context.Context, tokenID, sessionKey string) (bool, error) {
	at := s.o.now()
	now := micros(at)
	if s.o.cacheTTL <= 0 {
		return s.readRevoked(ctx, tokenID, sessionKey, now)
	}
	wall := s.o.wall(at)
	f := s.o.front
	if !f.active(s.o.cacheTTL) {
		tk, sk := s.keys(tokenID, sessionKey)
		if revokedHere(s, at, wall, tk, sk) {
			return true, nil
		}
		return s.readCached(ctx, [2]string{sk, tk}, [2]bool{}, now, wall)
	}
	// The keys are built on the stack: a warm check allocates nothing.
	var buf [192]byte
	tb := s.appendKey(buf[:0], tokenID)
	var sb []byte
	if sessionKey != "" {
		both := s.appendKey(tb, sessionKey)
		tb, sb = both[:len(tb)], both[len(tb):]
	}
	if revokedHere(s, at, wall, tb, sb) {
		return true, nil
	}
	te, tok := lookup(f, tb, wall)
	se, sok := frontEntry{}, true
	if sb != nil {
		se, sok = lookup(f, sb, wall)
	}
	if tok && sok {
		return now < te.n || now < se.n, nil
	}
	if (tok && now < te.n) || (sok && now < se.n) {
		return true, nil
	}
	tk, sk := s.keys(tokenID, sessionKey)
	return s.readCached(ctx, [2]string{sk, tk}, [2]bool{sok, tok}, now, wall)
}

// readRevoked is IsRevoked without CacheTTL: both GETs in one pipeline.
func (s *Revocations) readRevoked(ctx context.Context, tokenID, sessionKey string, now int64) (bool, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	tk, sk := s.keys(tokenID, sessionKey)
	cmds := rueidis.Commands{s.c.B().Get().Key(tk).Build()}
	if sk != "" {
		cmds = append(cmds, s.c.B().Get().Key(sk).Build())
	}
	revoked := false
	for _, res := range s.c.DoMulti(ctx, cmds...) {
		// Every answer counts: one that failed refuses the request.
		dl, err := deadlineOf(res)
		if err != nil {
			return false, err
		}
		revoked = revoked || now < dl
	}
	return revoked, nil
}

// readCached reads through rueidis's client-side cache the keys ("" for
// none) not already answered (done, by the front, found not revoked),
// and gives the front what it read.
func (s *Revocations) readCached(ctx context.Context, keys [2]string, done [2]bool, now int64, wall time.Time) (bool, error) {
	// The bound is set only if a read goes to Redis (lazyTimeout).
	ctx, stop := s.o.lazyBound(ctx)
	defer stop()
	f := s.o.front
	// One key at a time, the session's first: it is shared by all the
	// session's tokens and nearly always cached. A hit costs a map
	// lookup; DoMultiCache would spread the keys over the client's
	// connections with a goroutine each, hit or miss, which on the
	// warm path costs more than the lookups it makes (a miss costs a
	// round trip either way).
	revoked := false
	for i, k := range keys {
		if k == "" || done[i] {
			continue
		}
		var gen uint64
		if f.active(s.o.cacheTTL) {
			gen = f.gen.Load()
		}
		res := s.c.DoCache(ctx, s.c.B().Get().Key(k).Cache(), s.o.cacheTTL)
		dl, err := deadlineOf(res)
		if err != nil {
			return false, err
		}
		if f.active(s.o.cacheTTL) {
			f.store(k, frontEntry{n: dl}, gen, wall, s.o.cacheTTL, res)
		}
		revoked = revoked || now < dl
	}
	return revoked, nil
}

// deadlineOf is one entry's deadline (unix µs), 0 for none.
func deadlineOf(res rueidis.RedisResult) (int64, error) {
	v, err := res.AsInt64()
	switch {
	case rueidis.IsRedisNil(err):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("redisstore: check revocation: %w", err)
	}
	return v, nil
}
