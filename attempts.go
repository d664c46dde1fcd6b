package gqljwt

import (
	"context"
	"errors"
	"time"
)

// AttemptBatcher is an AttemptCounter that takes each step of a login
// attempt over all of the attempt's keys at once: Admit before the
// password is checked, Finish after. A counter across a network (Redis)
// implements it to answer each step in one round trip instead of one per
// key and per count; LoginThrottle uses it whenever its counter implements
// it, and otherwise makes the same steps from Increment, Get and Reset.
//
// A key's counts are its failures, its checks under way, its lock and its
// lockout level; how a batcher stores them is its own, but the throttle
// keeps using one counter for a key, so a batcher need not see the counts
// the per-key methods make. Every count is judged at the now given
// (Config.Now), as for AttemptCounter, with the lifetimes of l. Each step
// is atomic for each key, with respect to every other step on that key; a
// step over several keys need not be atomic across them (a batcher on
// Redis Cluster may split it by slot). An error makes the login answer
// AUTH_UNAVAILABLE.
type AttemptBatcher interface {
	AttemptCounter
	// Admit takes a place for one more check on every key, or on none.
	// A key has room when it is not locked at now and its failures plus
	// its checks under way are below its Limit. When every key has room,
	// each key's checks under way grow by one, to live l.Busy from now,
	// and admitted is true. Otherwise admitted is false, states holds
	// each key's counts as they were read, and once Admit returns no
	// count has changed: a batcher that took places on some keys before
	// finding another full gives them back before it returns.
	Admit(ctx context.Context, keys []AttemptKey, now time.Time, l AttemptLifetimes) (admitted bool, states []AttemptState, err error)
	// Finish ends a check that Admit let in, on the same keys: it gives
	// back each key's place (checks under way shrink by one, to live
	// l.Busy from now) after counting what outcome says.
	//
	// AttemptSucceeded: the Client keys' failures and lockout levels are
	// removed, and the failures of the others are lowered by the most
	// failures any Client key held (never below zero, to live l.Remember
	// from now), read before the others change: they were the owner's
	// typos. AttemptFailed: every key's failures grow by one, to live
	// l.Remember from now; a key whose failures reach its Limit while it
	// is not locked starts a lockout: its level grows by one, it is locked
	// for LockoutLength(l, level) from now, its level then lives that long
	// plus l.Remember, and its failures are removed; locks[i] is that
	// length for key i, zero when key i began none. AttemptAbandoned:
	// nothing is counted.
	Finish(ctx context.Context, keys []AttemptKey, outcome AttemptOutcome, now time.Time, l AttemptLifetimes) (locks []time.Duration, err error)
}

// AttemptKey is one key of a login attempt as an AttemptBatcher sees it.
type AttemptKey struct {
	// ID names the key: a hash, at most 64 bytes.
	ID string
	// Limit is the failures the key may hold, more than zero.
	Limit int64
	// Client marks a key of the client itself, which a success clears.
	Client bool
}

// AttemptState is what Admit read of a key it found without room.
type AttemptState struct {
	Failures int64 // failures remembered
	Busy     int64 // checks under way, the refused one not counted
	// LockedUntil is when the key's lock ends; zero when it is not
	// locked.
	LockedUntil time.Time
}

// AttemptLifetimes are how long the counts of an AttemptBatcher live.
type AttemptLifetimes struct {
	// Busy bounds how long a count of checks under way outlives its last
	// change: it was left by a process that died mid-check.
	Busy time.Duration
	// Remember is how long failures and lockout levels are remembered,
	// and the longest lockout (Config.MaxLockout).
	Remember time.Duration
	// Window is the first lockout's length (the throttle's window).
	Window time.Duration
}

// LockoutLength is the length of lockout number level: l.Window doubled
// level-1 times, at most l.Remember.
func LockoutLength(l AttemptLifetimes, level int64) time.Duration {
	return lockoutDuration(l.Window, l.Remember, level)
}

// AttemptOutcome is how a check that Admit let in ended.
type AttemptOutcome int

// The outcomes of a check, for AttemptBatcher.Finish.
const (
	// AttemptAbandoned: the check could not be made (a store failed);
	// nothing is counted.
	AttemptAbandoned AttemptOutcome = iota
	// AttemptSucceeded: the password was right.
	AttemptSucceeded
	// AttemptFailed: the credentials were wrong.
	AttemptFailed
)

// stepwise makes the steps of an AttemptBatcher from an AttemptCounter's
// per-key calls, for counters that do not batch, and for the in-process
// counter under its lock. Without that lock the steps are not atomic,
// and the order of the calls is what bounds the checks: a place is taken
// before the failures are read, and a failed check counts its failure
// before it gives its place back. So whichever of two overlapping
// attempts takes its place later sees the other, under way or failed;
// and with the limit reached, no later attempt gets in. A lock is read
// after the failures because a lockout sets the lock before it clears
// them.
type stepwise struct{ c AttemptCounter }

