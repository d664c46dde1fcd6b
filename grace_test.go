package gqljwt_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"golang.org/x/crypto/bcrypt"
)

// events records the security events of a Service.
type events struct {
	mu  sync.Mutex
	got []gqljwt.Event
}

func (e *events) hook(_ context.Context, ev gqljwt.Event) {
	e.mu.Lock()
	e.got = append(e.got, ev)
	e.mu.Unlock()
}

// of returns the events of kind, with Time and ClientAddr cleared.
func (e *events) of(kind gqljwt.EventKind) []gqljwt.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []gqljwt.Event
	for _, ev := range e.got {
		if ev.Kind == kind {
			ev.Time, ev.ClientAddr = time.Time{}, ""
			out = append(out, ev)
		}
	}
	return out
}

// refreshEnv is a Service with refresh tokens, a test clock and an event
// recorder, and alice logged in.
type refreshEnv struct {
	s      *gqljwt.Service
	clock  *clock
	users  *memstore.Users
	events *events
	login  *gqljwt.Session
}

func newRefreshEnv(t *testing.T, cfg gqljwt.Config) *refreshEnv {
	t.Helper()
	e := &refreshEnv{clock: newClock(), events: &events{}}
	if cfg.Users == nil {
		e.users = memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
		if err := e.users.Add(gqljwt.User{ID: "u1", Username: "alice", Active: true}, "alice-password"); err != nil {
			t.Fatal(err)
		}
		cfg.Users = e.users
	}
	cfg.Now = e.clock.Now
	cfg.Refresh = memstore.NewRefreshTokens(memstore.Clock(e.clock.Now))
	cfg.Audit = e.events.hook
	e.s = mustService(t, cfg)
	sess, err := e.s.Login(ctx, gqljwt.Credentials{Username: "alice", Password: "alice-password"})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	e.login = sess
	return e
}

// refreshAll refreshes token from n goroutines at once.
func (e *refreshEnv) refreshAll(n int, token string) ([]*gqljwt.Session, []error) {
	sessions, errs := make([]*gqljwt.Session, n), make([]error, n)
	var wg, start sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			sessions[i], errs[i] = e.s.Refresh(ctx, token, gqljwt.RefreshOptions{})
		}()
	}
	start.Done()
	wg.Wait()
	return sessions, errs
}

// TestConcurrentRefreshWithinGrace: three refreshes of one token at once
// (tabs, a retry) all succeed in the same session, and every token handed
// out works afterwards: each access token verifies, each refresh token
// refreshes. Run under -race.
func TestConcurrentRefreshWithinGrace(t *testing.T) {
	e := newRefreshEnv(t, gqljwt.Config{})
	sessions, errs := e.refreshAll(3, e.login.RefreshToken)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
	}
	seen := map[string]bool{e.login.RefreshToken: true}
	for i, sess := range sessions {
		if sess.ID != e.login.ID || sess.RefreshToken == "" || seen[sess.RefreshToken] {
			t.Fatalf("refresh %d: session %q, refresh token %q (seen: %v)", i, sess.ID, sess.RefreshToken, seen[sess.RefreshToken])
		}
		seen[sess.RefreshToken] = true
	}
	e.clock.Advance(gqljwt.DefaultRefreshReuseGrace) // the grace has passed
	for i, sess := range sessions {
		id, err := e.s.Verify(ctx, sess.Access.Value)
		if err != nil || id.SessionID != e.login.ID {
			t.Errorf("access token %d: %v", i, err)
		}
		next, err := e.s.Refresh(ctx, sess.RefreshToken, gqljwt.RefreshOptions{})
		if err != nil {
			t.Errorf("refresh token %d: %v", i, err)
			continue
		}
		if _, err := e.s.Verify(ctx, next.Access.Value); err != nil {
			t.Errorf("access token refreshed from %d: %v", i, err)
		}
	}
	if _, err := e.s.Verify(ctx, e.login.Access.Value); err != nil {
		t.Errorf("the login's access token: %v", err)
	}
	if got := e.events.of(gqljwt.EventSessionRevoked); len(got) != 0 {
		t.Errorf("session revoked: %+v", got)
	}
}

