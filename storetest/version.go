package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/gqljwt/gqljwt"
)

// VersionStore checks a gqljwt.VersionStore against its contract.
// newStore returns a store that knows each of subjects, at any version,
// and no other subject.
func VersionStore(t *testing.T, newStore func(t *testing.T, subjects []string) gqljwt.VersionStore) {
	ctx := context.Background()
	version := func(t *testing.T, s gqljwt.VersionStore, subject string) uint64 {
		t.Helper()
		v, err := s.TokenVersion(ctx, subject)
		if err != nil {
			t.Fatalf("TokenVersion(%s): %v", subject, err)
		}
		return v
	}
	t.Run("Unknown", func(t *testing.T) {
		s := newStore(t, []string{"u1"})
		if v, err := s.TokenVersion(ctx, "unknown"); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Errorf("TokenVersion(unknown) = %d, %v; want ErrNotFound (a deleted user's tokens are refused)", v, err)
		}
		if v, err := s.BumpTokenVersion(ctx, "unknown"); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Errorf("BumpTokenVersion(unknown) = %d, %v; want ErrNotFound", v, err)
		}
		if _, err := s.TokenVersion(ctx, "unknown"); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Errorf("a bump created the unknown subject: %v", err)
		}
	})
	t.Run("Bump", func(t *testing.T) {
		s := newStore(t, []string{"u1", "u2"})
		v1, v2 := version(t, s, "u1"), version(t, s, "u2")
		got, err := s.BumpTokenVersion(ctx, "u1")
		if err != nil || got != v1+1 {
			t.Fatalf("BumpTokenVersion(u1) = %d, %v; want %d", got, err, v1+1)
		}
		if v := version(t, s, "u1"); v != v1+1 {
			t.Errorf("TokenVersion(u1) after the bump = %d, want %d", v, v1+1)
		}
		if v := version(t, s, "u2"); v != v2 {
			t.Errorf("TokenVersion(u2) = %d, want %d: another user's bump moved it", v, v2)
		}
	})
	t.Run("ConcurrentBumps", func(t *testing.T) {
		s := newStore(t, []string{"u1"})
		v0 := version(t, s, "u1")
		got, errs := make([]uint64, goroutines), make([]error, goroutines)
		parallel(goroutines, func(i int) { got[i], errs[i] = s.BumpTokenVersion(ctx, "u1") })
		for i, err := range errs {
			if err != nil {
				t.Fatalf("bump %d: %v", i, err)
			}
		}
		slices.Sort(got)
		for i, v := range got {
			if v != v0+uint64(i)+1 {
				t.Fatalf("the %d bumps returned %v, want each of %d to %d once", goroutines, got, v0+1, v0+goroutines)
			}
		}
		if v := version(t, s, "u1"); v != v0+goroutines {
			t.Errorf("TokenVersion after %d bumps = %d, want %d", goroutines, v, v0+goroutines)
		}
	})
}
