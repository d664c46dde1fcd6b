package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

// grace is the reuse grace the rotation checks use.
const grace = 30 * time.Second

// refreshFixture is one check's store and clock.
type refreshFixture struct {
	t     *testing.T
	ctx   context.Context
	s     gqljwt.RefreshStore
	clock *clock
}

// record is a fresh record at the clock's now, valid for an hour.
func (f *refreshFixture) record(hash, family, subject string) gqljwt.RefreshRecord {
	now := f.clock.now()
	return gqljwt.RefreshRecord{Hash: hash, Family: family, Subject: subject, TokenVersion: 3, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
}

func (f *refreshFixture) create(recs ...gqljwt.RefreshRecord) {
	f.t.Helper()
	for _, rec := range recs {
		if err := f.s.Create(f.ctx, rec); err != nil {
			f.t.Fatalf("Create(%s): %v", rec.Hash, err)
		}
	}
}

func (f *refreshFixture) get(hash string) gqljwt.RefreshRecord {
	f.t.Helper()
	rec, err := f.s.Get(f.ctx, hash)
	if err != nil {
		f.t.Fatalf("Get(%s): %v", hash, err)
	}
	return rec
}

// rotate rotates old into a fresh record next at the clock's now.
func (f *refreshFixture) rotate(old, next string, grace time.Duration) error {
	// The caller's family, subject and version are wrong on purpose: the
	// store takes them from old.
	rec := f.record(next, "caller-family", "caller-subject")
	rec.TokenVersion = 99
	return f.s.Rotate(f.ctx, old, rec, f.clock.now(), grace)
}

func (f *refreshFixture) mustRotate(old, next string, grace time.Duration) {
	f.t.Helper()
	if err := f.rotate(old, next, grace); err != nil {
		f.t.Fatalf("Rotate(%s -> %s): %v", old, next, err)
	}
}

func (f *refreshFixture) absent(hash string) {
	f.t.Helper()
	if rec, err := f.s.Get(f.ctx, hash); !errors.Is(err, gqljwt.ErrNotFound) {
		f.t.Errorf("Get(%s) = %+v, %v; want ErrNotFound (a refused rotation stores nothing)", hash, rec, err)
	}
}

// revoked checks that each hash reads as revoked (want) or live.
func (f *refreshFixture) revoked(want bool, hashes ...string) {
	f.t.Helper()
	for _, h := range hashes {
		if got := f.get(h).Revoked; got != want {
			f.t.Errorf("Get(%s).Revoked = %v, want %v", h, got, want)
		}
	}
}

// pastGrace checks the answer to a rotation of a token rotated longer
// ago than the grace allows: a store that kept the record answers
// ErrRefreshReused, having revoked the family; one that dropped it, as
// the contract allows once the grace is over, ErrNotFound, and the
// Service, which recognises its own tokens, ends the session (checked by
// RefreshService). It reports whether the store revoked the family.
func (f *refreshFixture) pastGrace(err error, what string) (revoked bool) {
	f.t.Helper()
	switch {
	case errors.Is(err, gqljwt.ErrRefreshReused):
		return true
	case errors.Is(err, gqljwt.ErrNotFound):
		return false
	}
	f.t.Fatalf("%s = %v, want ErrRefreshReused or ErrNotFound", what, err)
	return false
}

// RefreshStore checks a gqljwt.RefreshStore against its contract, and
// its Exchange when it is a gqljwt.RefreshExchanger. newStore returns an
// empty store keeping time by clock.
func RefreshStore(t *testing.T, newStore func(t *testing.T, clock func() time.Time) gqljwt.RefreshStore) {
	run := func(name string, check func(f *refreshFixture)) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			check(&refreshFixture{t: t, ctx: context.Background(), s: newStore(t, c.now), clock: c})
		})
	}
	run("CreateGet", refreshCreateGet)
	run("Rotate", refreshRotate)
	run("RotateRefused", refreshRotateRefused)
	run("ReuseWithoutGrace", refreshReuse)
	run("ReuseWithoutGraceEarlierNow", refreshReuseEarlierNow)
	run("ReuseGrace", refreshGrace)
	run("ReuseOfAnOldAncestor", refreshReuseOfOldAncestor)
	run("RevokeFamily", refreshRevokeFamily)
	run("RevokedKeptToExpiry", refreshRevokedKeptToExpiry)
	run("RevokeSubject", refreshRevokeSubject)
	run("ExpiryByClock", refreshExpiry)
	run("FarTimes", refreshFarTimes)
	run("FamilyOutlivesFirstRecord", refreshFamilyOutlivesFirstRecord)
	run("OneWinner", refreshOneWinner)
	run("AllWithinGrace", refreshAllWithinGrace)
	run("RevokeDuringRotate", refreshRevokeDuringRotate)
	refreshExchanger(t, newStore)
}

