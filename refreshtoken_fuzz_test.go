package gqljwt

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"
)

// FuzzRefreshToken: opening any text never panics and never accepts what
// was not issued under the key. Each input is also made into a token of its
// own (its bytes as family and subject where they fit), which must open to
// exactly what was put in, and fail to open once any one of its decoded
// bytes is changed or it is opened under another key.
func FuzzRefreshToken(f *testing.F) {
	key := bytes.Repeat([]byte{7}, MinRefreshTokenSecretLength)
	m := newRefreshMAC(key)
	other := newRefreshMAC(bytes.Repeat([]byte{8}, MinRefreshTokenSecretLength))
	good, err := m.issue("c2Vzc2lvbi1pZC0xMjM0NTY", "42", time.Unix(1_900_000_000, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("")
	f.Add("AQ")
	f.Add(good[:len(good)-1])
	f.Add(good + "A")
	f.Fuzz(func(t *testing.T, text string) {
		// Whatever the text, no panic; and the fixed key accepts nothing
		// the fuzzer wrote but a seed token (each fuzzing process issues
		// its own, with the seed's claims): a forgery would be a 128-bit
		// tag guessed, or a second encoding of a seed accepted.
		if claims, ok := m.open(text); ok {
			seed := claims.family == "c2Vzc2lvbi1pZC0xMjM0NTY" && claims.subject == "42" &&
				claims.expires.Equal(time.Unix(1_900_000_000, 0))
			raw, err := base64.RawURLEncoding.DecodeString(text)
			if !seed || err != nil || base64.RawURLEncoding.EncodeToString(raw) != text {
				t.Fatalf("opened a token never issued: %q -> %+v", text, claims)
			}
		}
		family, subject := text, text
		if len(family) == 0 || len(family) > maxRefreshFamily {
			family = "f"
		}
		if len(subject) > maxRefreshSubject {
			subject = ""
		}
		expires := time.Unix(0, int64(len(text))*int64(time.Hour))
		token, err := m.issue(family, subject, expires)
		if err != nil {
			t.Fatal(err)
		}
		claims, ok := m.open(token)
		if !ok || claims.family != family || claims.subject != subject || !claims.expires.Equal(expires) {
			t.Fatalf("issue(%q, %q, %v) opened as %+v, %v", family, subject, expires, claims, ok)
		}
		if _, ok := other.open(token); ok {
			t.Fatal("opened under another key")
		}
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			t.Fatal(err)
		}
		i := len(text) % len(raw)
		raw[i] ^= 1 << (len(text) % 8)
		if _, ok := m.open(base64.RawURLEncoding.EncodeToString(raw)); ok {
			t.Fatalf("opened with byte %d changed", i)
		}
	})
}
