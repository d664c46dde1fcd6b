package gqljwt_test

import (
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/storetest"
)

// TestMemoryRevocationsConformance runs the RevocationStore contract
// against the in-process store New uses by default.
func TestMemoryRevocationsConformance(t *testing.T) {
	storetest.RevocationStore(t, func(_ *testing.T, clock func() time.Time) gqljwt.RevocationStore {
		return gqljwt.NewMemoryRevocationsAt(clock)
	})
}

// TestMemoryAttemptCounterConformance runs the AttemptCounter contract
// against the in-process counter NewLoginThrottle uses.
func TestMemoryAttemptCounterConformance(t *testing.T) {
	storetest.AttemptCounter(t, func(*testing.T, func() time.Time) gqljwt.AttemptCounter {
		return gqljwt.NewMemoryAttemptCounter()
	})
}

// TestMemoryRevocationsExpire: beyond the contract, the in-process store
// forgets an entry once its deadline has passed by its clock, so it holds
// no more than the tokens still alive.
func TestMemoryRevocationsExpire(t *testing.T) {
	c := newClock()
	s := gqljwt.NewMemoryRevocationsAt(c.Now)
	if err := s.RevokeToken(ctx, "jti", c.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "past", c.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	for _, key := range []string{"jti", "past"} {
		if revoked, err := s.IsRevoked(ctx, key, ""); revoked || err != nil {
			t.Errorf("IsRevoked(%s) after its deadline = %v, %v", key, revoked, err)
		}
	}
}

// TestMemoryStatesConformance runs the StateStore contract against the
// in-process store OAuth2 uses by default.
func TestMemoryStatesConformance(t *testing.T) {
	storetest.StateStore(t, func(*testing.T) gqljwt.StateStore { return gqljwt.NewMemoryStates() })
}