func refreshCreateGet(f *refreshFixture) {
	if rec, err := f.s.Get(f.ctx, "unknown"); !errors.Is(err, gqljwt.ErrNotFound) {
		f.t.Errorf("Get(unknown) = %+v, %v; want ErrNotFound", rec, err)
	}
	want := f.record("h1", "f1", "u1")
	given := want
	// Store-owned state is the store's: what the caller says is ignored.
	given.Rotated, given.RotatedAt, given.Revoked = true, f.clock.now(), true
	f.create(given)
	if got := f.get("h1"); !sameRecord(got, want) {
		f.t.Errorf("Get(h1) = %+v, want %+v", got, want)
	}
	dup := f.record("h1", "f9", "u9")
	if err := f.s.Create(f.ctx, dup); err == nil {
		f.t.Error("Create of an existing hash succeeded")
	}
	if got := f.get("h1"); !sameRecord(got, want) {
		f.t.Errorf("after a duplicate Create, Get(h1) = %+v, want %+v", got, want)
	}
}

func refreshRotate(f *refreshFixture) {
	f.create(f.record("h1", "f1", "u1"))
	rotatedAt := f.clock.now()
	f.mustRotate("h1", "h2", grace)
	old := f.get("h1") // kept while its grace lasts
	if !old.Rotated || !old.RotatedAt.Equal(rotatedAt) || old.Revoked {
		f.t.Errorf("rotated record %+v, want Rotated at %s, not revoked", old, rotatedAt)
	}
	want := f.record("h2", "f1", "u1")
	if got := f.get("h2"); !sameRecord(got, want) {
		f.t.Errorf("successor %+v, want %+v (family, subject and version from the record it replaces)", got, want)
	}
	f.clock.advance(time.Minute)
	f.mustRotate("h2", "h3", 0)
	if got := f.get("h3"); got.Family != "f1" || got.Subject != "u1" || got.TokenVersion != 3 || got.Rotated || got.Revoked {
		f.t.Errorf("second successor %+v", got)
	}
}

func refreshRotateRefused(f *refreshFixture) {
	if err := f.rotate("unknown", "n1", grace); !errors.Is(err, gqljwt.ErrNotFound) {
		f.t.Errorf("Rotate(unknown) = %v, want ErrNotFound", err)
	}
	f.absent("n1")
	f.create(f.record("h1", "f1", "u1"), f.record("h9", "f9", "u9"))
	if err := f.rotate("h1", "h9", grace); err == nil {
		f.t.Error("Rotate onto an existing hash succeeded")
	}
	if got := f.get("h1"); got.Rotated {
		f.t.Errorf("a refused rotation marked its token rotated: %+v", got)
	}
	if got := f.get("h9"); got.Family != "f9" || got.Subject != "u9" || got.Rotated {
		f.t.Errorf("a refused rotation changed the record it collided with: %+v", got)
	}
}

func refreshReuse(f *refreshFixture) {
	f.create(f.record("h1", "f1", "u1"), f.record("o1", "other", "u1"))
	f.mustRotate("h1", "h2", 0)
	// At the very instant of the rotation: without a grace, any second
	// presentation is reuse.
	revoked := f.pastGrace(f.rotate("h1", "h3", 0), "second rotation without a grace")
	f.absent("h3")
	f.revoked(revoked, "h2")
	f.revoked(false, "o1")
	if !revoked {
		f.absent("h1")
		return
	}
	f.revoked(true, "h1")
	if err := f.rotate("h2", "h4", grace); !errors.Is(err, gqljwt.ErrRefreshRevoked) {
		f.t.Errorf("rotation in the revoked family = %v, want ErrRefreshRevoked", err)
	}
	f.absent("h4")
	f.revoked(true, "h2")
}

// refreshReuseEarlierNow: concurrent callers read their clocks before
// they reach the store, so a loser's now may precede the winner's
// RotatedAt. Without a grace that is reuse all the same, or both would win.
func refreshReuseEarlierNow(f *refreshFixture) {
	f.create(f.record("h1", "f1", "u1"))
	f.mustRotate("h1", "h2", 0)
	late := f.record("h3", "caller-family", "caller-subject")
	revoked := f.pastGrace(f.s.Rotate(f.ctx, "h1", late, f.clock.now().Add(-time.Nanosecond), 0), "a second rotation whose now precedes the first")
	f.absent("h3")
	f.revoked(revoked, "h2")
}

