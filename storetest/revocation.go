package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

// RevocationStore checks a gqljwt.RevocationStore against its contract.
// newStore returns an empty store keeping time by clock.
func RevocationStore(t *testing.T, newStore func(t *testing.T, clock func() time.Time) gqljwt.RevocationStore) {
	ctx := context.Background()
	run := func(name string, check func(t *testing.T, s gqljwt.RevocationStore, c *clock)) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			check(t, newStore(t, c.now), c)
		})
	}
	is := func(t *testing.T, s gqljwt.RevocationStore, key string, want bool) {
		t.Helper()
		got, err := s.IsRevoked(ctx, key, "")
		if err != nil {
			t.Fatalf("IsRevoked(%s): %v", key, err)
		}
		if got != want {
			t.Errorf("IsRevoked(%s) = %v, want %v", key, got, want)
		}
	}
	revoke := func(t *testing.T, s gqljwt.RevocationStore, key string, until time.Time) {
		t.Helper()
		if err := s.RevokeToken(ctx, key, until); err != nil {
			t.Fatalf("RevokeToken(%s): %v", key, err)
		}
	}

	run("Revoke", func(t *testing.T, s gqljwt.RevocationStore, c *clock) {
		is(t, s, "jti-1", false)
		revoke(t, s, "jti-1", c.now().Add(time.Hour))
		is(t, s, "jti-1", true)
		is(t, s, "jti-2", false)
		// Session entries share the store under their own prefix, and
		// one call answers for a token and its session.
		revoke(t, s, "sid:jti-2", c.now().Add(time.Hour))
		is(t, s, "jti-2", false)
		is(t, s, "sid:jti-2", true)
		both := func(tokenID, sessionKey string, want bool) {
			t.Helper()
			if got, err := s.IsRevoked(ctx, tokenID, sessionKey); err != nil || got != want {
				t.Errorf("IsRevoked(%s, %s) = %v, %v, want %v", tokenID, sessionKey, got, err, want)
			}
		}
		both("jti-2", "sid:jti-2", true) // the session's entry
		both("jti-1", "sid:none", true)  // the token's
		both("jti-3", "sid:none", false)
		both("jti-3", "", false)
	})
	run("KeptUntilDeadline", func(t *testing.T, s gqljwt.RevocationStore, c *clock) {
		// The clock is years behind the wall clock: a store judging until
		// by the wall clock drops the entry at once.
		revoke(t, s, "jti-1", c.now().Add(time.Hour))
		c.advance(time.Hour - time.Second)
		is(t, s, "jti-1", true)
	})
	run("LaterDeadlineWins", func(t *testing.T, s gqljwt.RevocationStore, c *clock) {
		revoke(t, s, "long", c.now().Add(time.Hour))
		revoke(t, s, "long", c.now().Add(time.Minute)) // must not shorten it
		revoke(t, s, "extended", c.now().Add(time.Minute))
		revoke(t, s, "extended", c.now().Add(time.Hour))
		c.advance(30 * time.Minute)
		is(t, s, "long", true)
		is(t, s, "extended", true)
	})
	run("Concurrent", func(t *testing.T, s gqljwt.RevocationStore, c *clock) {
		errs := make([]error, goroutines)
		parallel(goroutines, func(i int) {
			key := fmt.Sprintf("jti-%d", (i/2)%10)
			if i%2 == 0 {
				errs[i] = s.RevokeToken(ctx, key, c.now().Add(time.Duration(i+1)*time.Minute))
			} else {
				_, errs[i] = s.IsRevoked(ctx, key, "sid:"+key)
			}
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		// Each key's last deadline is over 80 min away, its first a few:
		// whatever order they came in, the latest holds.
		c.advance(30 * time.Minute)
		for i := range 10 {
			is(t, s, fmt.Sprintf("jti-%d", i), true)
		}
	})
}
