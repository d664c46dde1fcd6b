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
//
// The entries hold no pointers: a subject is found by a 128-bit keyed hash
// of it, not by the string. The garbage collector marks every pointer of
// the live heap in every cycle, and every request of the process, an
// anonymous one too, pays its share of the cycles: keyed by the strings
// (on go-cache, until this was changed), 20 000 cached versions added about
// 0.9 ms to each cycle (bench: HeldStateGC), and each key kept the whole
// packed identity it was cut from alive; a map of pointer-free entries is
// not scanned at all.
type VersionCache struct {
	once sync.Once
	ttl  time.Duration
	// seeds key the subject hash; they never leave the process, so no
	// caller can pick two subjects that share a key (of 128 bits: by
	// chance, under 2^-95 for a full cache).
	seeds  [2]maphash.Seed
	shards [versionShards]versionShard
	// gen counts bumps: a version read from the store is kept only if no
	// bump ran meanwhile, or it would undo the bump for the TTL. A bump
	// moves it under the lock of its subject's shard, where the insert
	// checks it, which orders the two.
	gen atomic.Uint64
}

// versionShards splits the cache so that concurrent readers of different
// subjects do not share a lock word.
const versionShards = 16

// versionShard is a part of the cache, at most
// defaultVersionCacheSize/versionShards entries.
type versionShard struct {
	mu sync.RWMutex
	m  map[versionKey]versionEntry
	// sweep is the wall-clock time (Unix ns) from which the next insert
	// first drops the expired entries: there is no janitor goroutine.
	sweep int64
	_     [64]byte // the next shard's lock on another cache line
}

// versionKey is the keyed hash of a subject.
type versionKey [2]uint64

// versionEntry is a version and the wall-clock time (Unix ns) after which
// it is read from the store again.
type versionEntry struct {
	v       uint64
	expires int64
}

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
		vc.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
		for i := range vc.shards {
			vc.shards[i].m = make(map[versionKey]versionEntry)
		}
	})
	return vc
}

// shard returns subject's key and the shard that holds it.
func (vc *VersionCache) shard(subject string) (versionKey, *versionShard) {
	k := versionKey{maphash.String(vc.seeds[0], subject), maphash.String(vc.seeds[1], subject)}
	return k, &vc.shards[k[0]%versionShards]
}

// version returns subject's version, from the cache or from store. now is
// the wall-clock time of the request, read once by the caller.
func (vc *VersionCache) version(ctx context.Context, store VersionStore, subject string, now time.Time) (uint64, error) {
	k, sh := vc.shard(subject)
	sh.mu.RLock()
	e, ok := sh.m[k]
	sh.mu.RUnlock()
	if ok && now.UnixNano() <= e.expires {
		return e.v, nil
	}
	gen := vc.gen.Load()
	v, err := store.TokenVersion(ctx, subject)
	if err != nil {
		return 0, err
	}
	sh.mu.Lock()
	if vc.gen.Load() == gen {
		// The TTL runs from after the store's answer.
		sh.addLocked(k, versionEntry{v: v, expires: time.Now().Add(vc.ttl).UnixNano()}, vc.ttl)
	}
	sh.mu.Unlock()
	return v, nil
}

// addLocked holds e under k, unless the shard is full of entries still
// served; the caller holds sh.mu. Now and then (every TTL, at least a
// second and at most a minute apart) it first drops the expired entries,
// which are never served.
func (sh *versionShard) addLocked(k versionKey, e versionEntry, ttl time.Duration) {
	if now := time.Now().UnixNano(); now >= sh.sweep {
		for key, old := range sh.m {
			if now > old.expires {
				delete(sh.m, key)
			}
		}
		sh.sweep = now + int64(min(max(ttl, time.Second), time.Minute))
	}
	if _, held := sh.m[k]; held || len(sh.m) < defaultVersionCacheSize/versionShards {
		sh.m[k] = e
	}
}

// bumped forgets subject's version after a bump.
func (vc *VersionCache) bumped(subject string) {
	k, sh := vc.shard(subject)
	sh.mu.Lock()
	vc.gen.Add(1)
	delete(sh.m, k)
	sh.mu.Unlock()
}
