package gqljwt_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/jwtauth/v5"
	"github.com/gqljwt/gqljwt"
)

var ctx = context.Background()

var alice = &gqljwt.User{ID: "42", Username: "alice", Roles: []string{"ADMIN"}, Scopes: []string{"read:posts", "write:posts"}, Active: true}

func TestIssueThenVerify(t *testing.T) {
	s := mustService(t, gqljwt.Config{})
	tok, err := s.IssueAccessToken(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	for _, pass := range []string{"first (full verification)", "second (cache)"} {
		id, err := s.Verify(ctx, tok.Value)
		if err != nil {
			t.Fatalf("%s: %v", pass, err)
		}
		if id.Subject != "42" || id.Username != "alice" || id.TokenID != tok.ID || id.Token != tok.Value {
			t.Errorf("%s: identity %+v", pass, id)
		}
		if strings.Join(id.Roles, ",") != "ADMIN" || strings.Join(id.Scopes, ",") != "read:posts,write:posts" {
			t.Errorf("%s: roles %v scopes %v", pass, id.Roles, id.Scopes)
		}
		if !id.ExpiresAt.Equal(tok.ExpiresAt) || !id.IssuedAt.Equal(tok.IssuedAt) || !id.OriginalIssuedAt.Equal(tok.IssuedAt) {
			t.Errorf("%s: times %v %v %v, token %v %v", pass, id.IssuedAt, id.ExpiresAt, id.OriginalIssuedAt, tok.IssuedAt, tok.ExpiresAt)
		}
		if got := tok.ExpiresAt.Sub(tok.IssuedAt); got != gqljwt.DefaultAccessTTL {
			t.Errorf("lifetime %v, want the 15 min default", got)
		}
	}
	claims := tok.Claims
	for _, k := range []string{"sub", "iat", "exp", "jti", "typ"} {
		if _, ok := claims[k]; !ok {
			t.Errorf("issued token lacks %q: %v", k, claims)
		}
	}
	if claims["typ"] != "access" || claims["scope"] != "read:posts write:posts" {
		t.Errorf("claims %v", claims)
	}
}

func TestVerifyRefusals(t *testing.T) {
	c := newClock()
	now := c.Now()
	s := mustService(t, gqljwt.Config{Now: c.Now, Issuer: "https://issuer.example", Audience: "api"})
	good := with(validClaims(now), "iss", "https://issuer.example", "aud", "api", "sid", strictSID)
	hs := map[string]any{"alg": "HS256", "typ": "JWT"}

	// The control: the forged-but-correctly-signed token passes, so every
	// refusal below is due to the one thing each case changes.
	if _, err := s.Verify(ctx, forge(t, hs, good, testSecret)); err != nil {
		t.Fatalf("control token refused: %v", err)
	}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
		code  gqljwt.Code
	}{
		{"expired", forge(t, hs, with(good, "exp", now.Add(-time.Minute).Unix()), testSecret), gqljwt.CodeTokenExpired},
		{"not yet valid", forge(t, hs, with(good, "nbf", now.Add(time.Hour).Unix()), testSecret), gqljwt.CodeTokenInvalid},
		{"iat in the future", forge(t, hs, with(good, "iat", now.Add(time.Hour).Unix()), testSecret), gqljwt.CodeTokenInvalid},
		{"wrong issuer", forge(t, hs, with(good, "iss", "https://evil.example"), testSecret), gqljwt.CodeTokenInvalid},
		{"no issuer", forge(t, hs, with(good, "iss", nil), testSecret), gqljwt.CodeTokenInvalid},
		{"wrong audience", forge(t, hs, with(good, "aud", "other"), testSecret), gqljwt.CodeTokenInvalid},
		{"refresh typ", forge(t, hs, with(good, "typ", "refresh"), testSecret), gqljwt.CodeTokenInvalid},
		{"no typ", forge(t, hs, with(good, "typ", nil), testSecret), gqljwt.CodeTokenInvalid},
		{"missing exp", forge(t, hs, with(good, "exp", nil), testSecret), gqljwt.CodeTokenInvalid},
		{"missing sub", forge(t, hs, with(good, "sub", nil), testSecret), gqljwt.CodeTokenInvalid},
		{"missing jti", forge(t, hs, with(good, "jti", nil), testSecret), gqljwt.CodeTokenInvalid},
		{"missing iat", forge(t, hs, with(good, "iat", nil), testSecret), gqljwt.CodeTokenInvalid},
		{"roles not strings", forge(t, hs, with(good, "roles", []any{1, 2}), testSecret), gqljwt.CodeTokenInvalid},
		{"wrong secret", forge(t, hs, good, []byte("another-secret-0123456789abcdef-xyz")), gqljwt.CodeTokenInvalid},
		{"alg none", forge(t, map[string]any{"alg": "none"}, good, testSecret), gqljwt.CodeTokenInvalid},
		{"alg None", forge(t, map[string]any{"alg": "None"}, good, testSecret), gqljwt.CodeTokenInvalid},
		{"alg NONE", forge(t, map[string]any{"alg": "NONE"}, good, testSecret), gqljwt.CodeTokenInvalid},
		{"alg nOnE", forge(t, map[string]any{"alg": "nOnE"}, good, testSecret), gqljwt.CodeTokenInvalid},
		{"alg none unsigned", strings.TrimRight(forge(t, map[string]any{"alg": "none"}, good, testSecret), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"), gqljwt.CodeTokenInvalid},
		{"alg hs256 lower case", forge(t, map[string]any{"alg": "hs256"}, good, testSecret), gqljwt.CodeTokenInvalid},
		{"alg HS512 header", forge(t, map[string]any{"alg": "HS512"}, good, testSecret), gqljwt.CodeTokenInvalid},
		{"alg RS256 header over HMAC", forge(t, map[string]any{"alg": "RS256"}, good, testSecret), gqljwt.CodeTokenInvalid},
		{"no alg", forge(t, map[string]any{"typ": "JWT"}, good, testSecret), gqljwt.CodeTokenInvalid},
		{"duplicate alg", forgeRawHeader(t, `{"alg":"HS256","alg":"none"}`, good), gqljwt.CodeTokenInvalid},
		{"crit header", forge(t, map[string]any{"alg": "HS256", "crit": []string{"exp"}}, good, testSecret), gqljwt.CodeTokenInvalid},
		{"unknown kid", forge(t, map[string]any{"alg": "HS256", "kid": "nope"}, good, testSecret), gqljwt.CodeTokenInvalid},
		{"empty", "", gqljwt.CodeTokenInvalid},
		{"two segments", "a.b", gqljwt.CodeTokenInvalid},
		{"four segments", "a.b.c.d", gqljwt.CodeTokenInvalid},
		{"padding", forge(t, hs, good, testSecret) + "=", gqljwt.CodeTokenInvalid},
		{"space inside", "eyJ hbGc.eyJ.sig", gqljwt.CodeTokenInvalid},
		{"json serialization", `{"payload":"x","signatures":[]}`, gqljwt.CodeTokenInvalid},
		{"over 8 KiB", forge(t, hs, with(good, "pad", strings.Repeat("x", 8<<10)), testSecret), gqljwt.CodeTokenInvalid},
		{"RS256 public key as HMAC secret", forge(t, map[string]any{"alg": "HS256"}, good, publicPEM(t, &rsaKey.PublicKey)), gqljwt.CodeTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := s.Verify(ctx, tt.token)
			if id != nil || err == nil {
				t.Fatalf("accepted: %+v", id)
			}
			if got := codeOf(err); got != tt.code {
				t.Fatalf("code %q (%v), want %q", got, err, tt.code)
			}
			var e *gqljwt.Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not *gqljwt.Error", err)
			}
			if strings.Contains(e.Message, tt.token) && tt.token != "" {
				t.Fatal("the message echoes the token")
			}
		})
	}
}

