package redisstore_test

import (
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/internal/redistest"
	"github.com/gqljwt/gqljwt/redisstore"
	"github.com/gqljwt/gqljwt/storetest"
	"github.com/redis/rueidis"
)

// tracked returns a client of addrs relaying its invalidations to a
// Tracking of maxFront answers, closed when the test ends.
func tracked(t *testing.T, maxFront int, addrs ...string) (rueidis.Client, *redisstore.Tracking) {
	t.Helper()
	tr := redisstore.NewTracking(maxFront)
	c, err := tr.NewClient(rueidis.ClientOption{InitAddress: addrs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, tr
}

// TestFrontConformance: with the front cache, the revocation and version
// stores keep their contracts, on a single node and on Redis Cluster.
func TestFrontConformance(t *testing.T) {
	for name, addrs := range map[string]func() []string{
		"node":    func() []string { return []string{startRedis(t).Addr} },
		"cluster": func() []string { return startCluster(t).Addrs },
	} {
		t.Run(name, func(t *testing.T) {
			c, tr := tracked(t, 0, addrs()...)
			front := []redisstore.Option{slow, redisstore.CacheTTL(time.Second), redisstore.Front(tr)}
			t.Run("RevocationStore", func(t *testing.T) {
				storetest.RevocationStore(t, func(_ *testing.T, clock func() time.Time) gqljwt.RevocationStore {
					return redisstore.NewRevocations(c, append(front, prefix(), redisstore.Clock(clock))...)
				})
			})
			t.Run("VersionStore", func(t *testing.T) {
				storetest.VersionStore(t, func(t *testing.T, subjects []string) gqljwt.VersionStore {
					s := redisstore.NewVersions(c, append(front, prefix())...)
					for _, id := range subjects {
						if _, err := s.Add(ctx, id); err != nil {
							t.Fatal(err)
						}
					}
					return s
				})
			})
			if redisstore.FrontLen(tr) == 0 {
				t.Error("the suites ran without the front holding an answer")
			}
		})
	}
}

// TestFrontRevocationSeen: instance B answers from its front; a
// revocation made through instance A is refused by B within 100 ms, and
// by A at once.
func TestFrontRevocationSeen(t *testing.T) {
	s := startRedis(t)
	opt := prefix()
	ca, ta := tracked(t, 0, s.Addr)
	cb, tb := tracked(t, 0, s.Addr)
	a := redisstore.NewRevocations(ca, opt, slow, redisstore.CacheTTL(time.Minute), redisstore.Front(ta))
	b := redisstore.NewRevocations(cb, opt, slow, redisstore.CacheTTL(time.Minute), redisstore.Front(tb))
	for _, st := range []*redisstore.Revocations{a, b, a, b} { // in both fronts now
		if revoked, err := st.IsRevoked(ctx, "jti", "sid:s1"); revoked || err != nil {
			t.Fatalf("IsRevoked before any revocation = %v, %v", revoked, err)
		}
	}
	if redisstore.FrontLen(tb) != 2 {
		t.Fatalf("B's front holds %d answers, want the token's and the session's", redisstore.FrontLen(tb))
	}
	if err := a.RevokeToken(ctx, "sid:s1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if revoked, err := a.IsRevoked(ctx, "jti", "sid:s1"); !revoked || err != nil {
		t.Fatalf("A right after its own revocation: IsRevoked = %v, %v", revoked, err)
	}
	seenWithin100ms(t, b)
}

// TestFrontDroppedOnCut: a store reaching Redis through a proxy holds
// answers in its front; the proxy cuts the connection, the front is
// emptied, and a token revoked meanwhile is never accepted: refused with
// an error while cut off, as revoked once back.
func TestFrontDroppedOnCut(t *testing.T) {
	s := startRedis(t)
	proxy := redistest.NewProxy(t, s.Addr)
	opt := prefix()
	a := redisstore.NewRevocations(s.client(t), opt, slow)
	cb, tb := tracked(t, 0, proxy.Addr)
	b := redisstore.NewRevocations(cb, opt, redisstore.Timeout(200*time.Millisecond), redisstore.CacheTTL(time.Minute), redisstore.Front(tb))
	for range 2 {
		if revoked, err := b.IsRevoked(ctx, "jti", "sid:s1"); revoked || err != nil {
			t.Fatalf("IsRevoked before the cut = %v, %v", revoked, err)
		}
	}
	if redisstore.FrontLen(tb) == 0 {
		t.Fatal("nothing in the front before the cut")
	}
	proxy.Cut()
	deadline := time.Now().Add(5 * time.Second)
	for redisstore.FrontLen(tb) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the front still holds %d answers 5 s after the cut", redisstore.FrontLen(tb))
		}
		time.Sleep(time.Millisecond)
	}
	if err := a.RevokeToken(ctx, "jti", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if revoked, err := b.IsRevoked(ctx, "jti", "sid:s1"); err == nil {
		t.Fatalf("IsRevoked cut off from Redis = %v, nil; want an error", revoked)
	}
	proxy.Restore()
	deadline = time.Now().Add(5 * time.Second)
	for {
		revoked, err := b.IsRevoked(ctx, "jti", "sid:s1")
		if revoked {
			break
		}
		if err == nil || time.Now().After(deadline) {
			t.Fatalf("IsRevoked after reconnecting = %v, %v; want revoked", revoked, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFrontGenerationGuard: an invalidation arriving while a read is in
// flight keeps the read's answer out of the front, so that an answer read
// before a revocation cannot outlive the revocation's push.
func TestFrontGenerationGuard(t *testing.T) {
	s := startRedis(t)
	opt := prefix()
	a := redisstore.NewRevocations(s.client(t), opt, slow)
	cb, tb := tracked(t, 0, s.Addr)
	b := redisstore.NewRevocations(cb, opt, slow, redisstore.CacheTTL(time.Minute), redisstore.Front(tb))
	// The hook revokes the token through A and waits for its push to
	// reach B, between B's read (not revoked) and its storing.
	redisstore.SetInFlight(tb, func() {
		redisstore.SetInFlight(tb, nil)
		if err := a.RevokeToken(ctx, "jti", time.Now().Add(time.Hour)); err != nil {
			t.Error(err)
		}
		// The push reaches rueidis's cache before the front: poll it.
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if r := cb.DoCache(ctx, cb.B().Get().Key(keyOf(opt, "jti")).Cache(), time.Minute); !r.IsCacheHit() {
				return
			}
			time.Sleep(time.Millisecond)
		}
		t.Error("no invalidation within 5 s")
	})
	if revoked, err := b.IsRevoked(ctx, "jti", ""); revoked || err != nil {
		t.Fatalf("IsRevoked read before the revocation = %v, %v", revoked, err)
	}
	if n := redisstore.FrontLen(tb); n != 0 {
		t.Fatalf("the front kept %d answers read before an invalidation", n)
	}
	if revoked, err := b.IsRevoked(ctx, "jti", ""); !revoked || err != nil {
		t.Fatalf("IsRevoked after the revocation = %v, %v; want revoked", revoked, err)
	}
}

// keyOf is the revocation entry of id under the Prefix option opt.
func keyOf(opt redisstore.Option, id string) string {
	return redisstore.KeyOf(opt, id)
}

// TestFrontBounded: the front holds at most its bound, and the answers
// it evicted are read again, right.
func TestFrontBounded(t *testing.T) {
	c, tr := tracked(t, 8, startRedis(t).Addr)
	s := redisstore.NewRevocations(c, prefix(), slow, redisstore.CacheTTL(time.Minute), redisstore.Front(tr))
	if err := s.RevokeToken(ctx, "t03", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		for i := range 50 {
			id := "t" + string(rune('0'+i/10)) + string(rune('0'+i%10))
			revoked, err := s.IsRevoked(ctx, id, "")
			if err != nil || revoked != (id == "t03") {
				t.Fatalf("round %d: IsRevoked(%s) = %v, %v", round, id, revoked, err)
			}
			if n := redisstore.FrontLen(tr); n > 8 {
				t.Fatalf("the front holds %d answers, bound 8", n)
			}
		}
	}
}

// TestFrontOffWithoutClientCache: on a client with DisableCache, which
// Redis does not track, the front stays empty and the answers are
// Redis's.
func TestFrontOffWithoutClientCache(t *testing.T) {
	tr := redisstore.NewTracking(0)
	c, err := tr.NewClient(rueidis.ClientOption{InitAddress: []string{startRedis(t).Addr}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	opt := prefix()
	a := redisstore.NewRevocations(c, opt, slow)
	b := redisstore.NewRevocations(c, opt, slow, redisstore.CacheTTL(time.Minute), redisstore.Front(tr))
	if revoked, err := b.IsRevoked(ctx, "jti", "sid:s1"); revoked || err != nil {
		t.Fatalf("IsRevoked before any revocation = %v, %v", revoked, err)
	}
	if err := a.RevokeToken(ctx, "jti", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if revoked, err := b.IsRevoked(ctx, "jti", "sid:s1"); !revoked || err != nil {
		t.Fatalf("IsRevoked after another store's revocation = %v, %v; want revoked at once", revoked, err)
	}
	if n := redisstore.FrontLen(tr); n != 0 {
		t.Errorf("the front holds %d answers on a client without caching", n)
	}
}
