package gqljwt

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patrickmn/go-cache"
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
	c    *cache.Cache // subject -> uint64
	ttl  time.Duration
	// gen counts bumps: a version read from the store is kept only if no
	// bump ran meanwhile, or it would undo the bump for the TTL. mu orders
	// that check against a bump's delete.
	gen atomic.Uint64
	mu  sync.Mutex
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
		vc.c = cache.New(vc.ttl, time.Minute)
	})
	return vc
}

// version returns subject's version, from the cache or from store.
func (vc *VersionCache) version(ctx context.Context, store VersionStore, subject string) (uint64, error) {
	if v, ok := vc.c.Get(subject); ok {
		return v.(uint64), nil
	}
	gen := vc.gen.Load()
	v, err := store.TokenVersion(ctx, subject)
	if err != nil {
		return 0, err
	}
	vc.mu.Lock()
	if vc.gen.Load() == gen && vc.c.ItemCount() < defaultVersionCacheSize {
		vc.c.SetDefault(subject, v)
	}
	vc.mu.Unlock()
	return v, nil
}

// bumped forgets subject's version after a bump.
func (vc *VersionCache) bumped(subject string) {
	vc.mu.Lock()
	vc.gen.Add(1)
	vc.c.Delete(subject)
	vc.mu.Unlock()
}
