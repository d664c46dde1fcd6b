package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

// AttemptCounter checks a gqljwt.AttemptCounter against its contract,
// judging expiry by the now each call is given (the suite's clock). A
// counter that keeps time itself must answer by that now too, keeping its
// own expiry for reclaiming memory only, or these checks would need
// sleeps. newCounter returns an empty counter.
func AttemptCounter(t *testing.T, newCounter func(t *testing.T, clock func() time.Time) gqljwt.AttemptCounter) {
	ctx := context.Background()
	run := func(name string, check func(t *testing.T, c gqljwt.AttemptCounter, clk *clock)) {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			check(t, newCounter(t, clk.now), clk)
		})
	}
	inc := func(t *testing.T, c gqljwt.AttemptCounter, key string, delta int64, now time.Time, ttl time.Duration, want int64) {
		t.Helper()
		n, err := c.Increment(ctx, key, delta, now, ttl)
		if err != nil || n != want {
			t.Fatalf("Increment(%s, %d) = %d, %v; want %d", key, delta, n, err, want)
		}
	}
	get := func(t *testing.T, c gqljwt.AttemptCounter, key string, now time.Time, want int64, wantExpires time.Time) {
		t.Helper()
		n, exp, err := c.Get(ctx, key, now)
		if err != nil || n != want || !closeTo(exp, wantExpires) {
			t.Fatalf("Get(%s) at %s = %d, %s, %v; want %d, %s", key, now, n, exp, err, want, wantExpires)
		}
	}
	const ttl = time.Minute

	run("Counts", func(t *testing.T, c gqljwt.AttemptCounter, clk *clock) {
		now := clk.now()
		get(t, c, "k", now, 0, time.Time{})
		inc(t, c, "k", 1, now, ttl, 1)
		inc(t, c, "k", 2, now, ttl, 3)
		inc(t, c, "k", -1, now, ttl, 2)
		inc(t, c, "k", 0, now, ttl, 2)
		get(t, c, "k", now, 2, now.Add(ttl))
		get(t, c, "other", now, 0, time.Time{})
		if err := c.Reset(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		get(t, c, "k", now, 0, time.Time{})
		if err := c.Reset(ctx, "absent"); err != nil {
			t.Errorf("Reset of an absent key: %v", err)
		}
	})
	run("ExpiryByNow", func(t *testing.T, c gqljwt.AttemptCounter, clk *clock) {
		t0 := clk.now() // years before the wall clock
		inc(t, c, "k", 4, t0, ttl, 4)
		get(t, c, "k", t0.Add(ttl-time.Second), 4, t0.Add(ttl))
		get(t, c, "k", t0.Add(ttl), 0, time.Time{})
		inc(t, c, "k", 1, t0.Add(ttl), ttl, 1) // counts from zero again
	})
	run("IncrementRenews", func(t *testing.T, c gqljwt.AttemptCounter, clk *clock) {
		t0 := clk.now()
		inc(t, c, "k", 1, t0, ttl, 1)
		inc(t, c, "k", 1, t0.Add(50*time.Second), ttl, 2)
		get(t, c, "k", t0.Add(90*time.Second), 2, t0.Add(50*time.Second+ttl))
	})
	run("Concurrent", func(t *testing.T, c gqljwt.AttemptCounter, clk *clock) {
		now := clk.now()
		got, errs := make([]int64, goroutines), make([]error, goroutines)
		parallel(goroutines, func(i int) { got[i], errs[i] = c.Increment(ctx, "k", 1, now, ttl) })
		for i, err := range errs {
			if err != nil {
				t.Fatalf("increment %d: %v", i, err)
			}
		}
		slices.Sort(got)
		for i, n := range got {
			if n != int64(i)+1 {
				t.Fatalf("%d concurrent increments returned %v, want each of 1 to %d once", goroutines, got, goroutines)
			}
		}
		get(t, c, "k", now, goroutines, now.Add(ttl))
	})
	t.Run("Batch", func(t *testing.T) {
		if _, ok := newCounter(t, newClock().now).(gqljwt.AttemptBatcher); !ok {
			t.Skip("the counter does not implement gqljwt.AttemptBatcher")
		}
		attemptBatcher(t, func(t *testing.T, clock func() time.Time) gqljwt.AttemptBatcher {
			return newCounter(t, clock).(gqljwt.AttemptBatcher)
		})
	})
}