// TestRefreshReuseAfterGrace: a rotated token presented once the grace has
// passed is reuse: the session is revoked, every token of it refused, and
// both events are reported. Presenting it within the grace again first does
// not move the grace on.
func TestRefreshReuseAfterGrace(t *testing.T) {
	for _, tt := range []struct {
		name string
		// present presents the rotated token after the grace.
		present func(e *refreshEnv, token string) error
	}{
		{"refresh", func(e *refreshEnv, token string) error {
			_, err := e.s.Refresh(ctx, token, gqljwt.RefreshOptions{})
			return err
		}},
		{"refresh keeping the token", func(e *refreshEnv, token string) error {
			_, err := e.s.Refresh(ctx, token, gqljwt.RefreshOptions{KeepRefreshToken: true})
			return err
		}},
		{"revoke", func(e *refreshEnv, token string) error {
			return e.s.RevokeRefreshToken(ctx, token)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newRefreshEnv(t, gqljwt.Config{})
			first, err := e.s.Refresh(ctx, e.login.RefreshToken, gqljwt.RefreshOptions{})
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(gqljwt.DefaultRefreshReuseGrace - time.Second)
			late, err := e.s.Refresh(ctx, e.login.RefreshToken, gqljwt.RefreshOptions{})
			if err != nil {
				t.Fatalf("within the grace: %v", err)
			}
			e.clock.Advance(time.Second) // the grace runs from the first rotation
			if err := tt.present(e, e.login.RefreshToken); codeOf(err) != gqljwt.CodeTokenRevoked {
				t.Fatalf("after the grace: %v, want TOKEN_REVOKED", err)
			}
			for i, access := range []string{e.login.Access.Value, first.Access.Value, late.Access.Value} {
				if _, err := e.s.Verify(ctx, access); codeOf(err) != gqljwt.CodeTokenRevoked {
					t.Errorf("access token %d: %v, want TOKEN_REVOKED", i, err)
				}
				if _, err := e.s.RenewToken(ctx, access); codeOf(err) != gqljwt.CodeTokenRevoked {
					t.Errorf("renewing access token %d: %v, want TOKEN_REVOKED", i, err)
				}
			}
			for i, refresh := range []string{first.RefreshToken, late.RefreshToken, e.login.RefreshToken} {
				if _, err := e.s.Refresh(ctx, refresh, gqljwt.RefreshOptions{}); codeOf(err) != gqljwt.CodeTokenRevoked {
					t.Errorf("refresh token %d: %v, want TOKEN_REVOKED", i, err)
				}
			}
			want := []gqljwt.Event{{Kind: gqljwt.EventRefreshReused, Subject: "u1", SessionID: e.login.ID, Reason: "reuse"}}
			if got := e.events.of(gqljwt.EventRefreshReused); !slices.Equal(got, want) {
				t.Errorf("reuse events %+v, want %+v", got, want)
			}
			want[0].Kind = gqljwt.EventSessionRevoked
			if got := e.events.of(gqljwt.EventSessionRevoked); !slices.Equal(got, want) {
				t.Errorf("revocation events %+v, want %+v", got, want)
			}
		})
	}
}