// forgeRawHeader signs a header given as raw JSON, for shapes json.Marshal
// cannot produce (duplicate keys).
func forgeRawHeader(t *testing.T, header string, claims map[string]any) string {
	t.Helper()
	payload := strings.SplitN(forge(t, map[string]any{}, claims, testSecret), ".", 3)[1]
	return signHS(b64([]byte(header))+"."+payload, testSecret)
}

func publicPEM(t *testing.T, pub *rsa.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// TestKeyConfusion: an RS256 service must refuse an HS256 token signed
// with its own public key (the classic alg-confusion attack), whatever form
// of the public key the attacker used as the HMAC secret.
func TestKeyConfusion(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	c := newClock()
	s := mustService(t, gqljwt.Config{Algorithm: gqljwt.RS256, SigningKey: gqljwt.Key{ID: "k1", Private: key}, Now: c.Now})
	good, err := s.IssueAccessToken(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ctx, good.Value); err != nil {
		t.Fatalf("RS256 token refused: %v", err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	// The claims are valid (sid included): only the key can be the reason
	// for a refusal.
	claims := with(validClaims(c.Now()), "sid", strictSID)
	if _, err := s.Verify(ctx, forge(t, map[string]any{"alg": "RS256", "kid": "k1"}, claims, []byte("any"))); codeOf(err) != gqljwt.CodeTokenInvalid {
		t.Fatalf("RS256 header with an HMAC signature: %v", err)
	}
	for name, secret := range map[string][]byte{"PEM": publicPEM(t, &key.PublicKey), "DER": der, "PKCS1": x509.MarshalPKCS1PublicKey(&key.PublicKey)} {
		for _, hdr := range []map[string]any{{"alg": "HS256", "kid": "k1"}, {"alg": "RS256", "kid": "k1"}} {
			_, err := s.Verify(ctx, forge(t, hdr, claims, secret))
			if codeOf(err) != gqljwt.CodeTokenInvalid {
				t.Errorf("%s secret, header %v: %v, want TOKEN_INVALID", name, hdr, err)
			}
		}
	}
}

func TestAsymmetricAlgorithms(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		alg string
		key gqljwt.Key
	}{
		{gqljwt.RS256, gqljwt.Key{ID: "r", Private: rsaKey}},
		{gqljwt.ES256, gqljwt.Key{ID: "e", Private: ecKey}},
		{gqljwt.EdDSA, gqljwt.Key{Private: edKey}},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			s := mustService(t, gqljwt.Config{Algorithm: tc.alg, SigningKey: tc.key})
			tok, err := s.IssueAccessToken(ctx, alice)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Verify(ctx, tok.Value); err != nil {
				t.Fatalf("verify: %v", err)
			}
			// A verification-only service holding just the public key
			// accepts it too: what a resource server does.
			verifier := mustService(t, gqljwt.Config{Algorithm: tc.alg, SigningKey: gqljwt.Key{ID: "other", Private: otherKey(t, tc.alg)},
				VerificationKeys: []gqljwt.Key{{ID: tc.key.ID, Public: tc.key.Private.Public()}}})
			if _, err := verifier.Verify(ctx, tok.Value); err != nil {
				t.Fatalf("verify with public key only: %v", err)
			}
		})
	}
}