func refreshGrace(f *refreshFixture) {
	f.create(f.record("h1", "f1", "u1"))
	rotatedAt := f.clock.now()
	f.mustRotate("h1", "h2", grace)
	f.clock.advance(grace - time.Second)
	if err := f.rotate("h1", "h3", grace); err != nil {
		f.t.Fatalf("rotation within the grace = %v, want success", err)
	}
	if got := f.get("h1").RotatedAt; !got.Equal(rotatedAt) {
		f.t.Errorf("RotatedAt moved to %s by a rotation within the grace, want %s: the grace would extend itself", got, rotatedAt)
	}
	want := f.record("h3", "f1", "u1")
	if got := f.get("h3"); !sameRecord(got, want) {
		f.t.Errorf("late successor %+v, want %+v", got, want)
	}
	f.revoked(false, "h2", "h3")
	// Both successors are live tokens of the session.
	f.mustRotate("h3", "h5", grace)
	f.clock.advance(time.Second) // now = RotatedAt + grace: over
	revoked := f.pastGrace(f.rotate("h1", "h4", grace), "rotation at the end of the grace")
	f.absent("h4")
	// The successors rotated within the grace are kept: h3's grace is not
	// over either.
	f.revoked(revoked, "h2", "h3", "h5")
}

func refreshRevokeFamily(f *refreshFixture) {
	if err := f.s.RevokeFamily(f.ctx, "unknown"); err != nil {
		f.t.Errorf("RevokeFamily(unknown) = %v, want nil: sessions without refresh tokens end through it", err)
	}
	f.create(f.record("a1", "fa", "u1"), f.record("b1", "fb", "u1"))
	f.mustRotate("a1", "a2", grace)
	if err := f.s.RevokeFamily(f.ctx, "fa"); err != nil {
		f.t.Fatal(err)
	}
	f.revoked(true, "a1", "a2")
	f.revoked(false, "b1")
	if err := f.rotate("a1", "a3", grace); !errors.Is(err, gqljwt.ErrRefreshRevoked) {
		f.t.Errorf("rotation within the grace in a revoked family = %v, want ErrRefreshRevoked", err)
	}
	if err := f.rotate("a2", "a4", grace); !errors.Is(err, gqljwt.ErrRefreshRevoked) {
		f.t.Errorf("rotation in a revoked family = %v, want ErrRefreshRevoked", err)
	}
	f.absent("a3")
	f.absent("a4")
}

func refreshRevokeSubject(f *refreshFixture) {
	if err := f.s.RevokeSubject(f.ctx, "unknown"); err != nil {
		f.t.Errorf("RevokeSubject(unknown) = %v, want nil", err)
	}
	f.create(f.record("a1", "fa", "u1"), f.record("b1", "fb", "u1"), f.record("c1", "fc", "u2"))
	f.mustRotate("a1", "a2", grace) // a successor is the subject's too
	if err := f.s.RevokeSubject(f.ctx, "u1"); err != nil {
		f.t.Fatal(err)
	}
	f.revoked(true, "a1", "a2", "b1")
	f.revoked(false, "c1")
	if err := f.rotate("b1", "b2", grace); !errors.Is(err, gqljwt.ErrRefreshRevoked) {
		f.t.Errorf("rotation after RevokeSubject = %v, want ErrRefreshRevoked", err)
	}
}

func refreshExpiry(f *refreshFixture) {
	// The clock is years behind the wall clock: a store reading the wall
	// clock takes these records for long expired.
	f.create(f.record("h1", "f1", "u1"))
	f.get("h1")
	f.mustRotate("h1", "h2", 0)
	f.clock.advance(time.Hour - time.Second)
	// A live record is kept to its expiry, by the store's clock.
	if got := f.get("h2"); got.Rotated || got.Revoked {
		f.t.Errorf("Get(h2) just before its expiry = %+v, want live", got)
	}
	f.mustRotate("h2", "h3", grace)
	f.revoked(false, "h3")
}

