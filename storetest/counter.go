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
