package gqljwt

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"
)

// TestPeekIssuer: the router finds the top-level iss only, and refuses
// what it could misread rather than guess.
func TestPeekIssuer(t *testing.T) {
	cases := []struct {
		payload string
		iss     string
		ok      bool
	}{
		{`{"iss":"https://a.example","sub":"1"}`, "https://a.example", true},
		{` { "sub" : "1" , "iss" : "https://a.example" } `, "https://a.example", true},
		{`{"sub":"1"}`, "", true},
		{`{}`, "", true},
		{`{"iss":"https:\/\/a.example"}`, "https://a.example", true},
		{`{"x":{"iss":"https://b.example"},"iss":"https://a.example"}`, "https://a.example", true},
		{`{"x":["iss",{"iss":"b"}],"y":"},\"iss\":\"b","iss":"a"}`, "a", true},
		{`{"x":{"iss":"https://b.example"}}`, "", true},
		{`{"iss":"a","iss":"b"}`, "", false},
		{`{"i\u0073s":"b"}`, "", false},
		{`{"iss":1}`, "", false},
		{`{"iss":"a"`, "", false},
		{`["iss","a"]`, "", false},
		{`{"iss":"a",}`, "", false},
		{`{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":{"l":{"m":{"n":{"o":{"p":{"q":1}}}}}}}}}}}}}}}}}`, "", false},
	}
	for _, tc := range cases {
		tok := "e30." + base64.RawURLEncoding.EncodeToString([]byte(tc.payload)) + ".c2ln"
		iss, ok := peekIssuer(tok, DefaultMaxTokenSize)
		if iss != tc.iss || ok != tc.ok {
			t.Errorf("peekIssuer(%s) = %q, %v; want %q, %v", tc.payload, iss, ok, tc.iss, tc.ok)
		}
	}
	for _, tok := range []string{"", "a", "a.b", "e30.e30", "e30.!!.c2ln", "e30.e30x.c2ln"} {
		if _, ok := peekIssuer(tok, DefaultMaxTokenSize); ok {
			t.Errorf("peekIssuer(%q) accepted it", tok)
		}
	}
}

// FuzzPeekIssuer: whenever the router names an iss, a JSON reader of the
// same payload finds that iss at the top level: a token is never routed
// by an iss its verifier would not read.
func FuzzPeekIssuer(f *testing.F) {
	for _, s := range []string{`{"iss":"a","sub":"1"}`, `{"x":{"iss":"b"},"iss":"a"}`, `{"iss":"a\/b"}`, `{"y":"\"iss\":1","iss":"c"}`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		tok := "e30." + base64.RawURLEncoding.EncodeToString(payload) + ".c2ln"
		iss, ok := peekIssuer(tok, 1<<20)
		if !ok || !utf8.Valid(payload) {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(payload, &m) != nil {
			return // the verifier refuses it
		}
		var want string
		if raw, has := m["iss"]; has && json.Unmarshal(raw, &want) != nil {
			t.Fatalf("peekIssuer(%s) = %q, but iss is %s", payload, iss, raw)
		}
		if iss != want {
			t.Fatalf("peekIssuer(%s) = %q, a JSON reader sees %q", payload, iss, want)
		}
	})
}

// acceptingIssuer is an ExternalIssuer that takes every token it is
// given and counts them.
type acceptingIssuer struct{ calls int }

func (*acceptingIssuer) Issuer() string { return "https://ext.example" }
func (x *acceptingIssuer) Verify(context.Context, string) (*Identity, error) {
	x.calls++
	return &Identity{Subject: "ext", ExpiresAt: time.Now().Add(time.Hour)}, nil
}
func (*acceptingIssuer) Current(context.Context, string) error { return nil }

// TestExternalRoutingNeedsCanonicalForm: a token that is not in canonical
// compact form (a line break in its payload, which base64's decoder
// skips) is refused before its iss routes it to an external issuer.
func TestExternalRoutingNeedsCanonicalForm(t *testing.T) {
	x := &acceptingIssuer{}
	s, err := New(Config{Secret: []byte("0123456789abcdef0123456789abcdef"), Issuers: []ExternalIssuer{x}})
	if err != nil {
		t.Fatal(err)
	}
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"https://ext.example","sub":"ext"}`))
	good := "eyJhbGciOiJSUzI1NiJ9." + payload + ".c2ln"
	if _, err := s.Verify(context.Background(), good); err != nil || x.calls != 1 {
		t.Fatalf("a canonical token: %v, %d calls; want it routed to the issuer", err, x.calls)
	}
	broken := "eyJhbGciOiJSUzI1NiJ9." + payload[:8] + "\n" + payload[8:] + ".c2ln"
	if _, err := s.Verify(context.Background(), broken); CodeOf(err) != CodeTokenInvalid || x.calls != 1 {
		t.Errorf("a token with a line break: %v, %d calls; want %s and no call", err, x.calls, CodeTokenInvalid)
	}
}
