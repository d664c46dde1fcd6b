package mutations_test

import (
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/mutations"
)

// TestEndedSessionStaysEnded: however a session ends (logout, revokeToken,
// reuse of a rotated refresh token), every access token issued in it is
// refused at once, and none of them can be renewed into a fresh one; the
// user's other session is not touched.
func TestEndedSessionStaysEnded(t *testing.T) {
	type session struct{ access, refresh string }
	tests := []struct {
		name string
		// end ends the session s, checking the answers on the way, and
		// returns the session's access tokens, all of which must now be
		// refused.
		end func(t *testing.T, e *env, s session) []string
	}{
		{"logout from a renewed token", func(t *testing.T, e *env, s session) []string {
			renewed := e.do("", refreshQuery, map[string]any{"token": s.access}).str("refreshToken", "token")
			if renewed == "" {
				t.Fatal("renewal failed")
			}
			if r := e.do(renewed, `mutation { logout { success } }`, nil); r.field("logout", "success") != true {
				t.Fatalf("logout: %s", r.Raw)
			}
			return []string{s.access, renewed}
		}},
		{"revokeToken", func(t *testing.T, e *env, s session) []string {
			if r := e.do("", revokeQuery, map[string]any{"refreshToken": s.refresh}); r.field("revokeToken", "revoked") == nil {
				t.Fatalf("revoke: %s", r.Raw)
			}
			r := e.do("", revokeQuery, map[string]any{"refreshToken": s.refresh})
			if r.code(t) != "TOKEN_REVOKED" || r.Errors[0]["message"] != "Refresh token has been revoked" {
				t.Fatalf("revoking again: %s", r.Raw)
			}
			return []string{s.access}
		}},
		{"reuse of a rotated refresh token", func(t *testing.T, e *env, s session) []string {
			r := e.do("", refreshQuery, map[string]any{"refreshToken": s.refresh})
			rotated := r.str("refreshToken", "token")
			if rotated == "" {
				t.Fatal(r.Raw)
			}
			if r := e.do("", refreshQuery, map[string]any{"refreshToken": s.refresh}); r.code(t) != "TOKEN_REVOKED" {
				t.Fatalf("replay: %s", r.Raw)
			}
			return []string{s.access, rotated}
		}},
		{"revokeToken on a rotated refresh token", func(t *testing.T, e *env, s session) []string {
			rotated := e.do("", refreshQuery, map[string]any{"refreshToken": s.refresh}).str("refreshToken", "token")
			r := e.do("", revokeQuery, map[string]any{"refreshToken": s.refresh})
			if r.code(t) != "TOKEN_REVOKED" {
				t.Fatalf("revoking a rotated token: %s", r.Raw)
			}
			return []string{s.access, rotated}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The grace off: the replay comes at once, within the default.
			e := newEnv(t, envConfig{cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens(), RefreshReuseGrace: -1}})
			a, r := e.login("alice", "alice-password")
			other, _ := e.login("alice", "alice-password")
			// Seen before: the verified-token cache holds it.
			if r := e.do(a, `{ me }`, nil); r.str("me") != "alice" {
				t.Fatal(r.Raw)
			}
			for i, tok := range tt.end(t, e, session{a, r}) {
				if r := e.do(tok, `{ me }`, nil); r.field("me") != nil || r.code(t) != "TOKEN_REVOKED" {
					t.Errorf("token %d of the ended session: %s", i, r.Raw)
				}
				if r := e.do("", refreshQuery, map[string]any{"token": tok}); r.field("refreshToken") != nil || r.code(t) != "TOKEN_REVOKED" {
					t.Errorf("renewing token %d of the ended session: %s", i, r.Raw)
				}
			}
			if r := e.do(other, `{ me }`, nil); r.str("me") != "alice" {
				t.Errorf("the other session: %s", r.Raw)
			}
			if r := e.do("", refreshQuery, map[string]any{"token": other}); r.str("refreshToken", "token") == "" {
				t.Errorf("renewing in the other session: %s", r.Raw)
			}
		})
	}
}

// TestLogoutAllNeedsVersions: without token versions the other sessions'
// access tokens cannot be found, so a logoutAll field is refused when the
// schema is built instead of reporting a logout it cannot do.
func TestLogoutAllNeedsVersions(t *testing.T) {
	auth, err := gqljwt.New(gqljwt.Config{Secret: secret, Users: noVersions{memstore.NewUsers()}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = mutations.New(auth, mutations.Native(), mutations.Options{})
	const want = "mutations: preset native, logoutAll: logoutAll needs gqljwt.Config.Versions: without token versions the user's other sessions cannot be ended"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	id := &gqljwt.Identity{Subject: "1", TokenID: "j"}
	if err := auth.LogoutAll(ctxBackground, id); gqljwt.CodeOf(err) != gqljwt.CodeInternal {
		t.Errorf("Service.LogoutAll without versions: %v", err)
	}
}

// noVersions hides memstore.Users' VersionStore methods.
type noVersions struct{ gqljwt.UserStore }

// TestExpiredRefreshToken: a refresh token presented after it expired, by
// the wall clock the store keeps, is reported as expired, so the client
// knows to log in again; it is not confused with an unknown token.
func TestExpiredRefreshToken(t *testing.T) {
	e := newEnv(t, envConfig{cfg: gqljwt.Config{Refresh: memstore.NewRefreshTokens(), AccessTTL: time.Second, RefreshTTL: time.Second}})
	_, refresh := e.login("alice", "alice-password")
	time.Sleep(1100 * time.Millisecond)
	r := e.do("", refreshQuery, map[string]any{"refreshToken": refresh})
	if r.code(t) != "TOKEN_EXPIRED" || r.Errors[0]["message"] != "Refresh token has expired" || r.field("refreshToken") != nil {
		t.Fatalf("expired refresh token: %s", r.Raw)
	}
}
