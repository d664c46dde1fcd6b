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
// made. The two keys hash to different slots on purpose, so that
// revocations spread over a Cluster.
type Revocations struct {
	c rueidis.Client
	o options

	// mine holds, with CacheTTL, the deadlines this store wrote in the
	// last CacheTTL, by key: the cache may answer before Redis's
	// invalidation of a key this store has just revoked has arrived.
	mu     sync.RWMutex
	mine   map[string]localRevocation
	pruned time.Time
	// held is len(mine), so that the warm path skips the lock while the
	// store has written nothing lately, as nearly always.
	held atomic.Int32
}

// localRevocation is a revocation this store wrote, and when.
type localRevocation struct {
	until, written time.Time
}

// NewRevocations returns a RevocationStore on c. It reads the Prefix,
// Timeout, Clock and CacheTTL options.
func NewRevocations(c rueidis.Client, opts ...Option) *Revocations {
	return &Revocations{c: c, o: newOptions(opts)}
}

var _ gqljwt.RevocationStore = (*Revocations)(nil)

func (s *Revocations) key(id string) string { return s.o.prefix + "{r:" + id + "}" }

// keys are the entries of a token and its session ("" for none), built
// in one allocation: IsRevoked builds them on every request.
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
	px := s.o.lifetime(until.Add(revocationSlack))
	err := revokeScript.Exec(ctx, s.c, []string{s.key(tokenID)},
		[]string{strconv.FormatInt(micros(until), 10), strconv.FormatInt(px, 10)}).Error()
	if err != nil {
		return fmt.Errorf("redisstore: revoke token: %w", err)
	}
	if s.o.cacheTTL > 0 {
		s.remember(s.key(tokenID), until)
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
	s.held.Store(int32(len(s.mine)))
}

// revokedHere reports whether this store revoked one of keys within the
// last CacheTTL, with a deadline not yet past at now.
func (s *Revocations) revokedHere(now time.Time, keys ...string) bool {
	if s.held.Load() == 0 {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, k := range keys {
		if r, ok := s.mine[k]; ok && now.Before(r.until) && time.Since(r.written) <= s.o.cacheTTL {
			return true
		}
	}
	return false
}

// IsRevoked implements gqljwt.RevocationStore.
func (s *Revocations) IsRevoked(ctx context.Context, tokenID, sessionKey string) (bool, error) {
	at := s.o.now()
	now := micros(at)
	tk, sk := s.keys(tokenID, sessionKey)
	if s.o.cacheTTL > 0 {
		if s.revokedHere(at, tk, sk) {
			return true, nil
		}
		// The bound is set only if a read goes to Redis (lazyTimeout).
		ctx, stop := s.o.lazyBound(ctx)
		defer stop()
		// One key at a time, the session's first: it is shared by all the
		// session's tokens and nearly always cached. A hit costs a map
		// lookup; DoMultiCache would spread the keys over the client's
		// connections with a goroutine each, hit or miss, which on the
		// warm path costs more than the lookups it makes (a miss costs a
		// round trip either way).
		revoked := false
		for _, k := range [2]string{sk, tk} {
			if k == "" {
				continue
			}
			r, err := revokedBy(s.c.DoCache(ctx, s.c.B().Get().Key(k).Cache(), s.o.cacheTTL), now)
			if err != nil {
				return false, err
			}
			revoked = revoked || r
		}
		return revoked, nil
	}
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	cmds := rueidis.Commands{s.c.B().Get().Key(tk).Build()}
	if sk != "" {
		cmds = append(cmds, s.c.B().Get().Key(sk).Build())
	}
	revoked := false
	for _, res := range s.c.DoMulti(ctx, cmds...) {
		// Every answer counts: one that failed refuses the request.
		r, err := revokedBy(res, now)
		if err != nil {
			return false, err
		}
		revoked = revoked || r
	}
	return revoked, nil
}

// revokedBy judges one entry's reply at now (unix µs).
func revokedBy(res rueidis.RedisResult, now int64) (bool, error) {
	v, err := res.AsInt64()
	switch {
	case rueidis.IsRedisNil(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("redisstore: check revocation: %w", err)
	}
	return now < v, nil
}
