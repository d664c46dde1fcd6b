package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/internal/testclock"
	"github.com/gqljwt/gqljwt/memstore"
	"golang.org/x/crypto/bcrypt"
)

var ctx = context.Background()

func rec(hash, family, subject string) gqljwt.RefreshRecord {
	now := time.Now()
	return gqljwt.RefreshRecord{Hash: hash, Family: family, Subject: subject, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
}

// TestRefreshTokensRotation: memstore keeps a rotated token for the grace
// of its rotation and forgets it then (gqljwt.ErrNotFound, which the
// Service takes for reuse of its own tokens); without a grace at once.
func TestRefreshTokensRotation(t *testing.T) {
	clock := testclock.New()
	s := memstore.NewRefreshTokens(memstore.Clock(clock.Now))
	if err := s.Create(ctx, rec("h1", "f1", "u1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, rec("h1", "f9", "u9")); err == nil {
		t.Fatal("duplicate hash accepted")
	}
	if err := s.Create(ctx, rec("h9", "f1", "u9")); err == nil {
		t.Fatal("a second session under a live family accepted")
	}
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}
	// The successor inherits family and subject, whatever the caller says.
	const grace = 30 * time.Second
	if err := s.Rotate(ctx, "h1", rec("h2", "other", "other"), clock.Now(), grace); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "h2")
	if err != nil || got.Family != "f1" || got.Subject != "u1" || got.Rotated || got.Revoked {
		t.Fatalf("successor %+v %v", got, err)
	}
	clock.Advance(grace - time.Nanosecond)
	if old, err := s.Get(ctx, "h1"); err != nil || !old.Rotated || old.Revoked {
		t.Fatalf("rotated record within its grace: %+v %v", old, err)
	}
	clock.Advance(time.Nanosecond)
	if old, err := s.Get(ctx, "h1"); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Fatalf("rotated record at the end of its grace: %+v %v, want it forgotten", old, err)
	}
	if err := s.Rotate(ctx, "h1", rec("h3", "", ""), clock.Now(), grace); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Fatalf("rotating a forgotten token: %v", err)
	}
	if got, _ := s.Get(ctx, "h2"); got.Revoked {
		t.Fatalf("the store revoked the session itself: %+v (the Service does, knowing its token)", got)
	}
	// Without a grace the rotated token goes at once.
	if err := s.Rotate(ctx, "h2", rec("h4", "", ""), clock.Now(), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "h2"); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Fatalf("a token rotated without a grace is kept: %v", err)
	}
	// Many rotations later the session is its one live token.
	for i := range 50 {
		clock.Advance(time.Minute)
		old, next := fmt.Sprintf("g%d", i), fmt.Sprintf("g%d", i+1)
		if i == 0 {
			old = "h4"
		}
		if err := s.Rotate(ctx, old, rec(next, "", ""), clock.Now(), grace); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 49 {
		if _, err := s.Get(ctx, fmt.Sprintf("g%d", i)); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Fatalf("g%d, rotated %d minutes ago, is kept: %v", i, 50-i, err)
		}
	}
	if err := s.RevokeFamily(ctx, "f1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "g50"); !got.Revoked || got.Family != "f1" {
		t.Fatalf("live token after RevokeFamily: %+v", got)
	}
	if err := s.Rotate(ctx, "g50", rec("g51", "", ""), clock.Now(), grace); !errors.Is(err, gqljwt.ErrRefreshRevoked) {
		t.Fatalf("rotating in a revoked family: %v", err)
	}
}

func TestRefreshTokensRevocation(t *testing.T) {
	s := memstore.NewRefreshTokens()
	for _, r := range []gqljwt.RefreshRecord{rec("a1", "fa", "u1"), rec("b1", "fb", "u1"), rec("c1", "fc", "u2")} {
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeFamily(ctx, "fa"); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Get(ctx, "a1"); !a.Revoked {
		t.Error("family not revoked")
	}
	if b, _ := s.Get(ctx, "b1"); b.Revoked {
		t.Error("another family revoked")
	}
	if err := s.RevokeSubject(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Get(ctx, "b1"); !b.Revoked {
		t.Error("subject's other family not revoked")
	}
	if c, _ := s.Get(ctx, "c1"); c.Revoked {
		t.Error("another subject revoked")
	}
	expired := rec("x1", "fx", "u3")
	expired.ExpiresAt = time.Now().Add(-time.Second)
	if err := s.Create(ctx, expired); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "x1"); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Errorf("expired record kept: %v", err)
	}
}

