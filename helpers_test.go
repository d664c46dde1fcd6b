package gqljwt_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/internal/testclock"
)

var testSecret = []byte("test-secret-0123456789abcdef-0123456789")

// clock is the tests' settable clock.
type clock = testclock.Clock

func newClock() *clock { return testclock.New() }

func mustService(t testing.TB, cfg gqljwt.Config) *gqljwt.Service {
	t.Helper()
	if cfg.Secret == nil && cfg.SigningKey.Secret == nil && cfg.SigningKey.Private == nil {
		cfg.Secret = testSecret
	}
	s, err := gqljwt.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// forge signs arbitrary header and claims with HMAC-SHA256 and secret, the
// way an attacker (or a foreign issuer) would, bypassing gqljwt entirely.
func forge(t testing.TB, header, claims map[string]any, secret []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return signHS(b64(h)+"."+b64(c), secret)
}

// signHS appends an HMAC-SHA256 signature to a JWS signing input.
func signHS(signing string, secret []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + b64(mac.Sum(nil))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// validClaims are claims gqljwt itself would issue at now.
func validClaims(now time.Time) map[string]any {
	return map[string]any{
		"sub": "42", "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		"jti": "jti-" + now.Format("150405.000000000"), "typ": "access", "username": "alice",
		"sid": "c2Vzc2lvbi1vZi1hbGljZQ", // the shape of randomID(16)
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func codeOf(err error) gqljwt.Code { return gqljwt.CodeOf(err) }
