package gqljwt

import (
	"sync"
	"time"

	"github.com/patrickmn/go-cache"
)

// LoginThrottle counts login attempts per account and per client address,
// in a fixed window that starts with the first attempt. An attempt is
// counted before the password is checked (and handed back on success), so
// concurrent or aliased attempts cannot slip in between a check and an
// increment.
//
// New gives each Service its own. Services of one process that log in the
// same users (one per endpoint, say) should share one through
// Config.LoginThrottle; apart, each would grant an attacker its own budget.
type LoginThrottle struct {
	mu     sync.Mutex
	c      *cache.Cache
	window time.Duration
}

// NewLoginThrottle returns an empty throttle with the given window; zero
// or less means DefaultLoginWindow.
func NewLoginThrottle(window time.Duration) *LoginThrottle {
	if window <= 0 {
		window = DefaultLoginWindow
	}
	return &LoginThrottle{c: cache.New(window, time.Minute), window: window}
}

// reserve counts one attempt for key. It refuses, counting nothing, when
// max attempts are already counted, and then returns how long until the
// window ends. max <= 0 disables the limit.
func (t *LoginThrottle) reserve(key string, max int) (ok bool, retry time.Duration) {
	if max <= 0 {
		return true, 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n, exp, found := t.c.GetWithExpiration(key)
	if !found {
		t.c.Set(key, 1, t.window)
		return true, 0
	}
	remaining := time.Until(exp)
	if n.(int) >= max {
		return false, remaining
	}
	if remaining > 0 {
		t.c.Set(key, n.(int)+1, remaining)
	}
	return true, 0
}

// release hands back an attempt reserve counted, after a success.
func (t *LoginThrottle) release(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, exp, found := t.c.GetWithExpiration(key)
	if !found {
		return
	}
	if n.(int) <= 1 {
		t.c.Delete(key)
		return
	}
	if remaining := time.Until(exp); remaining > 0 {
		t.c.Set(key, n.(int)-1, remaining)
	}
}

// reset forgets key: a successful login clears its account's failures.
func (t *LoginThrottle) reset(key string) {
	t.c.Delete(key)
}
