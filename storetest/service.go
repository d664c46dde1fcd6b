package storetest

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"golang.org/x/crypto/bcrypt"
)

// serviceFixture is a real gqljwt.Service over the store under test.
type serviceFixture struct {
	t     *testing.T
	ctx   context.Context
	s     *gqljwt.Service
	clock *clock
	grace time.Duration
	login *gqljwt.Session

	mu     sync.Mutex
	events []gqljwt.Event
}

const serviceSecret = "storetest-service-secret-0123456789abcdef"

func newServiceFixture(t *testing.T, store gqljwt.RefreshStore, c *clock, grace time.Duration, secret string) *serviceFixture {
	t.Helper()
	f := &serviceFixture{t: t, ctx: context.Background(), clock: c, grace: max(grace, 0)}
	if grace == 0 {
		f.grace = gqljwt.DefaultRefreshReuseGrace
	}
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "u1", Username: "alice", Active: true}, "pw"); err != nil {
		t.Fatal(err)
	}
	s, err := gqljwt.New(gqljwt.Config{
		Secret: []byte(secret), Users: users, Refresh: store, RefreshReuseGrace: grace, Now: c.now,
		Audit: func(_ context.Context, e gqljwt.Event) {
			if e.Kind == gqljwt.EventRefreshReused || e.Kind == gqljwt.EventSessionRevoked {
				f.mu.Lock()
				f.events = append(f.events, gqljwt.Event{Kind: e.Kind, Subject: e.Subject, SessionID: e.SessionID, Reason: e.Reason})
				f.mu.Unlock()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.s = s
	if f.login, err = s.Login(f.ctx, gqljwt.Credentials{Username: "alice", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	return f
}

// refresh rotates token, which must succeed.
func (f *serviceFixture) refresh(token string) *gqljwt.Session {
	f.t.Helper()
	sess, err := f.s.Refresh(f.ctx, token, gqljwt.RefreshOptions{})
	if err != nil {
		f.t.Fatalf("Refresh: %v", err)
	}
	return sess
}

// refused checks that err is code with message.
func (f *serviceFixture) refused(what string, err error, code gqljwt.Code, message string) {
	f.t.Helper()
	if e := gqljwt.AsError(err); err == nil || e.Code != code || e.Message != message {
		f.t.Errorf("%s = %v, want %s %q", what, err, code, message)
	}
}

func (f *serviceFixture) wantEvents(want ...gqljwt.Event) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Equal(f.events, want) {
		f.t.Errorf("events %+v, want %+v", f.events, want)
	}
}

// reuseEvents are the reports of a reuse ending the login's session.
func (f *serviceFixture) reuseEvents() []gqljwt.Event {
	return []gqljwt.Event{
		{Kind: gqljwt.EventRefreshReused, Subject: "u1", SessionID: f.login.ID, Reason: "reuse"},
		{Kind: gqljwt.EventSessionRevoked, Subject: "u1", SessionID: f.login.ID, Reason: "reuse"},
	}
}

// chain rotates the login's token n times, each past the grace, and
// returns every refresh token of the chain, the login's first.
func (f *serviceFixture) chain(n int) []*gqljwt.Session {
	f.t.Helper()
	sessions := []*gqljwt.Session{f.login}
	for range n {
		f.clock.advance(f.grace + time.Second)
		sessions = append(sessions, f.refresh(sessions[len(sessions)-1].RefreshToken))
	}
	f.clock.advance(f.grace + time.Second)
	return sessions
}

// RefreshService checks, end to end, what the Service's security rests on
// when a RefreshStore forgets rotated records after their grace, as the
// contract allows: a gqljwt.Service over the store (memstore users, the
// store's clock) must still take a token rotated 1, 2, 3 or 10 times
// since, presented after the grace, for reuse and end its session (a
// thief who rotated a stolen token cannot keep the session, RFC 9700
// §4.14.2); within the grace the token still works; an expired one is
// told so; a forged or bit-flipped one is invalid and ends nothing.
// newStore is RefreshStore's factory.
func RefreshService(t *testing.T, newStore func(t *testing.T, clock func() time.Time) gqljwt.RefreshStore) {
	run := func(name string, grace time.Duration, check func(f *serviceFixture)) {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			check(newServiceFixture(t, newStore(t, c.now), c, grace, serviceSecret))
		})
	}
	for _, n := range []int{1, 2, 3, 10} {
		run(fmt.Sprintf("ReuseOfAncestor/%dRotationsOld", n), 0, func(f *serviceFixture) { serviceReuse(f, n, false) })
	}
	run("ReuseOfAncestor/RevokeRefreshToken", 0, func(f *serviceFixture) { serviceReuse(f, 3, true) })
	run("ReuseWithoutGrace", -1, func(f *serviceFixture) { serviceReuse(f, 1, false) })
	run("WithinGrace", 0, serviceWithinGrace)
	run("Expired", 0, serviceExpired)
	run("Forged", 0, serviceForged)
}

func serviceReuse(f *serviceFixture, n int, byRevoke bool) {
	chain := f.chain(n)
	head := chain[len(chain)-1]
	old := chain[0].RefreshToken
	var err error
	if byRevoke {
		err = f.s.RevokeRefreshToken(f.ctx, old)
	} else {
		_, err = f.s.Refresh(f.ctx, old, gqljwt.RefreshOptions{})
	}
	f.refused(fmt.Sprintf("the login's token, %d rotations old, after the grace", n), err, gqljwt.CodeTokenRevoked, "Refresh token has been revoked")
	f.wantEvents(f.reuseEvents()...)
	_, err = f.s.Refresh(f.ctx, head.RefreshToken, gqljwt.RefreshOptions{})
	f.refused("the session's newest token after the reuse", err, gqljwt.CodeTokenRevoked, "Refresh token has been revoked")
	if _, err := f.s.Verify(f.ctx, head.Access.Value); err == nil || gqljwt.AsError(err).Code != gqljwt.CodeTokenRevoked {
		f.t.Errorf("the newest access token after the reuse: %v, want TOKEN_REVOKED", err)
	}
	// Presented again, the ended session is not ended and reported anew.
	_, err = f.s.Refresh(f.ctx, chain[len(chain)/2].RefreshToken, gqljwt.RefreshOptions{})
	f.refused("a token of the ended session", err, gqljwt.CodeTokenRevoked, "Refresh token has been revoked")
	f.wantEvents(f.reuseEvents()...)
}

func serviceWithinGrace(f *serviceFixture) {
	first := f.refresh(f.login.RefreshToken)
	f.clock.advance(f.grace - time.Second)
	late := f.refresh(f.login.RefreshToken)
	if late.ID != f.login.ID {
		f.t.Errorf("a refresh within the grace moved to session %q, want %q", late.ID, f.login.ID)
	}
	// Both successors are live tokens of the session, past the grace too.
	f.clock.advance(time.Minute)
	f.refresh(first.RefreshToken)
	f.refresh(late.RefreshToken)
	f.wantEvents()
}

func serviceExpired(f *serviceFixture) {
	chain := f.chain(2)
	f.clock.advance(gqljwt.DefaultRefreshTTL)
	for i, sess := range chain {
		_, err := f.s.Refresh(f.ctx, sess.RefreshToken, gqljwt.RefreshOptions{})
		f.refused(fmt.Sprintf("expired token %d", i), err, gqljwt.CodeTokenExpired, "Refresh token has expired")
		err = f.s.RevokeRefreshToken(f.ctx, sess.RefreshToken)
		f.refused(fmt.Sprintf("revoking expired token %d", i), err, gqljwt.CodeTokenExpired, "Refresh token has expired")
	}
	f.wantEvents()
}

func serviceForged(f *serviceFixture) {
	chain := f.chain(2)
	head := chain[len(chain)-1]
	raw, err := base64.RawURLEncoding.DecodeString(head.RefreshToken)
	if err != nil {
		f.t.Fatalf("the refresh token is not base64url: %v", err)
	}
	var forged []string
	// Every byte flipped in turn: layout, session, expiry, random bits, tag.
	for i := range raw {
		b := slices.Clone(raw)
		b[i] ^= 0x01
		forged = append(forged, base64.RawURLEncoding.EncodeToString(b))
	}
	// The old ancestor, tampered with, must not end the session either.
	old, _ := base64.RawURLEncoding.DecodeString(chain[0].RefreshToken)
	old[len(old)-1] ^= 0x80
	forged = append(forged, base64.RawURLEncoding.EncodeToString(old), "not-a-token", base64.RawURLEncoding.EncodeToString(make([]byte, 32)))
	// A token tagged under another key (another deployment's, whose
	// sessions are not ours) is not ours either.
	other := newServiceFixture(f.t, memstore.NewRefreshTokens(memstore.Clock(f.clock.now)), f.clock, 0, serviceSecret+"-other")
	forged = append(forged, other.login.RefreshToken)
	for i, token := range forged {
		_, err := f.s.Refresh(f.ctx, token, gqljwt.RefreshOptions{})
		f.refused(fmt.Sprintf("Refresh(forged %d)", i), err, gqljwt.CodeTokenInvalid, "Invalid refresh token")
		err = f.s.RevokeRefreshToken(f.ctx, token)
		f.refused(fmt.Sprintf("RevokeRefreshToken(forged %d)", i), err, gqljwt.CodeTokenInvalid, "Invalid refresh token")
	}
	f.wantEvents()
	f.refresh(head.RefreshToken)
}
