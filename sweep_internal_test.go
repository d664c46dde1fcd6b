package gqljwt

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt/internal/testclock"
)

// TestMemoryRevocationsSweep: a sweep reclaims the entries past their
// deadline by the store's clock and keeps the others; once the store is
// empty reads take the fast path and no sweep is scheduled, until the next
// revocation schedules one.
func TestMemoryRevocationsSweep(t *testing.T) {
	ctx := context.Background()
	c := testclock.New()
	m := newMemoryRevocations(c.Now)
	revoke := func(key string, d time.Duration) {
		t.Helper()
		if err := m.RevokeToken(ctx, key, c.Now().Add(d)); err != nil {
			t.Fatal(err)
		}
	}
	state := func(step string, wantN int64, wantSweeping bool, want map[[2]string]bool) {
		t.Helper()
		m.mu.Lock()
		n, sweeping := m.n.Load(), m.sweeping
		m.mu.Unlock()
		if n != wantN || sweeping != wantSweeping {
			t.Errorf("%s: %d entries, sweeping %v; want %d, %v", step, n, sweeping, wantN, wantSweeping)
		}
		held := int64(0)
		m.m.Range(func(any, any) bool { held++; return true })
		if held != n {
			t.Errorf("%s: %d entries held, counted %d", step, held, n)
		}
		for keys, w := range want {
			if got, err := m.IsRevoked(ctx, keys[0], keys[1]); got != w || err != nil {
				t.Errorf("%s: IsRevoked(%q, %q) = %v, %v; want %v", step, keys[0], keys[1], got, err, w)
			}
		}
	}
	state("empty", 0, false, map[[2]string]bool{{"jti", "sid:s"}: false})
	revoke("short", time.Minute)
	revoke("long", time.Hour)
	revoke("sid:s", time.Hour)
	revoke("long", time.Minute) // does not shorten it, nor count twice
	revoke("past", -time.Second)
	state("revoked", 3, true, map[[2]string]bool{{"short", ""}: true, {"long", ""}: true, {"x", "sid:s"}: true, {"past", ""}: false})

	c.Advance(2 * time.Minute)
	m.sweep()
	state("short expired", 2, true, map[[2]string]bool{{"short", ""}: false, {"long", ""}: true, {"x", "sid:s"}: true})
	if _, held := m.m.Load("short"); held {
		t.Error("short still held after its deadline and a sweep")
	}

	c.Advance(time.Hour)
	m.sweep()
	state("all expired", 0, false, map[[2]string]bool{{"long", "sid:s"}: false})

	revoke("again", time.Minute)
	state("revoked again", 1, true, map[[2]string]bool{{"again", ""}: true})
}

// TestMemoryRevocationsSweepConcurrent: sweeps, revocations and reads at
// once; run under -race. A key revoked until later than any sweep's clock
// reads as revoked throughout.
func TestMemoryRevocationsSweepConcurrent(t *testing.T) {
	ctx := context.Background()
	c := testclock.New()
	m := newMemoryRevocations(c.Now)
	if err := m.RevokeToken(ctx, "kept", c.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var wrong atomic.Int64
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				switch g {
				case 0:
					m.sweep()
					c.Advance(time.Second)
				case 1:
					_ = m.RevokeToken(ctx, fmt.Sprint("k", i), c.Now().Add(time.Duration(i%5)*time.Second))
				default:
					if revoked, err := m.IsRevoked(ctx, "x", "kept"); !revoked || err != nil {
						wrong.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := wrong.Load(); n > 0 {
		t.Errorf("kept read as not revoked %d times", n)
	}
}