// TestRotateIsAtomic: of many concurrent rotations of one token without a
// grace exactly one succeeds; the token is forgotten with it, so the
// others find it unknown (run under -race).
func TestRotateIsAtomic(t *testing.T) {
	s := memstore.NewRefreshTokens()
	if err := s.Create(ctx, rec("h", "f", "u")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, unknown := 0, 0
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := s.Rotate(ctx, "h", rec("next"+string(rune('A'+i)), "", ""), time.Now(), 0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, gqljwt.ErrNotFound):
				unknown++
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 || unknown != 63 {
		t.Fatalf("%d successes, %d unknown", wins, unknown)
	}
}

func TestUsers(t *testing.T) {
	s := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	u := gqljwt.User{ID: "1", Username: "Alice", Email: "Alice@Example.com", Roles: []string{"ADMIN"}, Active: true}
	if err := s.Add(u, "pw"); err != nil {
		t.Fatal(err)
	}
	for name, dup := range map[string]gqljwt.User{
		"id": {ID: "1"}, "username": {ID: "2", Username: "Alice"}, "email": {ID: "3", Email: "alice@example.COM"},
	} {
		if err := s.Add(dup, "pw"); err == nil {
			t.Errorf("duplicate %s accepted", name)
		}
	}
	if err := s.Add(gqljwt.User{ID: "4"}, strings.Repeat("p", 73)); err == nil {
		t.Error("a password bcrypt would truncate was accepted")
	}
	if _, err := s.UserByUsername(ctx, "alice"); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Error("usernames must match exactly")
	}
	got, err := s.UserByEmail(ctx, "ALICE@example.com")
	if err != nil || got.ID != "1" {
		t.Fatalf("email lookup: %v %v", got, err)
	}
	got.Roles[0] = "HACKED"
	if again, _ := s.UserByID(ctx, "1"); again.Roles[0] != "ADMIN" {
		t.Error("a returned user shares state with the store")
	}
	if ok, err := s.CheckPassword(ctx, got, "pw"); !ok || err != nil {
		t.Errorf("right password: %v %v", ok, err)
	}
	if ok, _ := s.CheckPassword(ctx, got, "wrong"); ok {
		t.Error("wrong password accepted")
	}
	if ok, _ := s.CheckPassword(ctx, got, strings.Repeat("p", 100)); ok {
		t.Error("an over-long password accepted")
	}
	v, _ := s.TokenVersion(ctx, "1")
	if err := s.SetPassword("1", "new"); err != nil {
		t.Fatal(err)
	}
	if v2, _ := s.TokenVersion(ctx, "1"); v2 != v+1 {
		t.Errorf("password change did not move the token version: %d -> %d", v, v2)
	}
	if ok, _ := s.CheckPassword(ctx, got, "pw"); ok {
		t.Error("old password still accepted")
	}
	if err := s.Delete("1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenVersion(ctx, "1"); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Errorf("deleted user's version: %v", err)
	}
}

func TestIdentities(t *testing.T) {
	s := memstore.NewIdentities()
	id := gqljwt.LinkedIdentity{Provider: "OAUTH2_GENERIC", ID: "acct"}
	if err := s.Link(ctx, "u1", id); err != nil {
		t.Fatal(err)
	}
	if err := s.Link(ctx, "u1", id); err != nil {
		t.Errorf("relinking to the same user: %v", err)
	}
	if err := s.Link(ctx, "u2", id); err == nil {
		t.Error("an identity linked to two users")
	}
	if owner, err := s.UserFor(ctx, id); owner != "u1" || err != nil {
		t.Errorf("owner %q %v", owner, err)
	}
	if ids, _ := s.Identities(ctx, "u1"); len(ids) != 1 || ids[0] != id {
		t.Errorf("identities %v", ids)
	}
}

