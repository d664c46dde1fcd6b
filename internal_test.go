package gqljwt

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"
)

// TestHeaderPin checks the algorithm pin on its own, without jwx behind it.
func TestHeaderPin(t *testing.T) {
	cfg, err := Config{Secret: []byte("0123456789abcdef0123456789abcdef"), VerificationKeys: []Key{{ID: "old", Secret: []byte("fedcba9876543210fedcba9876543210")}}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := newKeyring(cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		header string
		ok     bool
	}{
		{`{"alg":"HS256","typ":"JWT"}`, true},
		{`{"alg":"HS256","kid":"old"}`, true},
		{`{ "alg" : "HS256" }`, true}, // whitespace: full JSON parser
		{`{"alg":"HS\u0032\u0035\u0036"}`, true},
		{`{"alg":"none"}`, false},
		{`{"alg":"None"}`, false},
		{`{"alg":"NONE"}`, false},
		{`{"alg":"nOnE"}`, false},
		{`{"alg":"hs256"}`, false},
		{`{"alg":"RS256"}`, false},
		{`{"typ":"JWT"}`, false},
		{`{"alg":"HS256","alg":"none"}`, false},
		{`{"alg":"none","alg":"HS256"}`, false},
		{`{"alg":"HS256","kid":"old","kid":""}`, false},
		{`{"alg":"HS256","typ":"JWT","typ":"JWT"}`, false},
		{`{"alg":"HS256", "typ":"JWT", "typ":"JWT"}`, false},
		{`{"alg":"HS256", "kid":"old", "x":{"kid":"y"}}`, true},
		{`{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","alg":"HS256"}`, true},
		{`{"alg":"HS256","kid":"unknown"}`, false},
		{`{"alg":"HS256","crit":["exp"]}`, false},
		{`{"alg":"HS256","b64":false,"crit":["b64"]}`, false},
		{`{"alg":1}`, false},
		{`["alg","HS256"]`, false},
		{`{"alg":"HS256"`, false},
		{`{"alg":"HS256"}x`, false},
		{``, false},
	}
	for _, tt := range tests {
		token := base64.RawURLEncoding.EncodeToString([]byte(tt.header)) + ".e30.c2ln"
		if _, ok := ring.verifierFor(token); ok != tt.ok {
			t.Errorf("header %s: ok=%v, want %v", tt.header, ok, tt.ok)
		}
	}
}

// TestCacheIsBounded: past CacheEntries new tokens still verify, but are
// not held.
func TestCacheIsBounded(t *testing.T) {
	s, err := New(Config{Secret: []byte("0123456789abcdef0123456789abcdef"), CacheEntries: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		tok, err := s.IssueAccessToken(context.Background(), &User{ID: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(context.Background(), tok.Value); err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
	}
	if n := s.verified.c.ItemCount(); n != 3 {
		t.Errorf("cache holds %d entries, want 3", n)
	}
}

// TestCacheEntryExpiresWithToken: the cache never outlives the token.
func TestCacheEntryExpiresWithToken(t *testing.T) {
	s, err := New(Config{Secret: []byte("0123456789abcdef0123456789abcdef"), AccessTTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := s.IssueAccessToken(context.Background(), &User{ID: "1"})
	if _, err := s.Verify(context.Background(), tok.Value); err != nil {
		t.Fatal(err)
	}
	_, exp, found := s.verified.c.GetWithExpiration(tok.Value)
	if !found {
		t.Fatal("verified token not cached")
	}
	if exp.After(tok.ExpiresAt) {
		t.Errorf("cache entry expires at %v, after the token (%v)", exp, tok.ExpiresAt)
	}
}

// TestClaimReadersAgree: the identity read through jwx's private-claims map
// is the one read through Token.Get, which serves token types that do not
// expose the map.
func TestClaimReadersAgree(t *testing.T) {
	s, err := New(Config{Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	// getOnly hides PrivateClaims, leaving the Token interface.
	type getOnly struct{ jwt.Token }
	base := map[string]any{
		jwt.SubjectKey: "u1", jwt.JwtIDKey: "j1", jwt.IssuedAtKey: time.Unix(1000, 0), jwt.ExpirationKey: time.Unix(2000, 0),
		claimSessionID: "s1", "username": "ann", "roles": []any{"admin", "reader"},
		"scope": "read write", "scp": []any{"write", "admin:all"}, claimOriginalIssuedAt: float64(500), claimTokenVersion: float64(3),
	}
	tests := []struct {
		name   string
		change map[string]any
		ok     bool
	}{
		{"every claim", nil, true},
		{"one role as a string", map[string]any{"roles": "admin"}, true},
		{"no private claims", map[string]any{claimSessionID: nil, "username": nil, "roles": nil, "scope": nil, "scp": nil, claimOriginalIssuedAt: nil, claimTokenVersion: nil}, true},
		{"username not a string", map[string]any{"username": float64(7)}, false},
		{"a role not a string", map[string]any{"roles": []any{"admin", float64(1)}}, false},
		{"negative version", map[string]any{claimTokenVersion: float64(-1)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := jwt.New()
			for k, v := range base {
				if nv, changed := tt.change[k]; changed {
					v = nv
				}
				if v == nil {
					continue
				}
				if err := tok.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			fromMap, okMap := s.identityFromToken("raw", tok)
			fromGet, okGet := s.identityFromToken("raw", getOnly{tok})
			if okMap != tt.ok || okGet != tt.ok {
				t.Fatalf("ok: map %v, Get %v, want %v", okMap, okGet, tt.ok)
			}
			if !tt.ok {
				return
			}
			fromMap.parsed, fromGet.parsed = nil, nil
			if !reflect.DeepEqual(fromMap, fromGet) {
				t.Errorf("identities differ:\nmap %+v\nGet %+v", fromMap, fromGet)
			}
			if tt.change == nil {
				want := &Identity{Subject: "u1", Username: "ann", Roles: []string{"admin", "reader"}, Scopes: []string{"read", "write", "admin:all"},
					TokenID: "j1", SessionID: "s1", Token: "raw", IssuedAt: time.Unix(1000, 0).UTC(), ExpiresAt: time.Unix(2000, 0).UTC(),
					OriginalIssuedAt: time.Unix(500, 0), TokenVersion: 3, sessionKey: "sid:s1"}
				if !reflect.DeepEqual(fromMap, want) {
					t.Errorf("identity\n got %+v\nwant %+v", fromMap, want)
				}
			}
		})
	}
}
