package gqljwt

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/patrickmn/go-cache"
)

// Timings of the login throttle that are not configuration.
const (
	// busyTTL bounds how long a count of checks under way outlives its last
	// change. A password check takes milliseconds; a count still there a
	// minute after it last moved was left by a process that died mid-check
	// (with a shared counter), and would otherwise keep its key waiting.
	busyTTL = time.Minute
	// maxAdmissionWait is how long an attempt waits for the checks under
	// way on its keys to finish before it gives up with TOO_MANY_ATTEMPTS.
	// Sixteen concurrent logins of one account at bcrypt cost 10 take well
	// under a second; ten seconds leave room for a loaded server without
	// holding a request for ever.
	maxAdmissionWait = 10 * time.Second
	// admissionPoll is how often a waiting attempt looks again without
	// being woken: another instance sharing the counter cannot wake it.
	admissionPoll = 20 * time.Millisecond
	// busyRetryAfter is the retryAfter of an attempt that gave up waiting:
	// the key is busy, not locked, so trying again soon is fine.
	busyRetryAfter = time.Second
)

// AttemptCounter holds the counts of a LoginThrottle: integers by key that
// expire. It is the storage half of login throttling, so that instances
// sharing one (Redis, say) share one budget; the policy, which keys and
// what limits, is the throttle's.
//
// Increment must be atomic: of two concurrent increments of one key, each
// returns a count that includes the other's delta or excludes it entirely,
// as Redis's INCRBY does; the throttle's bound on concurrent checks rests
// on it. An error makes the login answer AUTH_UNAVAILABLE: a counter that
// cannot count must not let guesses through uncounted. Expiry is judged
// at the now given (Config.Now); a counter whose server expires keys
// (Redis) stores the deadline and compares it with now, its own TTL only
// reclaiming memory.
type AttemptCounter interface {
	// Increment adds delta (which may be negative or zero) to the count
	// under key and returns the new count; the key then expires ttl after
	// now, every Increment renewing it. An absent or expired key counts
	// from zero. In Redis terms: MULTI, INCRBY, PEXPIRE, EXEC.
	Increment(ctx context.Context, key string, delta int64, now time.Time, ttl time.Duration) (int64, error)
	// Get returns the count under key and when it expires; zero and the
	// zero time when it is absent or expired at now.
	Get(ctx context.Context, key string, now time.Time) (n int64, expires time.Time, err error)
	// Reset removes key.
	Reset(ctx context.Context, key string) error
}

// memoryCounter is the in-process AttemptCounter. Expiry is judged by the
// caller's clock (Config.Now), so tests move time instead of sleeping;
// go-cache, running on the wall clock, only reclaims the memory, a little
// after the entry has expired by the wall clock.
type memoryCounter struct {
	mu  sync.Mutex
	c   *cache.Cache
	max int
}

// memoryCounterEntries bounds the in-process counter: about 200 MB at
// worst. Failures are remembered for a day, and every failure, of an
// unknown name too, makes entries, so an attacker keeping a server's
// bcrypt busy could otherwise grow it by gigabytes a day. A normal site
// stays far below: the bound is some 300,000 failures a day.
const memoryCounterEntries = 1 << 20

type counterEntry struct {
	n       int64
	expires time.Time
}

// memoryReclaimSlack keeps an entry in go-cache a little past its own
// expiry, so that a caller's clock running slightly behind the wall clock
// still finds it.
const memoryReclaimSlack = time.Minute

// NewMemoryAttemptCounter returns an in-process AttemptCounter, the one
// NewLoginThrottle uses. Its counts are lost on restart and not shared
// between processes.
func NewMemoryAttemptCounter() AttemptCounter {
	return &memoryCounter{c: cache.New(cache.NoExpiration, time.Minute), max: memoryCounterEntries}
}

