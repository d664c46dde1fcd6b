package gqljwt

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
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
	if n := s.verified.len(); n < 1 || n > 3 {
		t.Errorf("cache holds %d entries, want 1 to 3", n)
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
	e, found := s.verified.get(tok.Value, new([cacheTextBytes]byte))
	if !found {
		t.Fatal("verified token not cached")
	}
	if until := time.Unix(e.exp-int64(e.untilBefore), 0); until.After(tok.ExpiresAt) {
		t.Errorf("cache entry served until %v, after the token expires (%v)", until, tok.ExpiresAt)
	}
}

// TestIdentityFromPayload: the identity read in readPayload's pass, for
// the claims gqljwt reads and the types they may have.
func TestIdentityFromPayload(t *testing.T) {
	s, err := New(Config{Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	const sid = "AAECAwQFBgcICQoLDA0ODw"
	base := `{"sub":"u1","jti":"j1","iat":1000,"exp":2000,"sid":"` + sid + `"%s}`
	every := `,"username":"ann","roles":["admin","reader"],"scope":"read write","scp":["write","admin:all"],"origIat":500,"ver":3`
	tests := []struct {
		name, extra string
		ok          bool
		want        func(id *Identity)
	}{
		{"every claim", every, true, func(id *Identity) {}},
		{"no private claims", "", true, func(id *Identity) {
			id.Username, id.Roles, id.Scopes, id.OriginalIssuedAt, id.TokenVersion = "", nil, []string{}, id.IssuedAt, 0
		}},
		{"one role as a string", `,"username":"ann","roles":"admin","scope":"read write","scp":["write","admin:all"],"origIat":500,"ver":3`, true, func(id *Identity) {
			id.Roles = []string{"admin"}
		}},
		{"escapes", `,"username":"\u0061nn","roles":["\u0061dmin","reader"],"scope":"read\twrite","scp":["write","admin:all"],"origIat":500,"ver":3`, true, func(id *Identity) {}},
		{"many roles and scopes", `,"roles":["a","b","c","d","e"],"scope":"x y","scp":["y","z","z"]`, true, func(id *Identity) {
			id.Username, id.OriginalIssuedAt, id.TokenVersion = "", id.IssuedAt, 0
			id.Roles, id.Scopes = []string{"a", "b", "c", "d", "e"}, []string{"x", "y", "z"}
		}},
		{"empty roles", `,"roles":[]`, true, func(id *Identity) {
			id.Username, id.Scopes, id.OriginalIssuedAt, id.TokenVersion = "", []string{}, id.IssuedAt, 0
			id.Roles = []string{}
		}},
		{"username not a string", `,"username":7`, false, nil},
		{"username null", `,"username":null`, false, nil},
		{"scope an array", `,"scope":["read"]`, false, nil},
		{"a role not a string", `,"roles":["admin",1]`, false, nil},
		{"roles an object", `,"roles":{"admin":true}`, false, nil},
		{"roles null", `,"roles":null`, false, nil},
		{"scp a number", `,"scp":1`, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(base, tt.extra)))
			var stack [payloadStackBuffer]byte
			var c payloadClaims
			buf, ok := readPayload(stack[:], payload, &c, &s.names)
			if !ok {
				t.Fatal("readPayload refused the payload")
			}
			id, _, ok := s.identityFromPayload("raw", buf, &c, s.ring.Load(), nil)
			if ok != tt.ok {
				t.Fatalf("ok %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			id.parsed, id.ring = nil, nil
			want := &Identity{Subject: "u1", Username: "ann", Roles: []string{"admin", "reader"}, Scopes: []string{"read", "write", "admin:all"},
				TokenID: "j1", SessionID: sid, Token: "raw", IssuedAt: time.Unix(1000, 0).UTC(), ExpiresAt: time.Unix(2000, 0).UTC(),
				OriginalIssuedAt: time.Unix(500, 0).UTC(), TokenVersion: 3, sessionKey: "sid:" + sid}
			tt.want(want)
			if !reflect.DeepEqual(id, want) {
				t.Errorf("identity\n got %+v\nwant %+v", id, want)
			}
		})
	}
	if got := sessionRevocationKey(sid); got != sessionKeyPrefix+sid {
		t.Errorf("sessionRevocationKey = %q, want the prefix the identity builds", got)
	}
}

// TestCacheHitIdentity: a cache hit builds the identity full verification
// built, and Identity.JWT reads only a string whose signature verifies.
func TestCacheHitIdentity(t *testing.T) {
	s, err := New(Config{Secret: []byte("0123456789abcdef0123456789abcdef"), Issuer: "iss", Audience: "aud"})
	if err != nil {
		t.Fatal(err)
	}
	u := &User{ID: "7", Username: "ann", Roles: []string{"a", "b", "c"}, Scopes: []string{"x", "y"}}
	tok, err := s.IssueAccessToken(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	full, err := s.Verify(context.Background(), tok.Value)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.verified.get(tok.Value, new([cacheTextBytes]byte)); !ok {
		t.Fatal("not cached")
	}
	hit, err := s.Verify(context.Background(), tok.Value)
	if err != nil {
		t.Fatal(err)
	}
	if full.JWT() == nil || hit.JWT() == nil {
		t.Fatal("JWT() nil for a verified token")
	}
	a, b := *full, *hit
	a.parsed, b.parsed = nil, nil
	if !reflect.DeepEqual(a, b) {
		t.Errorf("cache hit\n got %+v\nwant %+v", b, a)
	}
	// A string that is not what was signed: JWT refuses to read it.
	forged := *hit
	forged.parsed = &lazyToken{}
	forged.Token = tok.Value[:len(tok.Value)-2] + "AA"
	if forged.JWT() != nil {
		t.Error("JWT() read a token whose signature does not verify")
	}
}
