package gqljwt

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"
)

// TestHeaderPin checks the algorithm pin on its own, without jwx behind it.
func TestHeaderPin(t *testing.T) {
	cfg, err := Config{Secret: []byte("0123456789abcdef0123456789abcdef"), VerificationKeys: []Key{{ID: "old", Secret: []byte("fedcba9876543210fedcba9876543210")}}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := newKeyring(cfg)
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