// TestRefreshReuseStrict: with the grace off, presenting a rotated token
// again revokes the session at once, and of concurrent refreshes exactly
// one succeeds while a loser revokes the session.
func TestRefreshReuseStrict(t *testing.T) {
	t.Run("sequential", func(t *testing.T) {
		e := newRefreshEnv(t, gqljwt.Config{RefreshReuseGrace: -1})
		first, err := e.s.Refresh(ctx, e.login.RefreshToken, gqljwt.RefreshOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Refresh(ctx, e.login.RefreshToken, gqljwt.RefreshOptions{}); codeOf(err) != gqljwt.CodeTokenRevoked {
			t.Fatalf("second presentation: %v, want TOKEN_REVOKED", err)
		}
		if _, err := e.s.Verify(ctx, first.Access.Value); codeOf(err) != gqljwt.CodeTokenRevoked {
			t.Errorf("the winner's access token: %v, want TOKEN_REVOKED", err)
		}
		if _, err := e.s.Refresh(ctx, first.RefreshToken, gqljwt.RefreshOptions{}); codeOf(err) != gqljwt.CodeTokenRevoked {
			t.Errorf("the winner's refresh token: %v, want TOKEN_REVOKED", err)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		e := newRefreshEnv(t, gqljwt.Config{RefreshReuseGrace: -1})
		sessions, errs := e.refreshAll(3, e.login.RefreshToken)
		var winner *gqljwt.Session
		for i, err := range errs {
			switch {
			case err == nil && winner == nil:
				winner = sessions[i]
			case err == nil:
				t.Fatalf("two refreshes succeeded")
			case codeOf(err) != gqljwt.CodeTokenRevoked:
				t.Errorf("loser %d: %v, want TOKEN_REVOKED", i, err)
			}
		}
		if winner == nil {
			t.Fatal("no refresh succeeded")
		}
		if _, err := e.s.Verify(ctx, winner.Access.Value); codeOf(err) != gqljwt.CodeTokenRevoked {
			t.Errorf("the winner's access token: %v, want TOKEN_REVOKED", err)
		}
		if got := e.events.of(gqljwt.EventRefreshReused); len(got) == 0 {
			t.Error("no reuse reported")
		}
	})
}

// TestSessionRevokedEvents: every way a session ends reports
// EventSessionRevoked with its reason.
func TestSessionRevokedEvents(t *testing.T) {
	for _, tt := range []struct {
		reason string
		end    func(e *refreshEnv) error
		sid    bool // the event names the session
	}{
		{"logout", func(e *refreshEnv) error {
			id, err := e.s.Verify(ctx, e.login.Access.Value)
			if err != nil {
				return err
			}
			return e.s.Logout(ctx, id)
		}, true},
		{"revoke", func(e *refreshEnv) error { return e.s.RevokeRefreshToken(ctx, e.login.RefreshToken) }, true},
		{"logout_all", func(e *refreshEnv) error {
			id, err := e.s.Verify(ctx, e.login.Access.Value)
			if err != nil {
				return err
			}
			return e.s.LogoutAll(ctx, id)
		}, false},
	} {
		t.Run(tt.reason, func(t *testing.T) {
			e := newRefreshEnv(t, gqljwt.Config{})
			if err := tt.end(e); err != nil {
				t.Fatal(err)
			}
			want := gqljwt.Event{Kind: gqljwt.EventSessionRevoked, Subject: "u1", Reason: tt.reason}
			if tt.sid {
				want.SessionID = e.login.ID
			}
			if got := e.events.of(gqljwt.EventSessionRevoked); !slices.Equal(got, []gqljwt.Event{want}) {
				t.Errorf("events %+v, want %+v", got, want)
			}
			if got := e.events.of(gqljwt.EventRefreshReused); len(got) != 0 {
				t.Errorf("reuse reported: %+v", got)
			}
		})
	}
}

// TestRefreshReuseGraceConfig: zero takes the default, a negative value
// turns the grace off (Settings reports 0), and a grace too long is
// refused.
func TestRefreshReuseGraceConfig(t *testing.T) {
	for _, tt := range []struct {
		in, want time.Duration
		err      string
	}{
		{0, gqljwt.DefaultRefreshReuseGrace, ""},
		{-1, -1, ""},
		{time.Second, time.Second, ""},
		{5 * time.Minute, 5 * time.Minute, ""},
		{5*time.Minute + 1, 0, "gqljwt: RefreshReuseGrace 5m0.000000001s is over the 5m0s maximum"},
	} {
		s, err := gqljwt.New(gqljwt.Config{Secret: testSecret, RefreshReuseGrace: tt.in})
		if tt.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("%s: %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if got := s.Settings().RefreshReuseGrace; got != max(tt.want, 0) {
			t.Errorf("%s: %s, want %s", tt.in, got, max(tt.want, 0))
		}
	}
}