// TestRefreshTokensBounded: a session keeps at most 128 tokens, so that no
// client makes a lookup or a rotation walk more under the store's lock.
// Rotating a chain faster than the grace forgets the oldest rotated
// tokens (the Service takes them for reuse if they come back); 128 live
// successors of one token within the grace are an attack or a broken
// client: the next rotation is refused as reuse.
func TestRefreshTokensBounded(t *testing.T) {
	clock := testclock.New()
	s := memstore.NewRefreshTokens(memstore.Clock(clock.Now))
	const grace = 30 * time.Second
	if err := s.Create(ctx, rec("c0", "chain", "u1")); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if err := s.Rotate(ctx, fmt.Sprintf("c%d", i), rec(fmt.Sprintf("c%d", i+1), "", ""), clock.Now(), grace); err != nil {
			t.Fatalf("rotation %d of a chain within the grace: %v", i, err)
		}
	}
	if _, err := s.Get(ctx, "c0"); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Errorf("the chain's first token, 300 rotations back within the grace: %v, want forgotten", err)
	}
	if got, err := s.Get(ctx, "c299"); err != nil || !got.Rotated {
		t.Errorf("the newest rotated token: %+v %v, want kept within its grace", got, err)
	}
	if err := s.Create(ctx, rec("f0", "fan", "u1")); err != nil {
		t.Fatal(err)
	}
	for i := range 127 {
		if err := s.Rotate(ctx, "f0", rec(fmt.Sprintf("f%d", i+1), "", ""), clock.Now(), grace); err != nil {
			t.Fatalf("successor %d within the grace: %v", i+1, err)
		}
	}
	if err := s.Rotate(ctx, "f0", rec("f128", "", ""), clock.Now(), grace); !errors.Is(err, gqljwt.ErrRefreshReused) {
		t.Fatalf("a 128th live successor: %v, want ErrRefreshReused", err)
	}
	if got, _ := s.Get(ctx, "f1"); !got.Revoked {
		t.Errorf("the session after the refusal: %+v, want revoked", got)
	}
}

