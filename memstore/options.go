package memstore

import (
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Option configures a store of this package. Each constructor reads the
// options that concern it and ignores the others, so that one list can
// build all the stores of a test.
type Option func(*options)

type options struct {
	cost  int
	now   func() time.Time
	sweep time.Duration
}

func newOptions(opts []Option) options {
	o := options{cost: bcrypt.DefaultCost, now: time.Now, sweep: defaultSweepInterval}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// BcryptCost sets the bcrypt cost of Users (default bcrypt.DefaultCost).
// Tests use bcrypt.MinCost to run fast; production should not go below
// the default.
func BcryptCost(cost int) Option { return func(o *options) { o.cost = cost } }

// Clock sets the clock by which RefreshTokens judges expiry (default
// time.Now). Give it the Service's clock, Config.Now, which the records'
// ExpiresAt follows: tests then move time instead of sleeping. Users and
// Identities keep no time.
func Clock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// defaultSweepInterval is how long RefreshTokens takes to sweep all its
// shards once, by default.
const defaultSweepInterval = time.Minute

// SweepInterval sets how long RefreshTokens takes, at most, to reclaim the
// memory of expired sessions, by its clock: it sweeps one of its 2 500
// shards every interval/2500, at the next write (default a minute).
// Answers never wait for it: an expired session is refused by the clock
// whether or not it was swept. Benchmarks shorten it to see many sweeps.
func SweepInterval(interval time.Duration) Option {
	return func(o *options) {
		if interval > 0 {
			o.sweep = interval
		}
	}
}
