package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/gqljwt/gqljwt"
)

// Account is a user for a UserStore check to hold, with its password.
type Account struct {
	User     gqljwt.User
	Password string
}

// accounts are the users every UserStore check runs against: an active
// user, a disabled one and one without a username.
var accounts = []Account{
	{gqljwt.User{ID: "u1", Username: "alice", Email: "alice@example.com", Roles: []string{"ADMIN"}, Scopes: []string{"read:posts"}, Active: true}, "alice-password"},
	{gqljwt.User{ID: "u2", Username: "bob", Email: "bob@example.com", Active: false}, "bob-password"},
	{gqljwt.User{ID: "u3", Email: "carol@example.com", Active: true}, "carol-password"},
}

// UserStore checks a gqljwt.UserStore against its contract. newStore
// returns a store holding exactly accounts, with their passwords; a low
// password-hashing cost keeps the suite fast.
func UserStore(t *testing.T, newStore func(t *testing.T, accounts []Account) gqljwt.UserStore) {
	ctx := context.Background()
	s := newStore(t, slices.Clone(accounts))
	lookups := []struct {
		name string
		find func(string) (*gqljwt.User, error)
		key  func(gqljwt.User) string
	}{
		{"UserByID", func(k string) (*gqljwt.User, error) { return s.UserByID(ctx, k) }, func(u gqljwt.User) string { return u.ID }},
		{"UserByUsername", func(k string) (*gqljwt.User, error) { return s.UserByUsername(ctx, k) }, func(u gqljwt.User) string { return u.Username }},
		{"UserByEmail", func(k string) (*gqljwt.User, error) { return s.UserByEmail(ctx, k) }, func(u gqljwt.User) string { return u.Email }},
	}
	t.Run("Lookups", func(t *testing.T) {
		for _, l := range lookups {
			for _, a := range accounts {
				key := l.key(a.User)
				if key == "" {
					continue
				}
				u, err := l.find(key)
				if err != nil {
					t.Errorf("%s(%q): %v", l.name, key, err)
					continue
				}
				if !sameUser(*u, a.User) {
					t.Errorf("%s(%q) = %+v, want %+v (a disabled user too, with Active false)", l.name, key, *u, a.User)
				}
			}
			// Empty matches nobody, carol and her empty username included;
			// usernames match exactly.
			for _, key := range []string{"", "unknown", "ALICE"} {
				if u, err := l.find(key); !errors.Is(err, gqljwt.ErrNotFound) {
					t.Errorf("%s(%q) = %v, %v; want ErrNotFound", l.name, key, u, err)
				}
			}
		}
	})
	t.Run("CallersCopy", func(t *testing.T) {
		for _, l := range lookups {
			u, err := l.find(l.key(accounts[0].User))
			if err != nil {
				t.Fatalf("%s: %v", l.name, err)
			}
			// The Service writes to the user it is given.
			u.TokenVersion += 10
			u.Roles[0] = "CHANGED"
			u.Active = false
			again, err := s.UserByID(ctx, "u1")
			if err != nil {
				t.Fatal(err)
			}
			if !sameUser(*again, accounts[0].User) {
				t.Fatalf("after changing what %s returned, the store holds %+v", l.name, *again)
			}
		}
	})
	t.Run("Passwords", func(t *testing.T) {
		for _, a := range accounts {
			u, err := s.UserByID(ctx, a.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			for pw, want := range map[string]bool{a.Password: true, a.Password + "x": false, "": false} {
				ok, err := s.CheckPassword(ctx, u, pw)
				if err != nil || ok != want {
					t.Errorf("CheckPassword(%s, %q) = %v, %v; want %v", a.User.ID, pw, ok, err, want)
				}
			}
		}
		if ok, err := s.CheckPassword(ctx, &gqljwt.User{ID: "unknown"}, "alice-password"); ok || err != nil {
			t.Errorf("CheckPassword of an unknown user = %v, %v; want false, nil", ok, err)
		}
		s.CheckDummyPassword(ctx, "alice-password")
	})
}

func sameUser(a, b gqljwt.User) bool {
	return a.ID == b.ID && a.Username == b.Username && a.Email == b.Email && a.Active == b.Active &&
		a.TokenVersion == b.TokenVersion && slices.Equal(a.Roles, b.Roles) && slices.Equal(a.Scopes, b.Scopes)
}

// IdentityStore checks a gqljwt.IdentityStore against its contract.
// newStore returns an empty store.
func IdentityStore(t *testing.T, newStore func(t *testing.T) gqljwt.IdentityStore) {
	ctx := context.Background()
	acct := gqljwt.LinkedIdentity{Provider: "OAUTH2_GENERIC", ID: "acct-1"}
	t.Run("Link", func(t *testing.T) {
		s := newStore(t)
		if owner, err := s.UserFor(ctx, acct); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Errorf("UserFor(unlinked) = %q, %v; want ErrNotFound", owner, err)
		}
		if ids, err := s.Identities(ctx, "u1"); err != nil || len(ids) != 0 {
			t.Errorf("Identities(u1) = %v, %v; want none", ids, err)
		}
		if err := s.Link(ctx, "u1", acct); err != nil {
			t.Fatal(err)
		}
		if err := s.Link(ctx, "u1", acct); err != nil {
			t.Errorf("linking again to the same user: %v", err)
		}
		if err := s.Link(ctx, "u2", acct); !errors.Is(err, gqljwt.ErrIdentityLinked) {
			t.Errorf("linking an identity to a second user: %v, want ErrIdentityLinked", err)
		}
		if owner, err := s.UserFor(ctx, acct); owner != "u1" || err != nil {
			t.Errorf("UserFor = %q, %v; want u1", owner, err)
		}
		other := gqljwt.LinkedIdentity{Provider: "OTHER", ID: acct.ID}
		if owner, err := s.UserFor(ctx, other); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Errorf("the same ID at another provider = %q, %v; want ErrNotFound", owner, err)
		}
		ids, err := s.Identities(ctx, "u1")
		if err != nil || !slices.Equal(ids, []gqljwt.LinkedIdentity{acct}) {
			t.Fatalf("Identities(u1) = %v, %v", ids, err)
		}
		ids[0].ID = "changed"
		if again, _ := s.Identities(ctx, "u1"); !slices.Equal(again, []gqljwt.LinkedIdentity{acct}) {
			t.Errorf("changing the returned slice changed the store: %v", again)
		}
		if ids, _ := s.Identities(ctx, "u2"); len(ids) != 0 {
			t.Errorf("Identities(u2) = %v after a refused link", ids)
		}
	})
	t.Run("ConcurrentLinks", func(t *testing.T) {
		s := newStore(t)
		errs := make([]error, goroutines)
		parallel(goroutines, func(i int) { errs[i] = s.Link(ctx, fmt.Sprintf("u%d", i), acct) })
		winner := -1
		for i, err := range errs {
			if err != nil && !errors.Is(err, gqljwt.ErrIdentityLinked) {
				t.Fatalf("u%d: %v, want nil or ErrIdentityLinked", i, err)
			}
			if err == nil {
				if winner >= 0 {
					t.Fatalf("users u%d and u%d both linked the identity", winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatal("no link succeeded")
		}
		if owner, err := s.UserFor(ctx, acct); owner != fmt.Sprintf("u%d", winner) || err != nil {
			t.Errorf("UserFor = %q, %v; want u%d", owner, err, winner)
		}
	})
}
