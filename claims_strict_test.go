package gqljwt

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestDecodeCanonical: the table decoder agrees with encoding/base64 on
// every length, remainders included.
func TestDecodeCanonical(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 200; n++ {
		want := make([]byte, n)
		for i := range want {
			want[i] = byte(r.Uint32())
		}
		seg := base64.RawURLEncoding.EncodeToString(want)
		got := make([]byte, len(seg)*3/4)
		decodeCanonical(got, seg)
		if !bytes.Equal(got, want) {
			t.Fatalf("length %d: decoded %x, want %x", n, got, want)
		}
	}
}

// strictSeeds are payloads around the edges of what strictPayload accepts.
var strictSeeds = []string{
	`{"exp":1900000000,"iat":1800000000,"jti":"j","sid":"AAECAwQFBgcICQoLDA0ODw","sub":"1","typ":"access"}`,
	`{"sid":"AAECAwQFBgcICQoLDA0ODw","x":{"a":[1,2.5e-3,true,null,"\ud83d\ude00"]}}`,
	`{"sid":"AAECAwQFBgcICQoLDA0ODw","s\u0069d":"AAECAwQFBgcICQoLDA0ODw"}`,
	`{"sid":"AAECAwQFBgcICQoLDA0ODw"} {}`,
	`{"sid":"AAECAwQFBgcICQoLDA0ODw","exp":"1"}`,
	` { "sid" : "AAECAwQFBgcICQoLDA0ODw" , "aud" : [ "a" ] } `,
	`{"sid":"AAECAwQFBgcICQoLDA0ODw","a":-0.0e+0,"b":"\"\\\/\b\f\n\r\t"}`,
}

// FuzzStrictPayload: whatever strictPayload accepts is one valid JSON
// object with no duplicate member names at any depth and a sid of the
// issued shape, as encoding/json reads it. The scanner is hand-written;
// encoding/json is the reference it must never be laxer than.
func FuzzStrictPayload(f *testing.F) {
	for _, s := range strictSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		if !strictPayload(base64.RawURLEncoding.EncodeToString(payload)) {
			return
		}
		if !json.Valid(payload) {
			t.Fatalf("accepted invalid JSON %q", payload)
		}
		var m map[string]any
		if err := json.Unmarshal(payload, &m); err != nil {
			t.Fatalf("accepted %q, which is not an object: %v", payload, err)
		}
		if sid, _ := m["sid"].(string); !isSessionID([]byte(sid)) {
			t.Fatalf("accepted %q with sid %q", payload, m["sid"])
		}
		for _, k := range []string{"exp", "iat", "nbf", "origIat", "ver"} {
			if v, found := m[k]; found {
				if n, ok := v.(float64); !ok || n < 0 || n != float64(int64(n)) {
					t.Fatalf("accepted %q with %s %v", payload, k, v)
				}
			}
		}
		if dup := duplicateMember(json.NewDecoder(bytes.NewReader(payload))); dup != "" {
			t.Fatalf("accepted %q, which names %q twice", payload, dup)
		}
	})
}

// duplicateMember walks one JSON value and returns a member name that an
// object in it holds twice, or "".
func duplicateMember(dec *json.Decoder) string {
	tok, err := dec.Token()
	if err != nil {
		return ""
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, _ := dec.Token()
			name, _ := k.(string)
			if seen[name] {
				return name
			}
			seen[name] = true
			if d := duplicateMember(dec); d != "" {
				return d
			}
		}
		_, _ = dec.Token()
	case json.Delim('['):
		for dec.More() {
			if d := duplicateMember(dec); d != "" {
				return d
			}
		}
		_, _ = dec.Token()
	}
	return ""
}

// TestStrictPayloadSeeds pins what the fuzz seeds are, so that the target
// starts from both sides of the line.
func TestStrictPayloadSeeds(t *testing.T) {
	want := []bool{true, true, false, false, false, true, true}
	for i, s := range strictSeeds {
		if got := strictPayload(base64.RawURLEncoding.EncodeToString([]byte(s))); got != want[i] {
			t.Errorf("seed %q: accepted %v, want %v", s, got, want[i])
		}
	}
	// Past the pairwise set a map takes over for duplicate detection:
	// many distinct members pass, and a duplicate among them is still
	// found. (What it costs is BenchmarkStrictPayload's to show.)
	var b strings.Builder
	b.WriteString(`{"sid":"AAECAwQFBgcICQoLDA0ODw"`)
	for i := 0; b.Len() < 6000; i++ {
		b.WriteString(`,"` + base64.RawURLEncoding.EncodeToString([]byte{byte(i), byte(i >> 8)}) + `":0`)
	}
	big := b.String() + "}"
	if !strictPayload(base64.RawURLEncoding.EncodeToString([]byte(big))) {
		t.Fatal("payload of many distinct members refused")
	}
	dup := big[:len(big)-1] + `,"AAA":1}`
	if !strings.Contains(big, `"AAA":0`) || strictPayload(base64.RawURLEncoding.EncodeToString([]byte(dup))) {
		t.Fatal("a duplicate among many members accepted")
	}
	seg := base64.RawURLEncoding.EncodeToString([]byte(strictSeeds[0]))
	if n := testing.AllocsPerRun(100, func() { strictPayload(seg) }); n != 0 {
		t.Errorf("the usual payload costs %v allocations", n)
	}
}

// BenchmarkStrictPayload is the strict reading's share of a cold
// verification, on the payload of a token as gqljwt issues it.
func BenchmarkStrictPayload(b *testing.B) {
	s, err := New(Config{Secret: []byte("bench-strict-secret-0123456789abcdef")})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := s.IssueAccessToken(context.Background(), &User{ID: "user-1", Username: "user-1", Roles: []string{"reader", "editor"}})
	if err != nil {
		b.Fatal(err)
	}
	payload := strings.Split(tok.Value, ".")[1]
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if !strictPayload(payload) {
			b.Fatal("refused")
		}
	}
}
