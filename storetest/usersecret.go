package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/gqljwt/gqljwt"
)

// UserSecretStore checks a gqljwt.UserSecretStore against its contract,
// and the VersionStore it is too. newStore returns a store that knows each
// of subjects, at any version, with its secret not revoked, and no other
// subject.
func UserSecretStore(t *testing.T, newStore func(t *testing.T, subjects []string) gqljwt.UserSecretStore) {
	ctx := context.Background()
	t.Run("VersionStore", func(t *testing.T) {
		VersionStore(t, func(t *testing.T, subjects []string) gqljwt.VersionStore { return newStore(t, subjects) })
	})
	state := func(t *testing.T, s gqljwt.UserSecretStore, subject string) (uint64, bool) {
		t.Helper()
		v, err := s.TokenVersion(ctx, subject)
		if err != nil {
			t.Fatalf("TokenVersion(%s): %v", subject, err)
		}
		revoked, err := s.UserSecretRevoked(ctx, subject)
		if err != nil {
			t.Fatalf("UserSecretRevoked(%s): %v", subject, err)
		}
		return v, revoked
	}
	t.Run("Unknown", func(t *testing.T) {
		s := newStore(t, []string{"u1"})
		if r, err := s.UserSecretRevoked(ctx, "unknown"); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Errorf("UserSecretRevoked(unknown) = %v, %v; want ErrNotFound", r, err)
		}
		if v, err := s.RevokeUserSecret(ctx, "unknown"); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Errorf("RevokeUserSecret(unknown) = %d, %v; want ErrNotFound", v, err)
		}
		if v, err := s.RefreshUserSecret(ctx, "unknown"); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Errorf("RefreshUserSecret(unknown) = %d, %v; want ErrNotFound", v, err)
		}
		if _, err := s.TokenVersion(ctx, "unknown"); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Errorf("a user-secret call created the unknown subject: %v", err)
		}
	})
	t.Run("RevokeThenRefresh", func(t *testing.T) {
		s := newStore(t, []string{"u1", "u2"})
		v0, revoked := state(t, s, "u1")
		if revoked {
			t.Fatal("a new subject's secret is revoked")
		}
		v2, _ := state(t, s, "u2")
		steps := []struct {
			name    string
			move    func(context.Context, string) (uint64, error)
			revoked bool
		}{
			{"RevokeUserSecret", s.RevokeUserSecret, true},
			// Revoking again moves the version on and stays revoked.
			{"RevokeUserSecret again", s.RevokeUserSecret, true},
			// A plain bump leaves the mark alone.
			{"BumpTokenVersion", s.BumpTokenVersion, true},
			{"RefreshUserSecret", s.RefreshUserSecret, false},
			{"RefreshUserSecret again", s.RefreshUserSecret, false},
			{"BumpTokenVersion", s.BumpTokenVersion, false},
		}
		for i, st := range steps {
			want := v0 + uint64(i) + 1
			got, err := st.move(ctx, "u1")
			if err != nil || got != want {
				t.Fatalf("%s = %d, %v; want %d", st.name, got, err, want)
			}
			if v, r := state(t, s, "u1"); v != want || r != st.revoked {
				t.Fatalf("after %s: version %d, revoked %v; want %d, %v", st.name, v, r, want, st.revoked)
			}
		}
		if v, r := state(t, s, "u2"); v != v2 || r {
			t.Errorf("u2: version %d, revoked %v; want %d, false: another user's secret moved it", v, r, v2)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		// Revocations and refreshes at once: each is one step, so every
		// call gets a version of its own, and the mark is the one the
		// call that got the last version left.
		s := newStore(t, []string{"u1"})
		v0, _ := state(t, s, "u1")
		got, errs := make([]uint64, goroutines), make([]error, goroutines)
		parallel(goroutines, func(i int) {
			if i%2 == 0 {
				got[i], errs[i] = s.RevokeUserSecret(ctx, "u1")
			} else {
				got[i], errs[i] = s.RefreshUserSecret(ctx, "u1")
			}
		})
		last := 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			if got[i] > got[last] {
				last = i
			}
		}
		sorted := slices.Sorted(slices.Values(got))
		for i, v := range sorted {
			if v != v0+uint64(i)+1 {
				t.Fatalf("the %d calls returned %v, want each of %d to %d once", goroutines, sorted, v0+1, v0+goroutines)
			}
		}
		v, revoked := state(t, s, "u1")
		if v != v0+goroutines || revoked != (last%2 == 0) {
			t.Errorf("after the calls: version %d, revoked %v; want %d, %v (the mark of the call that got the last version)", v, revoked, v0+goroutines, last%2 == 0)
		}
	})
}
