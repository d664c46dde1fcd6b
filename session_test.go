package gqljwt_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"golang.org/x/crypto/bcrypt"
)

// slowVersions lets a test hold a TokenVersion read until it says so.
type slowVersions struct {
	*memstore.Users
	reading, release chan struct{}
}

func (s *slowVersions) TokenVersion(ctx context.Context, subject string) (uint64, error) {
	v, err := s.Users.TokenVersion(ctx, subject)
	if s.reading != nil {
		s.reading <- struct{}{}
		<-s.release
	}
	return v, err
}

// TestBumpDuringVersionRead: a version read that was under way when the
// version was bumped must not be cached, or the bump would be undone for
// VersionCacheTTL.
func TestBumpDuringVersionRead(t *testing.T) {
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "u1", Active: true}, "pw"); err != nil {
		t.Fatal(err)
	}
	versions := &slowVersions{Users: users}
	s := mustService(t, gqljwt.Config{Versions: versions, VersionCacheTTL: time.Hour})
	u, _ := users.UserByID(ctx, "u1")
	// Issued elsewhere, so that s's version cache is still empty and the
	// verification below reads the store.
	issuer := mustService(t, gqljwt.Config{Versions: versions})
	tok, err := issuer.IssueAccessToken(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	versions.reading, versions.release = make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := s.Verify(ctx, tok.Value)
		done <- err
	}()
	<-versions.reading // the old version has been read
	versions.reading = nil
	if _, err := s.BumpTokenVersion(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	close(versions.release)
	if err := <-done; err != nil {
		t.Fatalf("the verification under way when the bump ran: %v", err)
	}
	if _, err := s.Verify(ctx, tok.Value); codeOf(err) != gqljwt.CodeTokenRevoked {
		t.Fatalf("after the bump: %v, want TOKEN_REVOKED", err)
	}
}

// TestDeletedUser: bumping the version of a user that no longer exists is
// bad input (and still ErrNotFound for errors.Is); logging such a user out
// everywhere succeeds, as no token of theirs verifies any more.
func TestDeletedUser(t *testing.T) {
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	s := mustService(t, gqljwt.Config{Users: users})
	_, err := s.BumpTokenVersion(ctx, "gone")
	var e *gqljwt.Error
	if !errors.As(err, &e) || e.Code != gqljwt.CodeBadUserInput || e.Message != "No such user" || !errors.Is(err, gqljwt.ErrNotFound) {
		t.Errorf("BumpTokenVersion of an unknown user: %#v", err)
	}
	if err := s.LogoutAll(ctx, &gqljwt.Identity{Subject: "gone", TokenID: "j"}); err != nil {
		t.Errorf("LogoutAll of a deleted user: %v", err)
	}
}

// TestLoginWithoutAddress: logins whose context records no request (no
// Verifier, a background job) have no per-address budget: with one shared
// address key, failures with made-up names would lock every account out.
// They count as one client of each account, which the per-client limit
// still locks out.
func TestLoginWithoutAddress(t *testing.T) {
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "1", Username: "alice", Active: true}, "alice-password"); err != nil {
		t.Fatal(err)
	}
	s := mustService(t, gqljwt.Config{Users: users})
	for i := 0; i < 3*gqljwt.DefaultMaxAddressFailures; i++ {
		_, err := s.Login(ctx, gqljwt.Credentials{Username: fmt.Sprintf("nobody-%d", i), Password: "x"})
		if codeOf(err) != gqljwt.CodeInvalidCredential {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := s.Login(ctx, gqljwt.Credentials{Username: "alice", Password: "alice-password"}); err != nil {
		t.Fatalf("alice after others' failures: %v", err)
	}
	for i := 0; i < gqljwt.DefaultMaxLoginFailures; i++ {
		_, _ = s.Login(ctx, gqljwt.Credentials{Username: "alice", Password: "wrong"})
	}
	if _, err := s.Login(ctx, gqljwt.Credentials{Username: "alice", Password: "alice-password"}); codeOf(err) != gqljwt.CodeTooManyAttempts {
		t.Fatalf("the per-client limit still applies: %v", err)
	}
}
