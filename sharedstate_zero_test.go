package gqljwt_test

import (
	"context"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"golang.org/x/crypto/bcrypt"
)

// TestSharedStateZeroValues: a LoginThrottle and a VersionCache declared
// as zero values work as the constructors' do, instead of panicking on the
// first login.
func TestSharedStateZeroValues(t *testing.T) {
	ctx := context.Background()
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "1", Username: "ann", Active: true}, "ann-password"); err != nil {
		t.Fatal(err)
	}
	var throttle gqljwt.LoginThrottle
	var versions gqljwt.VersionCache
	s := mustService(t, gqljwt.Config{Users: users, LoginThrottle: &throttle, VersionCache: &versions})
	if got := s.Settings().LoginWindow; got != gqljwt.DefaultLoginWindow {
		t.Errorf("LoginWindow %v", got)
	}
	for i := range gqljwt.DefaultMaxLoginFailures {
		if _, err := s.Login(ctx, gqljwt.Credentials{Username: "ann", Password: "wrong"}); gqljwt.CodeOf(err) != gqljwt.CodeInvalidCredential {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := s.Login(ctx, gqljwt.Credentials{Username: "ann", Password: "ann-password"}); gqljwt.CodeOf(err) != gqljwt.CodeTooManyAttempts {
		t.Errorf("after %d failures: %v", gqljwt.DefaultMaxLoginFailures, err)
	}
	// The version cache: a bump refuses the token at once.
	other := mustService(t, gqljwt.Config{Users: users, VersionCache: &versions})
	sess, err := other.StartSession(ctx, mustUser(t, users, "1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(ctx, sess.Access.Value); err != nil {
		t.Fatal(err)
	}
	if _, err := other.BumpTokenVersion(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(ctx, sess.Access.Value); gqljwt.CodeOf(err) != gqljwt.CodeTokenRevoked {
		t.Errorf("after the bump: %v", err)
	}
}

func mustUser(t *testing.T, users *memstore.Users, id string) *gqljwt.User {
	t.Helper()
	u, err := users.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
