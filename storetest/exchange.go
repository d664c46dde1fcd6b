package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

// refreshExchanger checks gqljwt.RefreshExchanger, when the store has
// it: its own answers, then every rotation check of RefreshStore again
// with Rotate made by Exchange.
func refreshExchanger(t *testing.T, newStore func(t *testing.T, clock func() time.Time) gqljwt.RefreshStore) {
	t.Run("Exchange", func(t *testing.T) {
		if _, ok := newStore(t, newClock().now).(gqljwt.RefreshExchanger); !ok {
			t.Skip("the store does not implement gqljwt.RefreshExchanger")
		}
		run := func(name string, check func(f *exchangeFixture)) {
			t.Run(name, func(t *testing.T) {
				c := newClock()
				s := newStore(t, c.now)
				check(&exchangeFixture{
					refreshFixture: refreshFixture{t: t, ctx: context.Background(), s: s, clock: c},
					x:              s.(gqljwt.RefreshExchanger),
				})
			})
		}
		run("Unknown", exchangeUnknown)
		run("Record", exchangeRecord)
		run("Expiry", exchangeExpiry)
		run("Retention", exchangeRetention)
		run("Collision", exchangeCollision)
		run("RevokeSubjectAfterExchanges", exchangeRevokeSubject)
		t.Run("AsRotate", func(t *testing.T) {
			RefreshStore(t, func(t *testing.T, clock func() time.Time) gqljwt.RefreshStore {
				return rotateByExchange{RefreshStore: newStore(t, clock), t: t}
			})
		})
	})
}

// rotateByExchange is a RefreshStore whose Rotate is its Exchange, for
// the rotation checks; the record each answer carries must be oldHash's.
// It does not implement RefreshExchanger itself.
type rotateByExchange struct {
	gqljwt.RefreshStore
	t *testing.T
}

func (r rotateByExchange) Rotate(ctx context.Context, oldHash string, next gqljwt.RefreshRecord, now time.Time, grace time.Duration) error {
	rec, err := r.RefreshStore.(gqljwt.RefreshExchanger).Exchange(ctx, oldHash, next, now, grace)
	switch {
	case errors.Is(err, gqljwt.ErrNotFound):
		if rec != (gqljwt.RefreshRecord{}) {
			r.t.Errorf("Exchange(%s) = %+v, ErrNotFound; want a zero record", oldHash, rec)
		}
	case err == nil || errors.Is(err, gqljwt.ErrRefreshReused) || errors.Is(err, gqljwt.ErrRefreshRevoked):
		if rec.Hash != oldHash || rec.Family == "" || rec.Subject == "" {
			r.t.Errorf("Exchange(%s) = %+v, %v; want %s's record", oldHash, rec, err, oldHash)
		}
	}
	return err
}

// exchangeFixture is a refreshFixture on a RefreshExchanger.
type exchangeFixture struct {
	refreshFixture
	x gqljwt.RefreshExchanger
}

// exchange exchanges old for a fresh record next at now; as rotate, the
// caller's family, subject and version are wrong on purpose.
func (f *exchangeFixture) exchange(old, next string, now time.Time, grace time.Duration) (gqljwt.RefreshRecord, error) {
	rec := f.record(next, "caller-family", "caller-subject")
	rec.TokenVersion = 99
	return f.x.Exchange(f.ctx, old, rec, now, grace)
}

func exchangeUnknown(f *exchangeFixture) {
	if rec, err := f.exchange("unknown", "n1", f.clock.now(), grace); !errors.Is(err, gqljwt.ErrNotFound) || rec != (gqljwt.RefreshRecord{}) {
		f.t.Errorf("Exchange(unknown) = %+v, %v; want a zero record, ErrNotFound", rec, err)
	}
	f.absent("n1")
}

// exchangeRecord: each answer carries the record as it was before the
// call, and the successor is the record's.
func exchangeRecord(f *exchangeFixture) {
	f.create(f.record("h1", "f1", "u1"))
	before := f.get("h1")
	rotatedAt := f.clock.now()
	rec, err := f.exchange("h1", "h2", rotatedAt, grace)
	if err != nil || !sameRecord(rec, before) {
		f.t.Fatalf("Exchange(h1) = %+v, %v; want %+v, nil", rec, err, before)
	}
	if got, want := f.get("h2"), f.record("h2", "f1", "u1"); !sameRecord(got, want) {
		f.t.Errorf("successor %+v, want %+v (family, subject and version from the record it replaces)", got, want)
	}
	f.clock.advance(time.Second)
	before = f.get("h1")
	if !before.Rotated || !before.RotatedAt.Equal(rotatedAt) {
		f.t.Fatalf("exchanged record %+v, want Rotated at %s", before, rotatedAt)
	}
	if rec, err := f.exchange("h1", "h3", f.clock.now(), grace); err != nil || !sameRecord(rec, before) {
		f.t.Errorf("Exchange(h1) within the grace = %+v, %v; want %+v, nil", rec, err, before)
	}
	f.clock.advance(grace)
	if rec, err := f.exchange("h1", "h4", f.clock.now(), grace); !errors.Is(err, gqljwt.ErrRefreshReused) || !sameRecord(rec, before) {
		f.t.Errorf("Exchange(h1) after the grace = %+v, %v; want %+v, ErrRefreshReused", rec, err, before)
	}
	f.absent("h4")
	f.revoked(true, "h1", "h2", "h3")
	before = f.get("h2")
	if rec, err := f.exchange("h2", "h5", f.clock.now(), grace); !errors.Is(err, gqljwt.ErrRefreshRevoked) || !sameRecord(rec, before) {
		f.t.Errorf("Exchange(h2) in the revoked family = %+v, %v; want %+v, ErrRefreshRevoked", rec, err, before)
	}
	f.absent("h5")
}