// TestRefreshTokensSweep: the sweep, run by the store's clock a shard at a
// write, drops every expired session within a SweepInterval of writes,
// and Stats counts them; a subject's revocation reaches its sessions
// created before it and not those created after.
func TestRefreshTokensSweep(t *testing.T) {
	clock := testclock.New()
	s := memstore.NewRefreshTokens(memstore.Clock(clock.Now), memstore.SweepInterval(time.Second))
	short := func(hash, family, subject string, life time.Duration) gqljwt.RefreshRecord {
		return gqljwt.RefreshRecord{Hash: hash, Family: family, Subject: subject, IssuedAt: clock.Now(), ExpiresAt: clock.Now().Add(life)}
	}
	// Long subjects, so that dropping them makes shards compact their
	// names, which the live sessions' names must survive.
	long := strings.Repeat("x", 5000)
	for i := range 3000 {
		if err := s.Create(ctx, short(fmt.Sprint("dead", i), fmt.Sprint("fd", i), fmt.Sprint(long, i%10), time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(2 * time.Minute)
	// 3 000 writes a millisecond apart: more than a sweep of the 2 500 shards.
	for i := range 3000 {
		if err := s.Create(ctx, short(fmt.Sprint("live", i), fmt.Sprint("fl", i), fmt.Sprint("u", i%10), time.Hour)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Millisecond)
	}
	st := s.Stats()
	if st.Sessions != 3000 || st.Dropped != 3000 || st.Steps == 0 || st.MaxStep <= 0 {
		t.Fatalf("after the sweep: %+v, want 3000 sessions, 3000 dropped", st)
	}
	for i := range 3000 {
		if got, err := s.Get(ctx, fmt.Sprint("live", i)); err != nil || got.Family != fmt.Sprint("fl", i) || got.Subject != fmt.Sprint("u", i%10) {
			t.Fatalf("live session %d after the sweep: %+v %v", i, got, err)
		}
	}
	if s.Stats().MaxStep != 0 {
		t.Error("Stats did not reset MaxStep")
	}
	if _, err := s.Get(ctx, "dead7"); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Errorf("a swept session's token: %v", err)
	}
	if err := s.RevokeSubject(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, short("after", "fa", "u1", time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "live1"); err != nil || !got.Revoked || got.Subject != "u1" || got.Family != "fl1" {
		t.Errorf("u1's session before its revocation: %+v %v, want revoked", got, err)
	}
	if got, err := s.Get(ctx, "after"); err != nil || got.Revoked {
		t.Errorf("u1's session after its revocation: %+v %v, want live", got, err)
	}
	if got, err := s.Get(ctx, "live2"); err != nil || got.Revoked {
		t.Errorf("another subject's session: %+v %v, want live", got, err)
	}
}

// TestRefreshTokensGraceDrainBounded: after a lull, the rotated tokens
// whose grace ended together are forgotten at most 64 a write, not all
// under one lock; none is served meanwhile, and the writes that follow
// forget them all.
func TestRefreshTokensGraceDrainBounded(t *testing.T) {
	clock := testclock.New()
	// A sweep step every 144 s of the clock at most (100 h over 2 500
	// shards): none is due in the 31 s below, so every session dropped is
	// the grace queue's.
	s := memstore.NewRefreshTokens(memstore.Clock(clock.Now), memstore.SweepInterval(100*time.Hour))
	now := clock.Now()
	const n = 2000
	for i := range n {
		h := fmt.Sprint("a", i)
		if err := s.Create(ctx, gqljwt.RefreshRecord{Hash: h, Family: h, Subject: "u", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		// A successor already expired: the session keeps only the rotated
		// token, for the grace.
		if err := s.Rotate(ctx, h, gqljwt.RefreshRecord{Hash: "b" + h, IssuedAt: now, ExpiresAt: now}, now, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(31 * time.Second)
	if _, err := s.Get(ctx, "a1999"); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Fatalf("a token past its grace, not yet forgotten by the drain: %v, want ErrNotFound", err)
	}
	before := s.Stats().Dropped
	if err := s.Create(ctx, rec("x", "x", "u")); err != nil {
		t.Fatal(err)
	}
	if d := s.Stats().Dropped - before; d != 64 {
		t.Fatalf("one write dropped %d sessions, want 64", d)
	}
	for i := range n / 64 {
		if err := s.Create(ctx, rec(fmt.Sprint("y", i), fmt.Sprint("y", i), "u")); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Dropped != n || st.Sessions != 1+n/64 {
		t.Errorf("after %d more writes: %+v, want all %d dropped, %d sessions", n/64, st, n, 1+n/64)
	}
}

// TestRefreshTokensFarTimes: times past what UnixNano holds (after 2262)
// are kept as the latest it holds, not wrapped into the past; a zero
// IssuedAt comes back zero; a grace of any length is one; a Rotate given
// the zero time still marks its token rotated.
func TestRefreshTokensFarTimes(t *testing.T) {
	clock := testclock.New()
	s := memstore.NewRefreshTokens(memstore.Clock(clock.Now))
	now := clock.Now()
	far := now.AddDate(300, 0, 0)
	r := func(h string) gqljwt.RefreshRecord {
		return gqljwt.RefreshRecord{Hash: h, Family: "far", Subject: "u", ExpiresAt: far}
	}
	if err := s.Create(ctx, r("h1")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "h1")
	if err != nil {
		t.Fatalf("a session expiring in 300 years: %v", err)
	}
	if latest := time.Unix(0, math.MaxInt64); !got.ExpiresAt.Equal(latest) || !got.IssuedAt.IsZero() {
		t.Errorf("ExpiresAt %v, IssuedAt %v; want %v and the zero time", got.ExpiresAt, got.IssuedAt, latest)
	}
	forever := time.Duration(math.MaxInt64)
	if err := s.Rotate(ctx, "h1", r("h2"), now, forever); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if err := s.Rotate(ctx, "h1", r("h3"), now.Add(time.Hour), forever); err != nil {
		t.Errorf("a retry within a grace of %v: %v, want success", forever, err)
	}

	if err := s.Create(ctx, rec("z1", "zero", "u")); err != nil {
		t.Fatal(err)
	}
	if err := s.Rotate(ctx, "z1", rec("z2", "", ""), time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Rotate(ctx, "z1", rec("z3", "", ""), time.Time{}, 0); !errors.Is(err, gqljwt.ErrNotFound) && !errors.Is(err, gqljwt.ErrRefreshReused) {
		t.Errorf("a second rotation at the zero time: %v, want the token forgotten or reuse", err)
	}
}