// shed makes room when the counter is full: expired entries go first,
// then an eighth of the others, picked in map order, which a client
// cannot predict. Losing counts lets some guesses through uncounted, but
// only after an attacker has paid for a million failures' worth of bcrypt
// checks; refusing new keys instead would stop every login for a day.
func (m *memoryCounter) shed() {
	m.c.DeleteExpired()
	if m.c.ItemCount() < m.max {
		return
	}
	drop := m.max / 8
	for k := range m.c.Items() {
		if drop == 0 {
			break
		}
		m.c.Delete(k)
		drop--
	}
}

// memoryCounter's methods lock it and call those of its unlocked view,
// which the batched steps call under one lock: each step is then atomic
// over all its keys.
type unlockedMemory struct{ m *memoryCounter }

func (m *memoryCounter) Increment(ctx context.Context, key string, delta int64, now time.Time, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return unlockedMemory{m}.Increment(ctx, key, delta, now, ttl)
}

func (m *memoryCounter) Get(ctx context.Context, key string, now time.Time) (int64, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return unlockedMemory{m}.Get(ctx, key, now)
}

func (m *memoryCounter) Reset(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return unlockedMemory{m}.Reset(ctx, key)
}

// Admit implements AttemptBatcher.
func (m *memoryCounter) Admit(ctx context.Context, keys []AttemptKey, now time.Time, l AttemptLifetimes) (bool, []AttemptState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return stepwise{unlockedMemory{m}}.Admit(ctx, keys, now, l)
}

// Finish implements AttemptBatcher.
func (m *memoryCounter) Finish(ctx context.Context, keys []AttemptKey, o AttemptOutcome, now time.Time, l AttemptLifetimes) ([]time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return stepwise{unlockedMemory{m}}.Finish(ctx, keys, o, now, l)
}

func (u unlockedMemory) Increment(_ context.Context, key string, delta int64, now time.Time, ttl time.Duration) (int64, error) {
	m := u.m
	var n int64
	v, found := m.c.Get(key)
	if found {
		if e := v.(counterEntry); now.Before(e.expires) {
			n = e.n
		}
	} else if m.c.ItemCount() >= m.max {
		m.shed()
	}
	n += delta
	m.c.Set(key, counterEntry{n: n, expires: now.Add(ttl)}, ttl+memoryReclaimSlack)
	return n, nil
}

func (u unlockedMemory) Get(_ context.Context, key string, now time.Time) (int64, time.Time, error) {
	if v, ok := u.m.c.Get(key); ok {
		if e := v.(counterEntry); now.Before(e.expires) {
			return e.n, e.expires, nil
		}
	}
	return 0, time.Time{}, nil
}

func (u unlockedMemory) Reset(_ context.Context, key string) error {
	u.m.c.Delete(key)
	return nil
}

// LoginThrottle is where login failures are counted and lockouts kept. The
// policy (see Service.Authenticate) counts failures per key: per (account,
// trusted device), per (account, client address), per account for
// untrusted clients, and per client address. A key that reaches its limit
// is locked for the throttle's window (Config.LoginWindow), twice as long
// at each further lockout, up to Config.MaxLockout.
//
// Failures are remembered until the client succeeds or MaxLockout has
// passed since the last one. A window that forgot them sooner would let a
// patient attacker stay under the limit for ever (4 guesses every 15
// minutes is 384 a day) and never meet the growing lockouts.
//
// Failures are counted when they happen, not before: a correct password is
// never refused because other checks were under way. Concurrency is still
// bounded: a check may only start while the failures counted on each of
// its keys plus the checks under way stay within the key's limit; the
// others wait for those to finish. So 16 concurrent correct logins of one
// account all succeed, and 100 concurrent wrong ones get the limit checked
// and no more.
//
// New gives each Service its own. Services of one process that log in the
// same users (one per endpoint, say) should share one through
// Config.LoginThrottle; apart, each would grant an attacker its own budget.
//
// The zero value is ready to use in Config.LoginThrottle: an in-process
// counter and DefaultLoginWindow.
type LoginThrottle struct {
	once    sync.Once
	counter AttemptCounter
	window  time.Duration

	// mu guards changed, closed and replaced whenever a check ends so that
	// attempts of this process waiting for a free place look again at once.
	mu      sync.Mutex
	changed chan struct{}
}

