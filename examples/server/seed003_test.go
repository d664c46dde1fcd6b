package main

import (
	"strings"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt/internal/testclock"
)

// testClock is a settable clock for lifetimes and sliding refresh.
type testClock = testclock.Clock

func newTestClock() *testClock { return testclock.New() }

// bearer returns the token of an Authorization response header.
func bearer(t *testing.T, r *reply) string {
	t.Helper()
	h := r.header.Get("Authorization")
	if !strings.HasPrefix(h, "Bearer ") || strings.Count(h, ".") != 2 {
		t.Fatalf("Authorization response header %q (body %s)", h, r.raw)
	}
	return strings.TrimPrefix(h, "Bearer ")
}

// Seed 003: Toggle's loginUser query, sent verbatim to /toggle; the token
// comes back in the Authorization header and slides.
func TestSeed003Toggle(t *testing.T) {
	doc := seed(t, "003")
	clock := newTestClock()
	s := newServer(t, options{now: clock.Now})
	const path = "/toggle"
	login := operation(t, doc, "query($email:String", 0)

	for name, vars := range map[string]map[string]any{
		"email":    {"email": "alice@example.com", "password": "alice-password"},
		"username": {"username": "alice", "password": "alice-password"},
	} {
		r := s.post(path, login, vars)
		if !jsonEqual(t, r.raw, `{"data": {"loginUser": {"id": "1"}}}`) {
			t.Fatalf("loginUser by %s: %s", name, r.raw)
		}
		bearer(t, r)
		if !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "Authorization") {
			t.Errorf("Authorization is not exposed to browsers: %v", r.header)
		}
	}
	r := s.post(path, login, map[string]any{"username": "alice", "password": "wrong"})
	if r.get("data", "loginUser") != nil || r.header.Get("Authorization") != "" || r.get("errors", 0, "customer_facing") != false {
		t.Fatalf("failed login: %s", r.raw)
	}

	r = s.post(path, login, map[string]any{"email": "bob@example.com", "password": "bob-password"})
	token := bearer(t, r)
	id, err := s.app.services[path].Verify(ctxBackground, token)
	if err != nil {
		t.Fatal(err)
	}
	if got := id.ExpiresAt.Sub(id.IssuedAt); got != time.Hour {
		t.Errorf("token lifetime %v, want 60 minutes", got)
	}

	// "Authorization: Bearer" on each request.
	protected := "query {\n  me {\n    id\n  }\n}"
	r = s.post(path, protected, nil, "Authorization", "Bearer "+token)
	if !jsonEqual(t, r.raw, `{"data": {"me": {"id": "2"}}}`) || r.header.Get("Authorization") != "" {
		t.Fatalf("authenticated request: %s %v", r.raw, r.header)
	}

	// Authentication failure: the documented body. Every documented member
	// is there as documented; gqljwt adds path and extensions.code to the
	// error, and graphql-go the "data": {"me": null} that the GraphQL
	// specification asks for once execution has started (the seed shows
	// only "errors").
	r = s.post(path, protected, nil)
	documented := map[string]any{
		"message":         "Unauthorized",
		"locations":       []any{map[string]any{"line": float64(2), "column": float64(3)}},
		"customer_facing": false,
	}
	errs, _ := r.get("errors").([]any)
	if len(errs) != 1 {
		t.Fatalf("unauthorized: %s", r.raw)
	}
	for k, v := range documented {
		if !jsonEqual(t, mustJSON(t, errs[0].(map[string]any)[k]), mustJSON(t, v)) {
			t.Errorf("unauthorized: %s is %v, want %v (%s)", k, errs[0].(map[string]any)[k], v, r.raw)
		}
	}
	if r.str("errors", 0, "extensions", "code") != "UNAUTHENTICATED" || !jsonEqual(t, mustJSON(t, r.get("data")), `{"me": null}`) {
		t.Errorf("unauthorized: %s", r.raw)
	}

	// Sliding refresh: 55 minutes in, the response carries a fresh token.
	clock.Advance(45 * time.Minute)
	r = s.post(path, protected, nil, "Authorization", "Bearer "+token)
	if r.header.Get("Authorization") != "" {
		t.Errorf("renewed 15 minutes before expiry: %v", r.header)
	}
	clock.Advance(10 * time.Minute)
	r = s.post(path, protected, nil, "Authorization", "Bearer "+token)
	fresh := bearer(t, r)
	if fresh == token || !jsonEqual(t, r.raw, `{"data": {"me": {"id": "2"}}}`) {
		t.Fatalf("sliding refresh: %s", r.raw)
	}
	clock.Advance(10 * time.Minute) // the old token has expired, the fresh one works
	if r := s.post(path, protected, nil, "Authorization", "Bearer "+token); r.str("errors", 0, "extensions", "reason") != "TOKEN_EXPIRED" {
		t.Errorf("old token after expiry: %s", r.raw)
	}
	if r := s.post(path, protected, nil, "Authorization", "Bearer "+fresh); !jsonEqual(t, r.raw, `{"data": {"me": {"id": "2"}}}`) {
		t.Errorf("fresh token: %s", r.raw)
	}
}
