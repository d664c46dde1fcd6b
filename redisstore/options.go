package redisstore

import (
	"context"
	"sync"
	"time"
)

// DefaultTimeout bounds every operation when no Timeout is given: long
// enough for a healthy Redis on a loaded network, short enough that a
// request fails fast, with AUTH_UNAVAILABLE, when Redis is gone.
const DefaultTimeout = 500 * time.Millisecond

// DefaultPrefix starts every key when no Prefix is given, so that
// gqljwt's keys can share a database with the application's.
const DefaultPrefix = "gqljwt:"

// Option configures a store of this package. Each constructor reads the
// options that concern it and ignores the others, so that one list can
// build all the stores of a service.
type Option func(*options)

type options struct {
	prefix   string
	timeout  time.Duration
	now      func() time.Time
	cacheTTL time.Duration
	front    *Tracking
	// clocked is whether a Clock was given: otherwise the store's clock
	// is the wall clock, and one reading serves both.
	clocked bool
}

func newOptions(opts []Option) options {
	o := options{prefix: DefaultPrefix, timeout: DefaultTimeout, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Prefix sets the string every key starts with (default DefaultPrefix).
// Give each application, or each test, its own. It must not contain '{'
// or '}' (see the package documentation).
func Prefix(p string) Option { return func(o *options) { o.prefix = p } }

// Timeout bounds each operation, all its round trips included (default
// DefaultTimeout; zero or less keeps the default). An operation that runs
// out of time fails, and the Service answers AUTH_UNAVAILABLE.
func Timeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// Clock sets the clock by which RefreshTokens and Revocations judge
// expiry (default time.Now). Give RefreshTokens the Service's clock,
// Config.Now, which the records' ExpiresAt follows, so that tests move
// time instead of sleeping. Redis still reclaims each key on its own
// clock, at the lifetime the deadline gives against this one.
// AttemptCounter judges by the now of each call instead; the other stores
// keep no time.
func Clock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now, o.clocked = now, true
		}
	}
}

// CacheTTL turns on client-side caching of Revocations.IsRevoked, the
// read every request makes, and of Versions.TokenVersion, the read every
// refresh makes, for at most d (zero, the default, reads Redis each
// time). Redis tracks the cached keys and pushes an invalidation when one
// changes, so a revocation or a version bump made through another
// instance is seen as soon as the push arrives; d bounds how long a lost
// push could hide it. The push may arrive after the reply to the writing
// call, so each store also remembers for d what it wrote itself
// (Revocations its revocations, Versions the users whose version it
// moved, which it then reads from Redis): a logout is refused on its own
// instance at once. rueidis drops its cache when the connection drops,
// so an outage never serves stale answers: the reads fail instead. It
// needs a client with caching enabled (rueidis's default, RESP3); on a
// client with DisableCache the reads go to Redis. With Front, the answers
// are also kept in a Tracking's front cache, under the same bounds, so
// that a warm read does not call rueidis at all.
func CacheTTL(d time.Duration) Option { return func(o *options) { o.cacheTTL = d } }

// wall is the wall-clock time at at, a reading of the store's clock:
// at itself unless a Clock was given.
func (o *options) wall(at time.Time) time.Time {
	if o.clocked {
		return time.Now()
	}
	return at
}

// withTimeout bounds one operation.
func (o *options) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, o.timeout)
}

// lifetime is how long Redis should keep a key whose data lasts until
// deadline by the store's clock, at least a millisecond: PX refuses zero.
func (o *options) lifetime(deadline time.Time) int64 {
	ms := deadline.Sub(o.now()).Milliseconds() + 1
	return max(ms, 1)
}

// lazyTimeout is the bound of an operation that may not need Redis at
// all: a read that rueidis answers from its client-side cache never looks
// at its context, and there a context.WithTimeout (a timer, three
// allocations and two clock reads) would cost more than the read. The
// bound is set the first time anything asks the context for its deadline,
// its Done channel, its error or a value, which rueidis does before it
// sends a command or waits for another caller's reply: every round trip
// is bounded by the full timeout, counted from when it starts instead of
// from the call (what comes before is local work, microseconds).
type lazyTimeout struct {
	parent  context.Context
	timeout time.Duration
	once    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
}

// lazyBound returns ctx bounded by the timeout from its first use, and
// the function that releases the bound.
func (o *options) lazyBound(ctx context.Context) (*lazyTimeout, func()) {
	l := &lazyTimeout{parent: ctx, timeout: o.timeout}
	return l, l.stop
}

func (l *lazyTimeout) start() context.Context {
	l.once.Do(func() { l.ctx, l.cancel = context.WithTimeout(l.parent, l.timeout) })
	return l.ctx
}

// stop releases the bound, if one was set, and makes sure none is set
// afterwards.
func (l *lazyTimeout) stop() {
	l.once.Do(func() { l.ctx, l.cancel = l.parent, func() {} })
	l.cancel()
}

func (l *lazyTimeout) Deadline() (time.Time, bool) { return l.start().Deadline() }
func (l *lazyTimeout) Done() <-chan struct{}       { return l.start().Done() }
func (l *lazyTimeout) Err() error                  { return l.start().Err() }
func (l *lazyTimeout) Value(key any) any           { return l.start().Value(key) }
