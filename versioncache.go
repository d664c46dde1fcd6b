package gqljwt

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// VersionCache holds the token versions the verifier looked up, for a short
// time (Config.VersionCacheTTL), so that a request does not cost a store
// read. A version bumped through a Service using the cache takes effect at
// once; one bumped elsewhere, within the TTL.
//
// New gives each Service its own. Services of one process that share
// Config.Versions (one per endpoint, say) should share one through
// Config.VersionCache, so that a bump through any of them is seen at once
// by all.
//
// The zero value is ready to use in Config.VersionCache, with
// DefaultVersionCacheTTL.
type VersionCache struct {
	once sync.Once
	ttl  time.Duration
	// shards hold the versions by subject, a shard picked by a keyed hash
	// of it. Every request reads one: a read-lock on a shard of its own
	// cache line, so that readers on several cores rarely share one, and
	// a map of plain values, so that keeping a version allocates nothing
	// (sync.Map, tried, cost three allocations per new subject, a
	// quarter of a cold verification's).
	seed   maphash.Seed
	shards [versionCacheShards]versionShard
	// n counts the entries, which stop at defaultVersionCacheSize.
	n atomic.Int64
	// gen counts bumps: a version read from the store is kept only if no
	// bump ran meanwhile, or it would undo the bump for the TTL. mu orders
	// that check against a bump's delete, and the writers among
	// themselves; a writer takes a shard's lock under it.
	gen atomic.Uint64
	mu  sync.Mutex
	// sweeping is set while a sweep of the expired entries is scheduled:
	// one is, whenever the cache holds an entry.
	sweeping bool
}

// versionCacheShards is the number of shards of a VersionCache.
const versionCacheShards = 32

type versionShard struct {
	mu sync.RWMutex
	m  map[string]versionEntry
	_  [64 - 24 - 8]byte // a cache line each
}

// versionEntry is a version and the wall-clock time (Unix nanoseconds)
// after which it is read from the store again.
type versionEntry struct {
	v       uint64
	expires int64
}

// versionCacheSweep is how often expired versions are reclaimed while the
// cache holds any.
const versionCacheSweep = time.Minute

// NewVersionCache returns an empty cache whose entries live ttl; zero or
// less means DefaultVersionCacheTTL.
func NewVersionCache(ttl time.Duration) *VersionCache {
	return (&VersionCache{ttl: ttl}).ready()
}

// ready fills in what a zero VersionCache lacks.
func (vc *VersionCache) ready() *VersionCache {
	vc.once.Do(func() {
		if vc.ttl <= 0 {
			vc.ttl = DefaultVersionCacheTTL
		}
		vc.seed = maphash.MakeSeed()
	})
	return vc
}

func (vc *VersionCache) shard(subject string) *versionShard {
	return &vc.shards[maphash.String(vc.seed, subject)%versionCacheShards]
}

// version returns subject's version, from the cache or from store. now is
// the wall clock's time, read by the caller: a request reads it once for
// all its checks.
func (vc *VersionCache) version(ctx context.Context, store VersionStore, subject string, now time.Time) (uint64, error) {
	sh := vc.shard(subject)
	sh.mu.RLock()
	e, ok := sh.m[subject]
	sh.mu.RUnlock()
	if ok && now.UnixNano() <= e.expires {
		return e.v, nil
	}
	gen := vc.gen.Load()
	v, err := store.TokenVersion(ctx, subject)
	if err != nil {
		return 0, err
	}
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if vc.gen.Load() != gen {
		return v, nil
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, held := sh.m[subject]; !held {
		if vc.n.Load() >= defaultVersionCacheSize {
			return v, nil
		}
		vc.n.Add(1)
	}
	if sh.m == nil {
		sh.m = map[string]versionEntry{}
	}
	// The TTL runs from after the store's answer, as go-cache's did.
	sh.m[subject] = versionEntry{v: v, expires: time.Now().Add(vc.ttl).UnixNano()}
	if !vc.sweeping {
		vc.sweeping = true
		time.AfterFunc(versionCacheSweep, vc.sweep)
	}
	return v, nil
}

// bumped forgets subject's version after a bump.
func (vc *VersionCache) bumped(subject string) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	vc.gen.Add(1)
	sh := vc.shard(subject)
	sh.mu.Lock()
	if _, held := sh.m[subject]; held {
		delete(sh.m, subject)
		vc.n.Add(-1)
	}
	sh.mu.Unlock()
}

// sweep deletes the expired entries, which are never served, and comes
// back while any entry is left.
func (vc *VersionCache) sweep() { vc.sweepAt(time.Now().UnixNano()) }

// sweepAt is sweep at now, in Unix nanoseconds.
func (vc *VersionCache) sweepAt(now int64) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	for i := range vc.shards {
		sh := &vc.shards[i]
		sh.mu.Lock()
		for subject, e := range sh.m {
			if now > e.expires {
				delete(sh.m, subject)
				vc.n.Add(-1)
			}
		}
		sh.mu.Unlock()
	}
	if vc.sweeping = vc.n.Load() > 0; vc.sweeping {
		time.AfterFunc(versionCacheSweep, vc.sweep)
	}
}