func (s stepwise) Admit(ctx context.Context, keys []AttemptKey, now time.Time, l AttemptLifetimes) (bool, []AttemptState, error) {
	// A locked key refuses before anything is counted: an attacker
	// hammering a locked account moves no counter.
	states, locked := make([]AttemptState, len(keys)), false
	for i, k := range keys {
		n, exp, err := s.c.Get(ctx, lockKey(k.ID), now)
		if err != nil {
			return false, nil, err
		}
		if n > 0 {
			states[i].LockedUntil, locked = exp, true
		}
	}
	if locked {
		return false, states, nil
	}
	for i, k := range keys {
		busy, err := s.c.Increment(ctx, busyKey(k.ID), 1, now, l.Busy)
		if err != nil {
			return false, nil, s.undo(ctx, keys[:i], now, l, err)
		}
		fails, _, err := s.c.Get(ctx, failKey(k.ID), now)
		if err != nil {
			return false, nil, s.undo(ctx, keys[:i+1], now, l, err)
		}
		locks, lockExp, err := s.c.Get(ctx, lockKey(k.ID), now)
		if err != nil {
			return false, nil, s.undo(ctx, keys[:i+1], now, l, err)
		}
		states[i] = AttemptState{Failures: fails, Busy: busy - 1}
		if locks > 0 {
			states[i].LockedUntil = lockExp
		}
		if locks > 0 || fails+busy > k.Limit {
			if err := s.undo(ctx, keys[:i+1], now, l, nil); err != nil {
				return false, nil, err
			}
			// The later keys' locks count for the retry time too.
			for j := i + 1; j < len(keys); j++ {
				n, exp, err := s.c.Get(ctx, lockKey(keys[j].ID), now)
				if err != nil {
					return false, nil, err
				}
				if n > 0 {
					states[j].LockedUntil = exp
				}
			}
			return false, states, nil
		}
	}
	return true, nil, nil
}

// undo gives back the places taken on keys, returning cause or the
// counter's error.
func (s stepwise) undo(ctx context.Context, keys []AttemptKey, now time.Time, l AttemptLifetimes, cause error) error {
	for _, k := range keys {
		if _, err := s.c.Increment(ctx, busyKey(k.ID), -1, now, l.Busy); err != nil && cause == nil {
			cause = err
		}
	}
	return cause
}

func (s stepwise) Finish(ctx context.Context, keys []AttemptKey, outcome AttemptOutcome, now time.Time, l AttemptLifetimes) ([]time.Duration, error) {
	var (
		errs  []error
		locks = make([]time.Duration, len(keys))
	)
	switch outcome {
	case AttemptSucceeded:
		var own int64
		for _, k := range keys {
			if !k.Client {
				continue
			}
			n, _, err := s.c.Get(ctx, failKey(k.ID), now)
			own = max(own, n)
			errs = append(errs, err, s.c.Reset(ctx, failKey(k.ID)), s.c.Reset(ctx, levelKey(k.ID)))
		}
		for _, k := range keys {
			if k.Client || own <= 0 {
				continue
			}
			// A lockout may have cleared the shared count since: never
			// take back more than is there.
			n, err := s.c.Increment(ctx, failKey(k.ID), -own, now, l.Remember)
			if err == nil && n < 0 {
				_, err = s.c.Increment(ctx, failKey(k.ID), -n, now, l.Remember)
			}
			errs = append(errs, err)
		}
	case AttemptFailed:
		// The failure is counted before the place is given back (see
		// stepwise).
		for i, k := range keys {
			fails, err := s.c.Increment(ctx, failKey(k.ID), 1, now, l.Remember)
			if err == nil && fails >= k.Limit {
				locks[i], err = s.lock(ctx, k, now, l)
			}
			errs = append(errs, err)
		}
	}
	errs = append(errs, s.undo(ctx, keys, now, l, nil))
	return locks, errors.Join(errs...)
}

// lock starts a lockout of k and returns its length, or zero when k was
// locked already (by a concurrent failure): that lockout was reported by
// the failure that began it. The level is forgotten l.Remember after the
// lockout ends. The lock is set before the failures are cleared, for
// Admit.
func (s stepwise) lock(ctx context.Context, k AttemptKey, now time.Time, l AttemptLifetimes) (time.Duration, error) {
	if n, _, err := s.c.Get(ctx, lockKey(k.ID), now); err != nil || n > 0 {
		return 0, err
	}
	level, err := s.c.Increment(ctx, levelKey(k.ID), 1, now, l.Remember)
	if err != nil {
		return 0, err
	}
	d := LockoutLength(l, level)
	if _, err := s.c.Increment(ctx, levelKey(k.ID), 0, now, d+l.Remember); err != nil {
		return 0, err
	}
	if _, err := s.c.Increment(ctx, lockKey(k.ID), 1, now, d); err != nil {
		return 0, err
	}
	// The lock holds from here on, whether or not the reset works: report it.
	return d, s.c.Reset(ctx, failKey(k.ID))
}