// exchangeExpiry: a record is exchanged until the nanosecond before its
// ExpiresAt, by the now given; from then on it is expired, and nothing
// changes.
func exchangeExpiry(f *exchangeFixture) {
	f.create(f.record("h1", "f1", "u1"), f.record("h2", "f2", "u1"))
	exp := f.get("h1").ExpiresAt
	if _, err := f.exchange("h1", "n1", exp.Add(-time.Nanosecond), grace); err != nil {
		f.t.Errorf("Exchange a nanosecond before expiry = %v, want nil", err)
	}
	before := f.get("h2")
	if rec, err := f.exchange("h2", "n2", exp, grace); !errors.Is(err, gqljwt.ErrRefreshExpired) || !sameRecord(rec, before) {
		f.t.Errorf("Exchange at expiry = %+v, %v; want %+v, ErrRefreshExpired", rec, err, before)
	}
	f.absent("n2")
	if got := f.get("h2"); !sameRecord(got, before) {
		f.t.Errorf("an expired exchange changed its record: %+v, want %+v", got, before)
	}
	// Reuse is judged first: an expired token rotated before is reuse.
	if _, err := f.exchange("h1", "n3", exp.Add(grace), grace); !errors.Is(err, gqljwt.ErrRefreshReused) {
		f.t.Errorf("Exchange of a rotated token after its expiry = %v, want ErrRefreshReused", err)
	}
}

// exchangeRetention: a record kept past its ExpiresAt only for a late
// client, by the store's clock, is unknown to Exchange as it is to Get.
func exchangeRetention(f *exchangeFixture) {
	f.create(f.record("h1", "f1", "u1"))
	exp := f.get("h1").ExpiresAt
	for _, keep := range []time.Duration{time.Hour, 24 * time.Hour} {
		f.clock.advance(exp.Add(keep).Sub(f.clock.now()) - time.Nanosecond)
		if _, getErr := f.s.Get(f.ctx, "h1"); getErr != nil {
			if errors.Is(getErr, gqljwt.ErrNotFound) {
				// The store keeps less than keep: Exchange must agree.
				if _, err := f.exchange("h1", "n1", f.clock.now(), grace); !errors.Is(err, gqljwt.ErrNotFound) {
					f.t.Errorf("Exchange of a record Get does not know = %v, want ErrNotFound", err)
				}
				break
			}
			f.t.Fatal(getErr)
		}
		if _, err := f.exchange("h1", "n1", f.clock.now(), grace); !errors.Is(err, gqljwt.ErrRefreshExpired) {
			f.t.Errorf("Exchange %s past expiry (Get knows the record) = %v, want ErrRefreshExpired", keep, err)
		}
	}
	f.clock.advance(48 * time.Hour)
	f.absent("h1")
	if _, err := f.exchange("h1", "n1", f.clock.now(), grace); !errors.Is(err, gqljwt.ErrNotFound) {
		f.t.Errorf("Exchange of a record long gone = %v, want ErrNotFound", err)
	}
	f.absent("n1")
}

func exchangeCollision(f *exchangeFixture) {
	f.create(f.record("h1", "f1", "u1"), f.record("h9", "f9", "u9"))
	want9 := f.get("h9")
	if _, err := f.exchange("h1", "h9", f.clock.now(), grace); err == nil {
		f.t.Error("Exchange onto an existing hash succeeded")
	}
	if got := f.get("h1"); got.Rotated {
		f.t.Errorf("a refused exchange marked its token rotated: %+v", got)
	}
	if got := f.get("h9"); !sameRecord(got, want9) {
		f.t.Errorf("a refused exchange changed the record it collided with: %+v, want %+v", got, want9)
	}
}

// exchangeRevokeSubject: the successors of exchanges are the subject's
// for as long as they live, longer than the record the login made, however
// the store keeps its index.
func exchangeRevokeSubject(f *exchangeFixture) {
	f.create(f.record("k0", "fa", "u1")) // expires in an hour
	f.clock.advance(59 * time.Minute)
	long := f.record("k1", "caller-family", "caller-subject")
	long.ExpiresAt = f.clock.now().Add(48 * time.Hour)
	if _, err := f.x.Exchange(f.ctx, "k0", long, f.clock.now(), grace); err != nil {
		f.t.Fatalf("Exchange(k0 -> k1): %v", err)
	}
	// Longer than any store keeps k0: only the exchanges keep the
	// family in the subject's index.
	f.clock.advance(47 * time.Hour)
	last := "k1"
	for i := 2; i <= 5; i++ {
		next := fmt.Sprintf("k%d", i)
		if _, err := f.exchange(last, next, f.clock.now(), grace); err != nil {
			f.t.Fatalf("Exchange(%s -> %s): %v", last, next, err)
		}
		last = next
		f.clock.advance(50 * time.Minute)
	}
	if err := f.s.RevokeSubject(f.ctx, "u1"); err != nil {
		f.t.Fatal(err)
	}
	f.revoked(true, "k1", last)
	if _, err := f.exchange(last, "after", f.clock.now(), grace); !errors.Is(err, gqljwt.ErrRefreshRevoked) {
		f.t.Errorf("Exchange after RevokeSubject = %v, want ErrRefreshRevoked", err)
	}
	f.absent("after")
}