func otherKey(t *testing.T, alg string) crypto.Signer {
	t.Helper()
	switch alg {
	case gqljwt.RS256:
		k, _ := rsa.GenerateKey(rand.Reader, 2048)
		return k
	case gqljwt.ES256:
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return k
	default:
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		return k
	}
}

func TestKidRotation(t *testing.T) {
	oldKey := gqljwt.Key{ID: "2026-01", Secret: []byte("old-secret-0123456789abcdef-0123456789")}
	newKey := gqljwt.Key{ID: "2026-02", Secret: []byte("new-secret-0123456789abcdef-0123456789")}
	s := mustService(t, gqljwt.Config{SigningKey: oldKey})
	oldTok, err := s.IssueAccessToken(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ctx, oldTok.Value); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(oldTok.Value, b64([]byte(`{"alg":"HS256","kid":"2026-01","typ":"JWT"}`))) {
		t.Fatalf("header does not carry the kid: %s", oldTok.Value)
	}

	// Rotate: sign with the new key, keep verifying the old one.
	if err := s.RotateKeys(newKey, oldKey); err != nil {
		t.Fatal(err)
	}
	newTok, err := s.IssueAccessToken(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"old": oldTok.Value, "new": newTok.Value} {
		if _, err := s.Verify(ctx, tok); err != nil {
			t.Errorf("%s token after rotation: %v", name, err)
		}
	}
	// A token claiming the new kid but signed with the old secret fails:
	// the kid selects the key, it does not widen the set.
	swapped := forge(t, map[string]any{"alg": "HS256", "kid": "2026-02"}, with(validClaims(time.Now()), "sid", strictSID), oldKey.Secret)
	if _, err := s.Verify(ctx, forge(t, map[string]any{"alg": "HS256", "kid": "2026-01"}, with(validClaims(time.Now()), "sid", strictSID), oldKey.Secret)); err != nil {
		t.Fatalf("the same claims under the right kid: %v", err)
	}
	if _, err := s.Verify(ctx, swapped); codeOf(err) != gqljwt.CodeTokenInvalid {
		t.Errorf("kid/key mismatch: %v", err)
	}

	// Remove the old key: its tokens are refused at once, although the old
	// token is in the verified-token cache.
	if err := s.RotateKeys(newKey); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ctx, oldTok.Value); codeOf(err) != gqljwt.CodeTokenInvalid {
		t.Errorf("old token after its key was removed: %v", err)
	}
	if _, err := s.Verify(ctx, newTok.Value); err != nil {
		t.Errorf("new token: %v", err)
	}
	// A bad rotation is refused and leaves the keys in place.
	if err := s.RotateKeys(gqljwt.Key{ID: "short", Secret: []byte("short")}); err == nil {
		t.Fatal("short secret accepted by RotateKeys")
	}
	if _, err := s.Verify(ctx, newTok.Value); err != nil {
		t.Errorf("after refused rotation: %v", err)
	}
}

