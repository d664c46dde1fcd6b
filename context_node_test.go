package gqljwt_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/jwtauth/v5"

	"github.com/gqljwt/gqljwt"
)

// TestContextNodes: what each kind of context node answers. A verified
// node shadows whatever an outer node said (its error keys answer nil),
// NewContext given an identity and an error keeps both, and the bridge
// keys answer on every node.
func TestContextNodes(t *testing.T) {
	s := mustService(t, gqljwt.Config{})
	tok, err := s.IssueAccessToken(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	outer := gqljwt.NewContext(context.Background(), nil, nil, nil, gqljwt.ErrNoToken)
	id, err := s.Verify(ctx, tok.Value)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		ctx       context.Context
		subject   string // "" for no identity
		err       error  // what FromContext reports without one
		jwtErr    error  // jwtauth.ErrorCtxKey
		jwtToken  bool   // jwtauth.TokenCtxKey holds a token
		hasBridge bool
	}{
		{"cold", s.VerifiedContext(outer, w, r, tok.Value), alice.ID, nil, nil, true, true},
		{"cached", s.VerifiedContext(outer, w, r, tok.Value), alice.ID, nil, nil, true, true},
		{"refused", s.VerifiedContext(outer, w, r, tok.Value+"x"), "", gqljwt.ErrTokenInvalid, gqljwt.ErrTokenInvalid, false, true},
		{"no token", gqljwt.NewContext(outer, w, r, nil, gqljwt.ErrNoToken), "", gqljwt.ErrNoToken, gqljwt.ErrNoToken, false, true},
		{"identity", gqljwt.NewContext(outer, nil, nil, id, nil), alice.ID, nil, nil, true, false},
		{"identity and error", gqljwt.NewContext(outer, nil, nil, id, gqljwt.ErrTokenRevoked), alice.ID, nil, gqljwt.ErrTokenRevoked, true, false},
	}
	for _, tt := range tests {
		got, err := gqljwt.FromContext(tt.ctx)
		switch {
		case tt.subject == "" && (got != nil || codeOf(err) != codeOf(tt.err)):
			t.Errorf("%s: FromContext = %v, %v; want nil, %v", tt.name, got, err, tt.err)
		case tt.subject != "" && (got == nil || got.Subject != tt.subject || err != nil):
			t.Errorf("%s: FromContext = %v, %v; want %s", tt.name, got, err, tt.subject)
		}
		if e, _ := tt.ctx.Value(jwtauth.ErrorCtxKey).(error); codeOf(e) != codeOf(tt.jwtErr) || (e == nil) != (tt.jwtErr == nil) {
			t.Errorf("%s: jwtauth error %v, want %v", tt.name, e, tt.jwtErr)
		}
		if jt, _, _ := jwtauth.FromContext(tt.ctx); (jt != nil) != tt.jwtToken {
			t.Errorf("%s: jwtauth token %v, want one: %v", tt.name, jt, tt.jwtToken)
		}
		_, bridge := gqljwt.ResponseFromContext(tt.ctx)
		req, _ := gqljwt.RequestFromContext(tt.ctx)
		if bridge != tt.hasBridge || (req == r) != tt.hasBridge {
			t.Errorf("%s: response bridge %v, request %v; want %v", tt.name, bridge, req == r, tt.hasBridge)
		}
		if got != nil && got == id {
			t.Errorf("%s: the context holds the caller's identity, not a copy", tt.name)
		}
	}
}

// TestWarmAllocations: a token seen before costs one allocation through
// Verify (the identity) and one through VerifiedContext (the context node
// holding it), with the revocation store and the version check on the way.
func TestWarmAllocations(t *testing.T) {
	users := versionsAt{v: 3}
	s := mustService(t, gqljwt.Config{Versions: users})
	tok, err := s.IssueAccessToken(ctx, &gqljwt.User{ID: "u1", Roles: []string{"a", "b"}, Scopes: []string{"c"}, TokenVersion: 3})
	if err != nil {
		t.Fatal(err)
	}
	// A revocation of another token: the store is not empty, so its
	// lookups run.
	other, _ := s.IssueAccessToken(ctx, &gqljwt.User{ID: "u2", TokenVersion: 3})
	otherID, err := s.Verify(ctx, other.Value)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAccessToken(ctx, otherID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ctx, tok.Value); err != nil {
		t.Fatal(err)
	}
	w, r := httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil)
	for name, tt := range map[string]struct {
		want float64
		fn   func() bool
	}{
		"Verify": {1, func() bool { id, err := s.Verify(ctx, tok.Value); return err == nil && id.Subject == "u1" }},
		"VerifiedContext": {1, func() bool {
			id, err := gqljwt.FromContext(s.VerifiedContext(ctx, w, r, tok.Value))
			return err == nil && id.Subject == "u1"
		}},
	} {
		ok := true
		if n := testing.AllocsPerRun(200, func() { ok = ok && tt.fn() }); n != tt.want || !ok {
			t.Errorf("%s: %v allocations (ok %v), want %v", name, n, ok, tt.want)
		}
	}
}

// versionsAt is a VersionStore with every user at v.
type versionsAt struct{ v uint64 }

func (s versionsAt) TokenVersion(context.Context, string) (uint64, error)     { return s.v, nil }
func (s versionsAt) BumpTokenVersion(context.Context, string) (uint64, error) { return s.v + 1, nil }