// attemptBatcher checks the steps of a gqljwt.AttemptBatcher. The keys
// of one attempt are apart (on Redis Cluster, in different slots).
func attemptBatcher(t *testing.T, newBatcher func(t *testing.T, clock func() time.Time) gqljwt.AttemptBatcher) {
	ctx := context.Background()
	l := gqljwt.AttemptLifetimes{Busy: time.Minute, Remember: time.Hour, Window: 10 * time.Minute}
	run := func(name string, check func(t *testing.T, b gqljwt.AttemptBatcher, t0 time.Time)) {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			check(t, newBatcher(t, clk.now), clk.now())
		})
	}
	key := func(id string, limit int64, client bool) gqljwt.AttemptKey {
		return gqljwt.AttemptKey{ID: id, Limit: limit, Client: client}
	}
	admit := func(t *testing.T, b gqljwt.AttemptBatcher, now time.Time, want bool, keys ...gqljwt.AttemptKey) []gqljwt.AttemptState {
		t.Helper()
		ok, states, err := b.Admit(ctx, keys, now, l)
		if err != nil || ok != want || !ok && len(states) != len(keys) {
			t.Fatalf("Admit(%v) = %v, %v, %v; want %v and a state per key when refused", keys, ok, states, err, want)
		}
		return states
	}
	finish := func(t *testing.T, b gqljwt.AttemptBatcher, now time.Time, o gqljwt.AttemptOutcome, keys ...gqljwt.AttemptKey) []time.Duration {
		t.Helper()
		locks, err := b.Finish(ctx, keys, o, now, l)
		if err != nil || len(locks) != len(keys) {
			t.Fatalf("Finish(%v, %d) = %v, %v; want a length per key", keys, o, locks, err)
		}
		return locks
	}
	// failures reads a key's failures: a limit of one refuses any.
	failures := func(t *testing.T, b gqljwt.AttemptBatcher, now time.Time, id string) int64 {
		t.Helper()
		ok, states, err := b.Admit(ctx, []gqljwt.AttemptKey{key(id, 1, false)}, now, l)
		switch {
		case err != nil:
			t.Fatal(err)
		case ok:
			finish(t, b, now, gqljwt.AttemptAbandoned, key(id, 1, false))
			return 0
		}
		return states[0].Failures
	}

	run("PlacesUpToLimit", func(t *testing.T, b gqljwt.AttemptBatcher, t0 time.Time) {
		k := key("k", 3, true)
		for range 3 {
			admit(t, b, t0, true, k)
		}
		st := admit(t, b, t0, false, k)
		if st[0] != (gqljwt.AttemptState{Busy: 3}) {
			t.Fatalf("a full key's state = %+v, want 3 under way", st[0])
		}
		finish(t, b, t0, gqljwt.AttemptAbandoned, k)
		admit(t, b, t0, true, k)
		// A place left by a process that died is given back at l.Busy.
		admit(t, b, t0.Add(l.Busy), true, k)
	})
	run("AllOrNothing", func(t *testing.T, b gqljwt.AttemptBatcher, t0 time.Time) {
		a, c := key("a", 1, true), key("c", 1, false)
		admit(t, b, t0, true, c)
		st := admit(t, b, t0, false, a, c)
		if st[1].Busy != 1 {
			t.Fatalf("states = %+v, want c's check under way", st)
		}
		admit(t, b, t0, true, a) // a's place was given back
	})
	run("FailuresLockout", func(t *testing.T, b gqljwt.AttemptBatcher, t0 time.Time) {
		k, wide := key("k", 2, true), key("wide", 100, false)
		fail := func(now time.Time) []time.Duration {
			admit(t, b, now, true, k, wide)
			return finish(t, b, now, gqljwt.AttemptFailed, k, wide)
		}
		if locks := fail(t0); !slices.Equal(locks, []time.Duration{0, 0}) {
			t.Fatalf("first failure began lockouts %v", locks)
		}
		if locks := fail(t0); !slices.Equal(locks, []time.Duration{l.Window, 0}) {
			t.Fatalf("second failure of 2 began lockouts %v, want %v on k", locks, l.Window)
		}
		st := admit(t, b, t0.Add(time.Second), false, k, wide)
		if !closeTo(st[0].LockedUntil, t0.Add(l.Window)) || !st[1].LockedUntil.IsZero() {
			t.Fatalf("states while locked = %+v, want k locked until %s", st, t0.Add(l.Window))
		}
		if n := failures(t, b, t0, "wide"); n != 2 {
			t.Fatalf("wide holds %d failures, want 2", n)
		}
		// The lockout cleared k's failures; the next one doubles.
		t1 := t0.Add(l.Window)
		fail(t1)
		if locks := fail(t1); !slices.Equal(locks, []time.Duration{2 * l.Window, 0}) {
			t.Fatalf("second lockout %v, want %v", locks, 2*l.Window)
		}
		// The level is forgotten l.Remember after the lockout ends.
		t2 := t1.Add(2*l.Window + l.Remember)
		fail(t2)
		if locks := fail(t2); !slices.Equal(locks, []time.Duration{l.Window, 0}) {
			t.Fatalf("lockout after the level expired %v, want %v", locks, l.Window)
		}
		// Failures are forgotten l.Remember after the last.
		if n := failures(t, b, t2.Add(l.Remember), "wide"); n != 0 {
			t.Fatalf("wide holds %d failures after l.Remember, want 0", n)
		}
	})
	run("FullOfFailures", func(t *testing.T, b gqljwt.AttemptBatcher, t0 time.Time) {
		k := key("k", 2, false)
		admit(t, b, t0, true, k)
		finish(t, b, t0, gqljwt.AttemptFailed, k)
		admit(t, b, t0, true, k)
		finish(t, b, t0, gqljwt.AttemptFailed, k) // locks k, clears its failures
		// A key at its limit refuses even without a lock (as between the
		// failure that filled it and its lock).
		high := key("k", 1, false)
		admit(t, b, t0.Add(l.Window), true, high)
		finish(t, b, t0.Add(l.Window), gqljwt.AttemptFailed, key("k", 5, false))
		if st := admit(t, b, t0.Add(l.Window), false, high); st[0].Failures != 1 || !st[0].LockedUntil.IsZero() {
			t.Fatalf("state = %+v, want 1 failure, no lock", st[0])
		}
	})
	run("SuccessClearsTheClient", func(t *testing.T, b gqljwt.AttemptBatcher, t0 time.Time) {
		own, other, shared := key("own", 5, true), key("other", 5, true), key("shared", 10, false)
		for _, c := range []gqljwt.AttemptKey{own, own, other} {
			admit(t, b, t0, true, c, shared)
			finish(t, b, t0, gqljwt.AttemptFailed, c, shared)
		}
		admit(t, b, t0, true, own, shared)
		finish(t, b, t0, gqljwt.AttemptSucceeded, own, shared)
		for id, want := range map[string]int64{"own": 0, "other": 1, "shared": 1} {
			if n := failures(t, b, t0, id); n != want {
				t.Errorf("%s holds %d failures after own's success, want %d", id, n, want)
			}
		}
		// Never below zero: a success of other takes back 1 of 1.
		admit(t, b, t0, true, other, shared)
		finish(t, b, t0, gqljwt.AttemptSucceeded, other, shared)
		if n := failures(t, b, t0, "shared"); n != 0 {
			t.Errorf("shared holds %d failures, want 0", n)
		}
	})
	run("ConcurrentAdmit", func(t *testing.T, b gqljwt.AttemptBatcher, t0 time.Time) {
		const limit = 5
		k, other := key("k", limit, true), key("other", goroutines, false)
		ok, errs := make([]bool, goroutines), make([]error, goroutines)
		parallel(goroutines, func(i int) { ok[i], _, errs[i] = b.Admit(ctx, []gqljwt.AttemptKey{other, k}, t0, l) })
		in := 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("admit %d: %v", i, err)
			}
			if ok[i] {
				in++
			}
		}
		if in != limit {
			t.Fatalf("%d concurrent attempts on a key of limit %d: %d admitted", goroutines, limit, in)
		}
		// The refused gave their places on other back: limit are left.
		if st := admit(t, b, t0, false, key("other", limit, false)); st[0].Busy != limit {
			t.Fatalf("other has %d checks under way, want %d", st[0].Busy, limit)
		}
	})
}

// closeTo reports whether a and b are within a second of each other (a
// backend may keep deadlines in seconds), or both zero.
func closeTo(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() == b.IsZero()
	}
	d := a.Sub(b)
	return d > -time.Second && d < time.Second
}