// NewLoginThrottle returns an empty in-process throttle whose first lockout
// lasts window; zero or less means DefaultLoginWindow.
func NewLoginThrottle(window time.Duration) *LoginThrottle {
	return NewLoginThrottleWithCounter(NewMemoryAttemptCounter(), window)
}

// NewLoginThrottleWithCounter returns a throttle keeping its counts in c,
// which instances may share; window as for NewLoginThrottle. A nil c
// selects the in-process counter.
func NewLoginThrottleWithCounter(c AttemptCounter, window time.Duration) *LoginThrottle {
	return (&LoginThrottle{counter: c, window: window}).ready()
}

// throttleKey is one thing failures are counted for, with its limit.
// client marks the keys a success clears: those of the client that just
// proved it knows the password. The account-wide and per-address keys
// count everybody's failures, and one client's success says nothing about
// the others'. reason is the key's kind as security events name it (see
// the reason constants), kept beside id because id is a hash.
type throttleKey struct {
	id     string
	limit  int
	client bool
	reason string
}

// Key kinds. Keys are hashed: they bound the length of whatever a client
// sends (a proxy-set address has no length limit), keep login names and
// addresses out of a shared store, and make the parts unambiguous.
const (
	keyDevice        = "device"  // account and device nonce
	keyAccountClient = "client"  // account and client address
	keyAccount       = "account" // account, untrusted clients only
	keyAddress       = "address" // client address, all accounts
)

// The key kinds as Event.Reason names them on EventLoginThrottled and
// EventLockout. They differ from the kinds above, which are part of the
// stored key IDs and cannot be renamed without forgetting every count in a
// shared counter.
const (
	reasonDevice        = "device"
	reasonAccountClient = "account_client"
	reasonAccount       = "account"
	reasonAddress       = "address"
)

// lockStart is a lockout that a failure began: the key kind (a reason
// constant) and the lock's length.
type lockStart struct {
	reason string
	length time.Duration
}

func throttleKeyID(kind string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return "gqljwt:login:" + kind + ":" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18])
}

// The counters of one key: failures remembered, checks under way, the lock
// and the lockout level that sets its length.
func failKey(id string) string  { return id + ":fail" }
func busyKey(id string) string  { return id + ":busy" }
func lockKey(id string) string  { return id + ":lock" }
func levelKey(id string) string { return id + ":level" }

// lockoutPolicy is what a Service's configuration says about lockouts; the
// first lockout's length is the throttle's window, which Services sharing
// the throttle share.
type lockoutPolicy struct {
	now        func() time.Time
	maxLockout time.Duration
}

// admission is an attempt allowed to check a password: it holds a place on
// each of its keys until succeeded, failed or abandoned gives them back.
type admission struct {
	t    *LoginThrottle
	p    lockoutPolicy
	keys []throttleKey
	ak   []AttemptKey
}

// errThrottle wraps counter failures: the answer is AUTH_UNAVAILABLE.
func errThrottle(err error) error { return ErrUnavailable.WithCause(err) }

// batcher is the throttle's counter as an AttemptBatcher: itself when it
// batches, its per-key calls otherwise.
func (t *LoginThrottle) batcher() AttemptBatcher {
	if b, ok := t.counter.(AttemptBatcher); ok {
		return b
	}
	return struct {
		AttemptCounter
		stepwise
	}{t.counter, stepwise{t.counter}}
}

// lifetimes are the lifetimes of the throttle's counts under p.
func (a *admission) lifetimes() AttemptLifetimes {
	return AttemptLifetimes{Busy: busyTTL, Remember: a.p.maxLockout, Window: a.t.window}
}

