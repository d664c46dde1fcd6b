package redisstore

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

// DefaultMaxFront bounds a Tracking's front cache when NewTracking is
// given no bound: enough for the live tokens and sessions of a busy
// instance, a few MB at most.
const DefaultMaxFront = 1 << 16

// Tracking is a front cache of the answers Revocations.IsRevoked and
// Versions.TokenVersion read through rueidis's client-side cache, held in
// this process's memory and kept true by the invalidations Redis pushes
// to the client. A warm check is then two map lookups and no call into
// rueidis, whose every DoCache builds a command and hashes its key's slot
// even when it answers from its own cache.
//
// An answer is dropped from the front when Redis pushes an invalidation
// of its key, when any of the client's connections ends (rueidis then
// drops its own cache too: nothing learnt before a break is served after
// it, so an outage fails closed), when a store of this process writes the
// key, and at the latest CacheTTL after it was read from Redis. A read
// stores its answer only if no invalidation reached the front while it
// was in flight, so that an answer read before a change never outlives
// the change's invalidation.
//
// Build the client with Tracking.NewClient, which relays the pushes, and
// give the stores the Front option. One Tracking serves every store on
// its client, and no other client.
type Tracking struct {
	max int
	// on is false for a client without client-side caching, which Redis
	// does not track: nothing would invalidate the front.
	on bool

	mu    sync.RWMutex
	front map[string]frontEntry
	// gen moves on at every invalidation; a read stores its answer only
	// if gen has not moved since the read began.
	gen atomic.Uint64
	// inFlight, if set, runs between a read from rueidis and the storing
	// of its answer: tests make an invalidation arrive there.
	inFlight func()
}

// frontEntry is one cached answer: a revocation's deadline (unix µs, 0
// for none), or a version and whether the user is known.
type frontEntry struct {
	n     int64
	known bool
	until time.Time // by the wall clock
}

// NewTracking returns a Tracking whose front holds at most maxFront
// answers (zero or less: DefaultMaxFront).
func NewTracking(maxFront int) *Tracking {
	if maxFront <= 0 {
		maxFront = DefaultMaxFront
	}
	return &Tracking{max: maxFront, front: make(map[string]frontEntry)}
}

// NewClient returns a rueidis client of opt that relays its
// invalidations to t, and to opt's own OnInvalidations if it has one.
// With opt.DisableCache the front stays off: the stores read Redis as
// they would without it.
func (t *Tracking) NewClient(opt rueidis.ClientOption) (rueidis.Client, error) {
	t.on = !opt.DisableCache
	if next := opt.OnInvalidations; next != nil {
		opt.OnInvalidations = func(m []rueidis.RedisMessage) { t.invalidate(m); next(m) }
	} else {
		opt.OnInvalidations = t.invalidate
	}
	return rueidis.NewClient(opt)
}

// Front makes Revocations and Versions answer from t's front cache. It
// takes effect only with CacheTTL, which bounds each answer's life there
// as in rueidis's cache, and only on the client t.NewClient built.
func Front(t *Tracking) Option { return func(o *options) { o.front = t } }

// invalidate is rueidis's OnInvalidations: the keys Redis says changed,
// or nil for all (a connection ended, or Redis flushed its data).
func (t *Tracking) invalidate(keys []rueidis.RedisMessage) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen.Add(1)
	if keys == nil {
		clear(t.front)
		return
	}
	for _, k := range keys {
		if s, err := k.ToString(); err == nil {
			delete(t.front, s)
		}
	}
}

// drop forgets key, written by a store of this process: the push of its
// invalidation may come after the write's reply, and a read in flight may
// have read the old value.
func (t *Tracking) drop(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen.Add(1)
	delete(t.front, key)
}

// lookup returns t's answer for key if it is still live at now (wall
// clock). key may be a view of a buffer: the map lookup copies nothing.
func lookup[K string | []byte](t *Tracking, key K, now time.Time) (frontEntry, bool) {
	t.mu.RLock()
	e, ok := t.front[string(key)]
	t.mu.RUnlock()
	return e, ok && now.Before(e.until)
}

// store keeps key's answer, read by a read that began at generation gen
// and wall time began, unless an invalidation came since. res is rueidis's
// reply: an answer it had cached lives no longer than it would there.
func (t *Tracking) store(key string, e frontEntry, gen uint64, began time.Time, ttl time.Duration, res rueidis.RedisResult) {
	if t.inFlight != nil {
		t.inFlight()
	}
	e.until = began.Add(ttl)
	if pxat := res.CachePXAT(); pxat > 0 {
		if at := time.UnixMilli(pxat); at.Before(e.until) {
			e.until = at
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gen.Load() != gen {
		return
	}
	if _, ok := t.front[key]; !ok && len(t.front) >= t.max {
		// Any entry will do: all are equally cheap to read again, and
		// map order is random enough not to keep evicting a hot one.
		for k := range t.front {
			delete(t.front, k)
			break
		}
	}
	t.front[key] = e
}

// active reports whether t may answer for a store with cacheTTL.
func (t *Tracking) active(cacheTTL time.Duration) bool {
	return t != nil && t.on && cacheTTL > 0
}

// frontLen is the number of answers held, for tests.
func (t *Tracking) frontLen() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.front)
}