// refreshRevokedKeptToExpiry: a revoked session's token that was never
// rotated is kept to its expiry, so that presenting it answers revoked
// (the session was ended) rather than unknown, which the Service would
// take for reuse.
func refreshRevokedKeptToExpiry(f *refreshFixture) {
	f.create(f.record("h1", "f1", "u1"))
	if err := f.s.RevokeFamily(f.ctx, "f1"); err != nil {
		f.t.Fatal(err)
	}
	f.clock.advance(time.Hour - time.Second)
	f.revoked(true, "h1")
	if err := f.rotate("h1", "h2", grace); !errors.Is(err, gqljwt.ErrRefreshRevoked) {
		f.t.Errorf("Rotate(h1) in the revoked family = %v, want ErrRefreshRevoked", err)
	}
	f.absent("h2")
}

// refreshFamilyOutlivesFirstRecord: a family's state lives as long as its
// longest-lived record, not its first. A store that kept it only as long
// as the login's record would, once that record is gone, read the
// successor as revoked (a live session ended) or, worse, forget the
// family's revocation.
func refreshFamilyOutlivesFirstRecord(f *refreshFixture) {
	f.create(f.record("k1", "fk", "u1")) // expires in an hour
	f.clock.advance(59 * time.Minute)
	long := f.record("k2", "caller-family", "caller-subject")
	long.ExpiresAt = f.clock.now().Add(48 * time.Hour)
	if err := f.s.Rotate(f.ctx, "k1", long, f.clock.now(), 0); err != nil {
		f.t.Fatalf("Rotate(k1 -> k2): %v", err)
	}
	// k1 expired 46 h ago, longer than any store keeps an expired record
	// (memstore a day); k2 lives another hour.
	f.clock.advance(47 * time.Hour)
	f.revoked(false, "k2")
	f.mustRotate("k2", "k3", grace)
	if err := f.s.RevokeFamily(f.ctx, "fk"); err != nil {
		f.t.Fatal(err)
	}
	f.clock.advance(30 * time.Minute)
	f.revoked(true, "k3")
	if err := f.rotate("k3", "k3-next", grace); !errors.Is(err, gqljwt.ErrRefreshRevoked) {
		f.t.Errorf("Rotate(k3) in the revoked family = %v, want ErrRefreshRevoked", err)
	}
	f.absent("k3-next")
	// k2 was rotated 30 minutes ago: a store may have dropped it, but one
	// that kept it must not read it as live.
	if rec, err := f.s.Get(f.ctx, "k2"); err == nil && !rec.Revoked {
		f.t.Errorf("Get(k2) = %+v: a record of the revoked family reads as live", rec)
	} else if err != nil && !errors.Is(err, gqljwt.ErrNotFound) {
		f.t.Errorf("Get(k2): %v", err)
	}
	if err := f.rotate("k2", "k2-next", grace); !errors.Is(err, gqljwt.ErrRefreshRevoked) && !errors.Is(err, gqljwt.ErrNotFound) {
		f.t.Errorf("Rotate(k2) in the revoked family = %v, want ErrRefreshRevoked or ErrNotFound", err)
	}
	f.absent("k2-next")
}

func refreshOneWinner(f *refreshFixture) {
	f.create(f.record("h", "f1", "u1"))
	errs := make([]error, goroutines)
	parallel(goroutines, func(i int) { errs[i] = f.rotate("h", fmt.Sprintf("n%d", i), 0) })
	// A loser finds the token rotated (reuse, which revokes the family),
	// dropped (the grace is none: unknown, which the Service takes for
	// reuse) or, after another loser's reuse, revoked.
	winner, reused, dropped := -1, 0, 0
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			f.t.Fatalf("rotations %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case errors.Is(err, gqljwt.ErrRefreshReused):
			reused++
		case errors.Is(err, gqljwt.ErrNotFound):
			dropped++
		case !errors.Is(err, gqljwt.ErrRefreshRevoked):
			f.t.Errorf("rotation %d: %v, want ErrRefreshReused, ErrNotFound or ErrRefreshRevoked", i, err)
		}
	}
	if winner < 0 || reused+dropped == 0 {
		f.t.Fatalf("winner %d, %d reuse refusals, %d unknown: want one winner and the others refused", winner, reused, dropped)
	}
	// The winner's record is usable: it exists, in the session. A loser's
	// reuse has revoked the session since.
	rec := f.get(fmt.Sprintf("n%d", winner))
	if rec.Family != "f1" || rec.Subject != "u1" || rec.Revoked != (reused > 0) {
		f.t.Errorf("winner's record %+v, want family f1, revoked if a loser found reuse (%d did)", rec, reused)
	}
	for i := range goroutines {
		if i != winner {
			f.absent(fmt.Sprintf("n%d", i))
		}
	}
}