// admit waits until every key has room for one more check and takes it, or
// refuses: TOO_MANY_ATTEMPTS when a key is locked or full of failures (or
// stayed busy for maxAdmissionWait), AUTH_UNAVAILABLE when the counter
// fails or ctx ends. Keys with a limit of zero or less are not counted.
// On TOO_MANY_ATTEMPTS, by is the reason of the key refusing: the one
// whose lock RetryAfter waits for, the one full of failures, or the one
// still busy at the deadline.
func (t *LoginThrottle) admit(ctx context.Context, p lockoutPolicy, keys []throttleKey) (a *admission, by string, err error) {
	a = &admission{t: t, p: p}
	for _, k := range keys {
		if k.limit > 0 {
			a.keys = append(a.keys, k)
			a.ak = append(a.ak, AttemptKey{ID: k.id, Limit: int64(k.limit), Client: k.client})
		}
	}
	if len(a.keys) == 0 {
		return a, "", nil
	}
	deadline := time.NewTimer(maxAdmissionWait)
	defer deadline.Stop()
	b, l := t.batcher(), a.lifetimes()
	for {
		changed := t.watch()
		now := p.now()
		admitted, states, err := b.Admit(ctx, a.ak, now, l)
		if err != nil {
			return nil, "", errThrottle(err)
		}
		if admitted {
			return a, "", nil
		}
		retry, by := a.refusal(states, now)
		if retry > 0 {
			return nil, by, tooManyAttempts(retry)
		}
		poll := time.NewTimer(admissionPoll)
		select {
		case <-changed:
		case <-poll.C:
		case <-deadline.C:
			poll.Stop()
			return nil, by, tooManyAttempts(busyRetryAfter)
		case <-ctx.Done():
			poll.Stop()
			return nil, "", errThrottle(ctx.Err())
		}
		poll.Stop()
	}
}

// refusal reads the states of a refused Admit: how long to retry after
// when a key is locked (the longest lock) or holds its limit of failures
// (between the failure that filled it and its lock: the lock is about to
// be set, or setting it failed; either way the key is exhausted, for
// about a first lockout), zero when keys are only busy (the attempt
// waits); by is the reason of the key deciding.
func (a *admission) refusal(states []AttemptState, now time.Time) (retry time.Duration, by string) {
	var busyBy, fullBy string
	for i, st := range states {
		if i >= len(a.keys) {
			break
		}
		k, limit := a.keys[i], int64(a.keys[i].limit)
		switch {
		case !st.LockedUntil.IsZero():
			if d := st.LockedUntil.Sub(now); d > retry {
				retry, by = d, k.reason
			}
		case st.Failures >= limit && fullBy == "":
			fullBy = k.reason
		case st.Failures+st.Busy >= limit && busyBy == "":
			busyBy = k.reason
		}
	}
	switch {
	case fullBy != "" && a.t.window > retry:
		return max(a.t.window, time.Second), fullBy
	case by != "":
		return max(retry, time.Second), by
	}
	return 0, busyBy
}

// end gives back every place after a check, counting outcome, and wakes
// the waiters. It returns the lockouts the check began.
func (a *admission) end(ctx context.Context, outcome AttemptOutcome) ([]lockStart, error) {
	if len(a.keys) == 0 {
		return nil, nil
	}
	locks, err := a.t.batcher().Finish(ctx, a.ak, outcome, a.p.now(), a.lifetimes())
	a.t.notify()
	var started []lockStart
	for i, d := range locks {
		if d > 0 && i < len(a.keys) {
			started = append(started, lockStart{reason: a.keys[i].reason, length: d})
		}
	}
	if err != nil {
		return started, errThrottle(err)
	}
	return started, nil
}

