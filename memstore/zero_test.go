package memstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
)

// TestZeroValues: each store's zero value is an empty, working store, as
// its doc says, not a panic at the first write.
func TestZeroValues(t *testing.T) {
	t.Run("Users", func(t *testing.T) {
		var s memstore.Users
		if _, err := s.UserByUsername(ctx, "alice"); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Fatalf("empty store: %v", err)
		}
		if err := s.Add(gqljwt.User{ID: "1", Username: "alice", Email: "a@example.com"}, "pw"); err != nil {
			t.Fatal(err)
		}
		u, err := s.UserByEmail(ctx, "A@example.com")
		if err != nil || u.ID != "1" {
			t.Fatalf("lookup: %v %v", u, err)
		}
		if ok, err := s.CheckPassword(ctx, u, "pw"); !ok || err != nil {
			t.Fatalf("password: %v %v", ok, err)
		}
		if v, err := s.BumpTokenVersion(ctx, "1"); v != 1 || err != nil {
			t.Fatalf("bump: %d %v", v, err)
		}
		// An unknown user must cost what a wrong password costs: a zero
		// store has no dummy hash made by NewUsers to compare against.
		wrong, dummy := time.Duration(1<<62), time.Duration(1<<62)
		for range 2 {
			start := time.Now()
			_, _ = s.CheckPassword(ctx, u, "wrong")
			wrong = min(wrong, time.Since(start))
			start = time.Now()
			s.CheckDummyPassword(ctx, "wrong")
			dummy = min(dummy, time.Since(start))
		}
		if dummy < wrong/4 {
			t.Errorf("an unknown user costs %s, a wrong password %s", dummy, wrong)
		}
	})
	t.Run("RefreshTokens", func(t *testing.T) {
		var s memstore.RefreshTokens
		if _, err := s.Get(ctx, "h1"); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Fatalf("empty store: %v", err)
		}
		if err := s.RevokeFamily(ctx, "f1"); err != nil {
			t.Fatal(err)
		}
		if err := s.Create(ctx, rec("h1", "f1", "u1")); err != nil {
			t.Fatal(err)
		}
		if err := s.Rotate(ctx, "h1", rec("h2", "", ""), time.Now(), 0); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeSubject(ctx, "u1"); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, "h2"); err != nil || got.Family != "f1" || !got.Revoked {
			t.Fatalf("successor after RevokeSubject: %+v %v", got, err)
		}
	})
	t.Run("Identities", func(t *testing.T) {
		var s memstore.Identities
		id := gqljwt.LinkedIdentity{Provider: "OAUTH2_GENERIC", ID: "acct"}
		if _, err := s.UserFor(ctx, id); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Fatalf("empty store: %v", err)
		}
		if err := s.Link(ctx, "u1", id); err != nil {
			t.Fatal(err)
		}
		if owner, err := s.UserFor(ctx, id); owner != "u1" || err != nil {
			t.Fatalf("owner %q %v", owner, err)
		}
	})
}
