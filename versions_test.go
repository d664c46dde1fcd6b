package gqljwt_test

import (
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"golang.org/x/crypto/bcrypt"
)

// TestSeparateVersionStore: with Config.Versions apart from the user
// store, a session starts at the version the verifier reads, not at the
// UserStore's idea of it, so its tokens work: the access token verifies,
// refreshes and renewals succeed and their tokens verify.
func TestSeparateVersionStore(t *testing.T) {
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "u1", Username: "alice", Active: true}, "alice-password"); err != nil {
		t.Fatal(err)
	}
	versions := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := versions.Add(gqljwt.User{ID: "u1", TokenVersion: 7}, "unused"); err != nil {
		t.Fatal(err)
	}
	s := mustService(t, gqljwt.Config{Users: users, Versions: versions, Refresh: memstore.NewRefreshTokens()})
	sess, err := s.Login(ctx, gqljwt.Credentials{Username: "alice", Password: "alice-password"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Verify(ctx, sess.Access.Value)
	if err != nil {
		t.Fatalf("the login's access token: %v", err)
	}
	if id.TokenVersion != 7 || sess.User.TokenVersion != 7 {
		t.Errorf("session at version %d (user %d), want 7", id.TokenVersion, sess.User.TokenVersion)
	}
	// A token the application issues itself is at that version too.
	alice, _ := users.UserByID(ctx, "u1")
	issued, err := s.IssueAccessToken(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := s.Verify(ctx, issued.Value); err != nil || id.TokenVersion != 7 {
		t.Errorf("IssueAccessToken's token: %v", err)
	}
	refreshed, err := s.Refresh(ctx, sess.RefreshToken, gqljwt.RefreshOptions{})
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if _, err := s.Verify(ctx, refreshed.Access.Value); err != nil {
		t.Errorf("the refreshed access token: %v", err)
	}
	renewed, err := s.RenewToken(ctx, refreshed.Access.Value)
	if err != nil {
		t.Fatalf("renewal: %v", err)
	}
	if _, err := s.Verify(ctx, renewed.Access.Value); err != nil {
		t.Errorf("the renewed access token: %v", err)
	}
	// The versions store decides, the user store's version is not read.
	if _, err := s.BumpTokenVersion(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refresh(ctx, refreshed.RefreshToken, gqljwt.RefreshOptions{}); codeOf(err) != gqljwt.CodeTokenRevoked {
		t.Errorf("refresh after the bump: %v, want TOKEN_REVOKED", err)
	}
	// A user the versions store does not know gets no session at all.
	if err := users.Add(gqljwt.User{ID: "u2", Username: "bob", Active: true}, "bob-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, gqljwt.Credentials{Username: "bob", Password: "bob-password"}); codeOf(err) != gqljwt.CodeInternal {
		t.Errorf("login of a user without a version: %v, want INTERNAL_SERVER_ERROR", err)
	}
}

// TestTokensAfterPasswordChange: once the user's token version has moved
// on (a password change), the tokens of earlier sessions mint nothing:
// neither the refresh token nor, with the verifier's cache still holding
// the old version (the change made elsewhere), the access token through
// renewal.
func TestTokensAfterPasswordChange(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(s *gqljwt.Service, users *memstore.Users) error
	}{
		{"BumpTokenVersion", func(s *gqljwt.Service, _ *memstore.Users) error {
			_, err := s.BumpTokenVersion(ctx, "u1")
			return err
		}},
		{"password set in the store", func(_ *gqljwt.Service, users *memstore.Users) error {
			return users.SetPassword("u1", "new-password")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
			if err := users.Add(gqljwt.User{ID: "u1", Username: "alice", Active: true}, "alice-password"); err != nil {
				t.Fatal(err)
			}
			s := mustService(t, gqljwt.Config{Users: users, Refresh: memstore.NewRefreshTokens(), VersionCacheTTL: time.Hour})
			sess, err := s.Login(ctx, gqljwt.Credentials{Username: "alice", Password: "alice-password"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Verify(ctx, sess.Access.Value); err != nil { // caches the version
				t.Fatal(err)
			}
			if err := tt.change(s, users); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Refresh(ctx, sess.RefreshToken, gqljwt.RefreshOptions{}); codeOf(err) != gqljwt.CodeTokenRevoked {
				t.Errorf("refresh: %v %v, want TOKEN_REVOKED", got, err)
			}
			if got, err := s.Refresh(ctx, sess.RefreshToken, gqljwt.RefreshOptions{KeepRefreshToken: true}); codeOf(err) != gqljwt.CodeTokenRevoked {
				t.Errorf("refresh keeping the token: %v %v, want TOKEN_REVOKED", got, err)
			}
			if got, err := s.RenewToken(ctx, sess.Access.Value); codeOf(err) != gqljwt.CodeTokenRevoked {
				t.Errorf("renewal: %v %v, want TOKEN_REVOKED", got, err)
			}
		})
	}
}