// succeeded ends a check whose password was right: the places are given
// back, the client's own failures and lockout level are forgotten, and
// its failures are taken back from the shared keys (the account's and the
// address's): they were the owner's typos, not guesses, and left there
// they would add up to a lockout of everyone.
func (a *admission) succeeded(ctx context.Context) error {
	_, err := a.end(ctx, AttemptSucceeded)
	return err
}

// failed ends a check whose credentials were wrong: the failure is counted
// on every key, before the place is given back, and a key it fills is
// locked. It returns the lockouts it began, for the security events, even
// when the counter failed on another key: those locks hold.
func (a *admission) failed(ctx context.Context) ([]lockStart, error) {
	return a.end(ctx, AttemptFailed)
}

// abandoned ends a check that could not be made (a store failed): nothing
// is counted, the places are given back.
func (a *admission) abandoned(ctx context.Context) {
	_, _ = a.end(ctx, AttemptAbandoned)
}

// lockoutDuration is the length of lockout number level: base doubled
// level-1 times, at most ceiling.
func lockoutDuration(base, ceiling time.Duration, level int64) time.Duration {
	d := base
	for i := int64(1); i < level && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

// ready fills in what a zero LoginThrottle lacks.
func (t *LoginThrottle) ready() *LoginThrottle {
	t.once.Do(func() {
		if t.counter == nil {
			t.counter = NewMemoryAttemptCounter()
		}
		if t.window <= 0 {
			t.window = DefaultLoginWindow
		}
		if t.changed == nil {
			t.changed = make(chan struct{})
		}
	})
	return t
}

// watch returns a channel closed at the next change.
func (t *LoginThrottle) watch() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.changed
}

// notify wakes the attempts waiting in this process.
func (t *LoginThrottle) notify() {
	t.mu.Lock()
	defer t.mu.Unlock()
	close(t.changed)
	t.changed = make(chan struct{})
}

// loginKeys are the keys a login attempt on account is counted on. With a
// valid device cookie only the device's: the device has proved a past
// login, and keeping it off the shared keys is what stops an attacker from
// locking the owner out. Otherwise the (account, address) pair, the
// account as a whole (against guesses spread over many addresses) and the
// address (against one address trying many accounts). A login without a
// recorded request has no address: the per-address key would be one for
// all such logins and let anyone lock everyone out, so it is left out, and
// these logins count as one client of each account.
func (s *Service) loginKeys(ctx context.Context, account string, now time.Time) []throttleKey {
	if nonce, ok := s.trustedDevice(ctx, account, now); ok {
		return []throttleKey{{id: throttleKeyID(keyDevice, account, nonce), limit: s.cfg.MaxLoginFailures, client: true, reason: reasonDevice}}
	}
	addr := throttleAddr(ClientAddr(ctx))
	keys := []throttleKey{
		{id: throttleKeyID(keyAccountClient, account, addr), limit: s.cfg.MaxLoginFailures, client: true, reason: reasonAccountClient},
		{id: throttleKeyID(keyAccount, account), limit: s.cfg.MaxAccountFailures, reason: reasonAccount},
	}
	if addr != "" {
		keys = append(keys, throttleKey{id: throttleKeyID(keyAddress, addr), limit: s.cfg.MaxAddressFailures, reason: reasonAddress})
	}
	return keys
}

// lockoutPolicy returns the Service's lockout settings for its throttle.
func (s *Service) lockoutPolicy() lockoutPolicy {
	return lockoutPolicy{now: s.cfg.Now, maxLockout: s.cfg.MaxLockout}
}

// throttleAddr is the address failures are counted for: the address
// itself for IPv4, its /64 network for IPv6, where one subscriber is
// usually given a whole /64 and could otherwise use a new address for
// every guess.
func throttleAddr(addr string) string {
	ip, err := netip.ParseAddr(addr)
	switch {
	case err != nil:
		return addr
	case ip.Is4In6():
		return ip.Unmap().String() // one IPv4 client, however written
	case ip.Is4():
		return addr
	}
	p, err := ip.WithZone("").Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}
