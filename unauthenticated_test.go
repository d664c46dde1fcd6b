package gqljwt_test

import (
	"errors"
	"testing"

	"github.com/gqljwt/gqljwt"
)

// TestUnauthenticated: the one mapping from "why there is no identity" to
// the client's error, which middleware, mutations and directives share.
func TestUnauthenticated(t *testing.T) {
	cases := []struct {
		why          error
		code, reason gqljwt.Code
	}{
		{gqljwt.ErrNoToken, gqljwt.CodeUnauthenticated, ""},
		{gqljwt.ErrUnauthenticated, gqljwt.CodeUnauthenticated, ""},
		{gqljwt.ErrTokenExpired, gqljwt.CodeUnauthenticated, gqljwt.CodeTokenExpired},
		{gqljwt.ErrTokenInvalid.WithCause(errors.New("bad signature")), gqljwt.CodeUnauthenticated, gqljwt.CodeTokenInvalid},
		{gqljwt.ErrTokenRevoked, gqljwt.CodeUnauthenticated, gqljwt.CodeTokenRevoked},
		{gqljwt.ErrUnavailable, gqljwt.CodeUnavailable, ""},
		{errors.New("foreign"), gqljwt.CodeUnauthenticated, ""},
		{nil, gqljwt.CodeUnauthenticated, ""},
	}
	for _, c := range cases {
		e := gqljwt.Unauthenticated(c.why)
		if e.Code != c.code || e.Reason != c.reason {
			t.Errorf("%v: %s/%s, want %s/%s", c.why, e.Code, e.Reason, c.code, c.reason)
		}
		if c.code == gqljwt.CodeUnauthenticated && e.Message != "Unauthorized" {
			t.Errorf("%v: message %q", c.why, e.Message)
		}
		if e == gqljwt.ErrUnauthenticated {
			t.Errorf("%v: the sentinel itself came back; a caller could change it", c.why)
		}
	}
}