func TestErrorsAreUsableWithErrorsIs(t *testing.T) {
	c := newClock()
	s := mustService(t, gqljwt.Config{Now: c.Now})
	tok, _ := s.IssueAccessToken(ctx, alice)
	c.Advance(time.Hour)
	_, err := s.Verify(ctx, tok.Value)
	if !errors.Is(err, gqljwt.ErrTokenExpired) || errors.Is(err, gqljwt.ErrTokenInvalid) {
		t.Errorf("errors.Is expired: %v", err)
	}
	if !errors.Is(err, jwtauth.ErrExpired) {
		t.Errorf("the jwtauth cause is not reachable: %v", err)
	}
	_, err = s.Verify(ctx, "x.y.z")
	if !errors.Is(err, gqljwt.ErrTokenInvalid) || !errors.Is(err, jwtauth.ErrUnauthorized) {
		t.Errorf("invalid: %v", err)
	}
}

func TestErrorExtensions(t *testing.T) {
	tests := []struct {
		err  *gqljwt.Error
		msg  string
		ext  map[string]any
		code gqljwt.Code
	}{
		{gqljwt.ErrNoToken, "Unauthorized", map[string]any{"code": "UNAUTHENTICATED"}, gqljwt.CodeUnauthenticated},
		{gqljwt.ErrUnauthenticated, "Unauthorized", map[string]any{"code": "UNAUTHENTICATED"}, gqljwt.CodeUnauthenticated},
		{gqljwt.ErrForbidden, "You do not have permission to perform this action", map[string]any{"code": "FORBIDDEN"}, gqljwt.CodeForbidden},
		{gqljwt.ErrTokenExpired, "Token has expired", map[string]any{"code": "TOKEN_EXPIRED"}, gqljwt.CodeTokenExpired},
		{gqljwt.ErrTokenInvalid, "Invalid token", map[string]any{"code": "TOKEN_INVALID"}, gqljwt.CodeTokenInvalid},
		{gqljwt.ErrTokenRevoked, "Token has been revoked", map[string]any{"code": "TOKEN_REVOKED"}, gqljwt.CodeTokenRevoked},
		{gqljwt.ErrInvalidCredentials, "Please enter valid credentials", map[string]any{"code": "INVALID_CREDENTIALS"}, gqljwt.CodeInvalidCredential},
		{gqljwt.ErrTooManyAttempts, "Too many failed login attempts", map[string]any{"code": "TOO_MANY_ATTEMPTS"}, gqljwt.CodeTooManyAttempts},
		{gqljwt.ErrBadUserInput, "Invalid input", map[string]any{"code": "BAD_USER_INPUT"}, gqljwt.CodeBadUserInput},
		{gqljwt.ErrUnavailable, "Authentication is temporarily unavailable", map[string]any{"code": "AUTH_UNAVAILABLE"}, gqljwt.CodeUnavailable},
		{gqljwt.ErrInternal, "Internal server error", map[string]any{"code": "INTERNAL_SERVER_ERROR"}, gqljwt.CodeInternal},
		{&gqljwt.Error{Code: gqljwt.CodeUnauthenticated, Message: "Unauthorized", Reason: gqljwt.CodeTokenExpired}, "Unauthorized",
			map[string]any{"code": "UNAUTHENTICATED", "reason": "TOKEN_EXPIRED"}, gqljwt.CodeUnauthenticated},
		{&gqljwt.Error{Code: gqljwt.CodeTooManyAttempts, Message: "m", RetryAfter: 1500 * time.Millisecond}, "m",
			map[string]any{"code": "TOO_MANY_ATTEMPTS", "retryAfter": int64(2)}, gqljwt.CodeTooManyAttempts},
	}
	for _, tt := range tests {
		t.Run(string(tt.err.Code), func(t *testing.T) {
			if tt.err.Error() != tt.msg {
				t.Errorf("message %q, want %q", tt.err.Error(), tt.msg)
			}
			got := tt.err.Extensions()
			if len(got) != len(tt.ext) {
				t.Fatalf("extensions %v, want %v", got, tt.ext)
			}
			for k, v := range tt.ext {
				if got[k] != v {
					t.Errorf("extensions[%q] = %#v, want %#v", k, got[k], v)
				}
			}
			wrapped := errors.Join(errors.New("context"), tt.err.WithCause(errors.New("cause")))
			if gqljwt.CodeOf(wrapped) != tt.code || !errors.Is(wrapped, &gqljwt.Error{Code: tt.code}) {
				t.Errorf("code not found through wrapping")
			}
		})
	}
	if e := gqljwt.AsError(errors.New("db password is hunter2")); e.Code != gqljwt.CodeInternal || strings.Contains(e.Message, "hunter2") {
		t.Errorf("AsError leaks: %+v", e)
	}
}
