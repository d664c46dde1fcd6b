package gqljwt_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"golang.org/x/crypto/bcrypt"
)

func userSecretService(t *testing.T, withSecrets bool, audit ...gqljwt.AuditHook) (*gqljwt.Service, *memstore.Users) {
	t.Helper()
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "1", Username: "bob", Active: true}, "pw"); err != nil {
		t.Fatal(err)
	}
	cfg := gqljwt.Config{Users: users, Refresh: memstore.NewRefreshTokens()}
	if withSecrets {
		cfg.UserSecrets = users
	}
	if len(audit) > 0 {
		cfg.Audit = audit[0]
	}
	return mustService(t, cfg), users
}

// TestUserSecretRevocation: with Config.UserSecrets, WPGraphQL's revoked
// secret: every token refused at once and no new one issued, by any path,
// until the secret is refreshed.
func TestUserSecretRevocation(t *testing.T) {
	ctx := context.Background()
	var reasons []string
	s, users := userSecretService(t, true, func(_ context.Context, e gqljwt.Event) {
		if e.Kind == gqljwt.EventUserSecretBumped {
			reasons = append(reasons, e.Subject+":"+e.Reason)
		}
	})
	creds := gqljwt.Credentials{Username: "bob", Password: "pw"}
	sess, err := s.Login(ctx, creds)
	if err != nil {
		t.Fatal(err)
	}
	before, after, err := s.RevokeUserSecret(ctx, "1")
	if err != nil || after != before+1 {
		t.Fatalf("RevokeUserSecret = %d, %d, %v", before, after, err)
	}
	if r, err := s.UserSecretRevoked(ctx, "1"); err != nil || !r {
		t.Fatalf("UserSecretRevoked = %v, %v; want true", r, err)
	}
	if _, err := s.Verify(ctx, sess.Access.Value); codeOf(err) != gqljwt.CodeTokenRevoked {
		t.Errorf("Verify of a token issued before = %v, want TOKEN_REVOKED", err)
	}
	u, _ := users.UserByID(ctx, "1")
	issues := map[string]func() error{
		"Login":            func() error { _, err := s.Login(ctx, creds); return err },
		"StartSession":     func() error { _, err := s.StartSession(ctx, u); return err },
		"IssueAccessToken": func() error { _, err := s.IssueAccessToken(ctx, u); return err },
	}
	for name, issue := range issues {
		err := issue()
		var ge *gqljwt.Error
		if !errors.As(err, &ge) || ge.Code != gqljwt.CodeForbidden || ge.Reason != gqljwt.CodeTokenRevoked || ge.Message != gqljwt.ErrUserSecretRevoked.Message {
			t.Errorf("%s while revoked: %v, want ErrUserSecretRevoked", name, err)
		}
	}
	if _, err := s.Refresh(ctx, sess.RefreshToken, gqljwt.RefreshOptions{}); err == nil {
		t.Error("Refresh of a refresh token issued before the revocation succeeded")
	}
	if _, _, err := s.RefreshUserSecret(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if r, err := s.UserSecretRevoked(ctx, "1"); err != nil || r {
		t.Fatalf("UserSecretRevoked after RefreshUserSecret = %v, %v; want false", r, err)
	}
	again, err := s.Login(ctx, creds)
	if err != nil {
		t.Fatalf("Login after RefreshUserSecret: %v", err)
	}
	if _, err := s.Verify(ctx, again.Access.Value); err != nil {
		t.Errorf("Verify of the new token: %v", err)
	}
	if _, err := s.Refresh(ctx, sess.RefreshToken, gqljwt.RefreshOptions{}); err == nil {
		t.Error("the refresh token of the old secret works again after RefreshUserSecret")
	}
	if _, _, err := s.RevokeUserSecret(ctx, "nobody"); codeOf(err) != gqljwt.CodeBadUserInput {
		t.Errorf("RevokeUserSecret(unknown) = %v, want BAD_USER_INPUT", err)
	}
	if got := strings.Join(reasons, " "); got != "1:revoked 1:refreshed" {
		t.Errorf("events: %q, want 1:revoked 1:refreshed", got)
	}
}

// TestUserSecretWithoutStore: without Config.UserSecrets a revocation is
// RevokeUser: the tokens are refused, the user may log in again, and the
// secret never reads as revoked.
func TestUserSecretWithoutStore(t *testing.T) {
	ctx := context.Background()
	s, _ := userSecretService(t, false)
	sess, err := s.Login(ctx, gqljwt.Credentials{Username: "bob", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RevokeUserSecret(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ctx, sess.Access.Value); codeOf(err) != gqljwt.CodeTokenRevoked {
		t.Errorf("Verify = %v, want TOKEN_REVOKED", err)
	}
	if r, err := s.UserSecretRevoked(ctx, "1"); err != nil || r {
		t.Errorf("UserSecretRevoked = %v, %v; want false", r, err)
	}
	if _, err := s.Login(ctx, gqljwt.Credentials{Username: "bob", Password: "pw"}); err != nil {
		t.Errorf("Login: %v", err)
	}
}

// failingSecrets is memstore's store whose flag cannot be read.
type failingSecrets struct{ *memstore.Users }

func (failingSecrets) UserSecretRevoked(context.Context, string) (bool, error) {
	return false, errors.New("store down")
}

// TestUserSecretFailsClosed: a store that cannot say whether the secret is
// revoked refuses every token, and the flag reads as revoked.
func TestUserSecretFailsClosed(t *testing.T) {
	ctx := context.Background()
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "1", Username: "bob", Active: true}, "pw"); err != nil {
		t.Fatal(err)
	}
	store := failingSecrets{users}
	s := mustService(t, gqljwt.Config{Users: users, Versions: store, UserSecrets: store})
	if _, err := s.Login(ctx, gqljwt.Credentials{Username: "bob", Password: "pw"}); codeOf(err) != gqljwt.CodeUnavailable {
		t.Errorf("Login = %v, want AUTH_UNAVAILABLE", err)
	}
	if r, err := s.UserSecretRevoked(ctx, "1"); codeOf(err) != gqljwt.CodeUnavailable || !r {
		t.Errorf("UserSecretRevoked = %v, %v; want true, AUTH_UNAVAILABLE", r, err)
	}
}

// TestUserSecretsMustBeVersions: the mark and the version move together,
// so they must live in one store.
func TestUserSecretsMustBeVersions(t *testing.T) {
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	other := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if _, err := gqljwt.New(gqljwt.Config{Secret: testSecret, Users: users, Versions: other, UserSecrets: users}); err == nil {
		t.Error("New accepted UserSecrets apart from Versions")
	}
	if _, err := gqljwt.New(gqljwt.Config{Secret: testSecret, Users: users, UserSecrets: users}); err != nil {
		t.Errorf("New with UserSecrets the Users' versions: %v", err)
	}
}
