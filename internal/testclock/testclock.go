// Package testclock is the settable clock the tests hand to Config.Now,
// the stores and the issuers, so that expiry is tested without sleeping.
package testclock

import (
	"sync"
	"time"
)

// Clock is a clock that moves only when told, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock at the current second.
func New() *Clock { return &Clock{now: time.Now().Truncate(time.Second)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