func refreshAllWithinGrace(f *refreshFixture) {
	f.create(f.record("h", "f1", "u1"))
	rotatedAt := f.clock.now()
	errs := make([]error, goroutines)
	parallel(goroutines, func(i int) { errs[i] = f.rotate("h", fmt.Sprintf("n%d", i), grace) })
	for i, err := range errs {
		if err != nil {
			f.t.Fatalf("rotation %d within the grace: %v", i, err)
		}
	}
	if got := f.get("h").RotatedAt; !got.Equal(rotatedAt) {
		f.t.Errorf("RotatedAt %s, want %s", got, rotatedAt)
	}
	f.clock.advance(grace) // each successor still works once the grace is over
	for i := range goroutines {
		f.mustRotate(fmt.Sprintf("n%d", i), fmt.Sprintf("m%d", i), 0)
	}
	f.revoked(false, "m0", fmt.Sprintf("m%d", goroutines-1))
}

func refreshRevokeDuringRotate(f *refreshFixture) {
	// Whatever the order, a successor is never left live in a revoked
	// family.
	for i := range 20 {
		old, next, fam := fmt.Sprintf("h%d", i), fmt.Sprintf("n%d", i), fmt.Sprintf("f%d", i)
		f.create(f.record(old, fam, "u1"))
		var rotErr, revErr error
		parallel(2, func(j int) {
			if j == 0 {
				rotErr = f.rotate(old, next, grace)
			} else {
				revErr = f.s.RevokeFamily(f.ctx, fam)
			}
		})
		if revErr != nil {
			f.t.Fatal(revErr)
		}
		if rotErr != nil {
			f.absent(next)
			continue
		}
		f.revoked(true, next)
	}
}

// refreshFarTimes: a session expiring after 2262, when Unix nanoseconds
// wrap, is kept and read back expiring no sooner than 2226 (a store may
// clamp it to 2262), and a zero IssuedAt comes back zero.
func refreshFarTimes(f *refreshFixture) {
	rec := f.record("h1", "f1", "u1")
	rec.IssuedAt, rec.ExpiresAt = time.Time{}, f.clock.now().AddDate(300, 0, 0)
	f.create(rec)
	got := f.get("h1")
	if !got.IssuedAt.IsZero() || got.ExpiresAt.Before(f.clock.now().AddDate(200, 0, 0)) {
		f.t.Errorf("Get(h1): IssuedAt %v, ExpiresAt %v; want the zero time and no sooner than 200 years from now", got.IssuedAt, got.ExpiresAt)
	}
	f.mustRotate("h1", "h2", grace)
	if got := f.get("h1"); !got.Rotated || got.Revoked {
		f.t.Errorf("Get(h1) after its rotation = %+v, want rotated, not revoked", got)
	}
}

// sameRecord compares records, times by instant.
func sameRecord(a, b gqljwt.RefreshRecord) bool {
	return a.Hash == b.Hash && a.Family == b.Family && a.Subject == b.Subject && a.TokenVersion == b.TokenVersion &&
		a.IssuedAt.Equal(b.IssuedAt) && a.ExpiresAt.Equal(b.ExpiresAt) &&
		a.Rotated == b.Rotated && a.RotatedAt.Equal(b.RotatedAt) && a.Revoked == b.Revoked
}

// refreshReuseOfOldAncestor: a thief rotates a stolen token several times,
// each past the grace; then the owner presents the stolen one, long since
// rotated. A store that kept it answers reuse and revokes the whole
// session, the thief's newest token with it (RFC 9700 §4.14.2); one that
// dropped it answers ErrNotFound and changes nothing, and the Service,
// which recognises the token as its own, ends the session (RefreshService
// checks that end to end). Either way the owner's call stores nothing.
func refreshReuseOfOldAncestor(f *refreshFixture) {
	f.create(f.record("k0", "f1", "u1"))
	chain := []string{"k0", "k1", "k2", "k3", "k4"}
	for i := 1; i < len(chain); i++ {
		f.clock.advance(grace + time.Second)
		f.mustRotate(chain[i-1], chain[i], grace)
	}
	f.clock.advance(grace + time.Second)
	revoked := f.pastGrace(f.rotate("k0", "owner", grace), "Rotate(k0), four rotations old")
	f.absent("owner")
	f.revoked(revoked, "k4")
	if !revoked {
		return
	}
	if err := f.rotate("k4", "thief", grace); !errors.Is(err, gqljwt.ErrRefreshRevoked) {
		f.t.Errorf("Rotate(k4), the thief's newest, after the reuse: %v, want ErrRefreshRevoked", err)
	}
}
