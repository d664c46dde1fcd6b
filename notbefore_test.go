package gqljwt_test

import (
	"context"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

// TestNotBefore: with Config.NotBefore a token carries nbf = iat, and our
// own verification, strict payload check included, accepts it at once and
// for as long as it lives; without it, no nbf is written.
func TestNotBefore(t *testing.T) {
	ctx := context.Background()
	u := &gqljwt.User{ID: "42", Username: "alice"}
	for _, on := range []bool{true, false} {
		c := newClock()
		s := mustService(t, gqljwt.Config{Now: c.Now, NotBefore: on, Issuer: "https://example.com"})
		tok, err := s.IssueAccessToken(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		nbf, ok := tok.Claims["nbf"]
		if on && nbf != c.Now().Unix() || !on && ok {
			t.Errorf("NotBefore %v: nbf %v, iat %v", on, nbf, tok.Claims["iat"])
		}
		id, err := s.Verify(ctx, tok.Value)
		if err != nil {
			t.Fatalf("NotBefore %v: %v", on, err)
		}
		if got, ok := id.Claims()["nbf"]; on && got != c.Now().Unix() || !on && ok {
			t.Errorf("NotBefore %v: verified nbf %v", on, got)
		}
		c.Advance(10 * time.Minute)
		if _, err := s.Verify(ctx, tok.Value); err != nil {
			t.Errorf("NotBefore %v, 10 min on: %v", on, err)
		}
	}
}
