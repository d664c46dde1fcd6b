package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"golang.org/x/crypto/bcrypt"
)

// newKeyedServer is newServer for configureKeys' output, with the JWKS
// mounted as main mounts it.
func newKeyedServer(t *testing.T, o options) *server {
	t.Helper()
	o.bcryptCost = bcrypt.MinCost
	a, err := newApp(o)
	if err != nil {
		t.Fatal(err)
	}
	a.serveJWKS()
	srv := httptest.NewServer(a.router)
	t.Cleanup(srv.Close)
	return &server{t: t, app: a, url: srv.URL}
}

// writePEM writes blocks to a file of their own and returns its path.
func writePEM(t *testing.T, blocks ...*pem.Block) string {
	t.Helper()
	var b strings.Builder
	for _, bl := range blocks {
		b.Write(pem.EncodeToMemory(bl))
	}
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func pkcs8(t *testing.T, key any) *pem.Block {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &pem.Block{Type: "PRIVATE KEY", Bytes: der}
}

// getJWKS fetches the key set: status, Content-Type and body.
func (s *server) getJWKS() (int, string, []byte) {
	s.t.Helper()
	resp, err := http.Get(s.url + jwksPath)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// joseHeader decodes a token's header.
func joseHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(token[:strings.IndexByte(token, '.')])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestJWKSForEveryKeyPair: with RS256, ES256 and EdDSA, from a PEM file
// and generated, the demo publishes exactly the public half of its
// signing key, under the kid its tokens carry, and the set verifies them.
func TestJWKSForEveryKeyPair(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	for _, c := range []struct {
		alg     string
		keyFile string
	}{
		{gqljwt.RS256, writePEM(t, pkcs8(t, rsaKey))},
		{gqljwt.ES256, writePEM(t, pkcs8(t, ecKey))},
		{gqljwt.EdDSA, writePEM(t, pkcs8(t, edKey))},
		{gqljwt.RS256, ""},
		{gqljwt.ES256, ""},
		{gqljwt.EdDSA, ""},
	} {
		name := c.alg + " generated"
		if c.keyFile != "" {
			name = c.alg + " from PEM"
		}
		t.Run(name, func(t *testing.T) {
			var o options
			warning, err := configureKeys(&o, c.alg, c.keyFile, "")
			if err != nil {
				t.Fatal(err)
			}
			wantWarning := ""
			if c.keyFile == "" {
				wantWarning = "WARNING: -key (GQLJWT_KEY) is not set; using a random " + c.alg + " key. Tokens will not survive a restart."
			}
			if warning != wantWarning {
				t.Errorf("warning %q, want %q", warning, wantWarning)
			}
			s := newKeyedServer(t, o)
			r := s.post("/graphql", `mutation { tokenAuth(username: "alice", password: "alice-password") { token } }`, nil)
			token := r.str("data", "tokenAuth", "token")
			if token == "" {
				t.Fatalf("login: %s", r.raw)
			}
			h := joseHeader(t, token)
			if h["alg"] != c.alg || h["kid"] != o.signingKey.ID || o.signingKey.ID == "" {
				t.Errorf("token header %v, want alg %s, kid %q", h, c.alg, o.signingKey.ID)
			}

			status, contentType, body := s.getJWKS()
			if status != http.StatusOK || contentType != "application/jwk-set+json" {
				t.Fatalf("JWKS: %d %q %s", status, contentType, body)
			}
			var raw struct {
				Keys []map[string]any `json:"keys"`
			}
			if err := json.Unmarshal(body, &raw); err != nil || len(raw.Keys) != 1 {
				t.Fatalf("JWKS: %v %s", err, body)
			}
			for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
				if _, ok := raw.Keys[0][private]; ok {
					t.Errorf("JWKS publishes the private member %q: %s", private, body)
				}
			}
			if raw.Keys[0]["kid"] != o.signingKey.ID || raw.Keys[0]["alg"] != c.alg || raw.Keys[0]["use"] != "sig" {
				t.Errorf("JWKS key %v, want kid %q, alg %s, use sig", raw.Keys[0], o.signingKey.ID, c.alg)
			}
			set, err := jwk.Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jws.Verify([]byte(token), jws.WithKeySet(set)); err != nil {
				t.Errorf("the JWKS does not verify the demo's token: %v", err)
			}
		})
	}
}

// TestJWKSIsNotServedForHS256: an HS256 key is a secret; there is no
// public half to publish.
func TestJWKSIsNotServedForHS256(t *testing.T) {
	var o options
	if _, err := configureKeys(&o, "HS256", "", string(testSecret)); err != nil {
		t.Fatal(err)
	}
	s := newKeyedServer(t, o)
	if status, _, body := s.getJWKS(); status != http.StatusNotFound || strings.Contains(string(body), string(testSecret)) {
		t.Errorf("JWKS with HS256: %d %s", status, body)
	}
}

// TestHS256SignedWithThePublicKeyIsRefused is the algorithm-confusion
// attack: the RS256 server's public key is public (the JWKS serves it), so
// an attacker signs an HS256 token with it as the HMAC secret, in every
// encoding a verifier might take for "the key". A server that let the
// token's header choose the algorithm would accept one of them.
func TestHS256SignedWithThePublicKeyIsRefused(t *testing.T) {
	var o options
	if _, err := configureKeys(&o, "RS256", "", ""); err != nil {
		t.Fatal(err)
	}
	s := newKeyedServer(t, o)
	r := s.post("/graphql", `mutation { tokenAuth(username: "carol", password: "carol-password") { token } }`, nil)
	genuine := r.str("data", "tokenAuth", "token")
	if genuine == "" {
		t.Fatalf("login: %s", r.raw)
	}
	if r := s.post("/graphql", `{ me { username } }`, nil, "Authorization", "Bearer "+genuine); r.str("data", "me", "username") != "carol" {
		t.Fatalf("the genuine token: %s", r.raw)
	}
	// The public key as the attacker gets it: from the JWKS.
	_, _, body := s.getJWKS()
	set, err := jwk.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	jk, _ := set.Key(0)
	var pub rsa.PublicKey
	if err := jwk.Export(jk, &pub); err != nil {
		t.Fatal(err)
	}
	pkix, _ := x509.MarshalPKIXPublicKey(&pub)
	pkixPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&pub)})
	secrets := map[string][]byte{
		"PKIX PEM":                pkixPEM,
		"PKIX PEM, no newline":    []byte(strings.TrimSuffix(string(pkixPEM), "\n")),
		"PKCS #1 PEM":             pkcs1PEM,
		"PKCS #1 PEM, no newline": []byte(strings.TrimSuffix(string(pkcs1PEM), "\n")),
		"PKIX DER":                pkix,
		"JWK":                     body,
	}
	payload := genuine[strings.IndexByte(genuine, '.')+1 : strings.LastIndexByte(genuine, '.')]
	kid, _ := jk.KeyID()
	for name, secret := range secrets {
		for _, header := range []map[string]any{
			{"alg": "HS256", "typ": "JWT", "kid": kid},
			{"alg": "HS256", "typ": "JWT"},
		} {
			hb, _ := json.Marshal(header)
			signingInput := base64.RawURLEncoding.EncodeToString(hb) + "." + payload
			mac := hmac.New(sha256.New, secret)
			mac.Write([]byte(signingInput))
			forged := signingInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
			what := name
			if header["kid"] != nil {
				what += ", with kid"
			}

			r := s.post("/graphql", `{ me { username } }`, nil, "Authorization", "Bearer "+forged)
			if r.get("data", "me") != nil || r.str("errors", 0, "extensions", "code") != "UNAUTHENTICATED" || r.str("errors", 0, "extensions", "reason") != "TOKEN_INVALID" {
				t.Errorf("HS256 signed with the %s as bearer: %s", what, r.raw)
			}
			for _, op := range []string{"verifyToken", "refreshToken"} {
				r := s.post("/graphql", `mutation($t: String!) { `+op+`(token: $t) { payload } }`, map[string]any{"t": forged})
				if r.get("data", op) != nil || r.str("errors", 0, "extensions", "code") != "TOKEN_INVALID" {
					t.Errorf("HS256 signed with the %s to %s: %s", what, op, r.raw)
				}
			}
		}
	}
}

// TestConfigureKeys: what -alg, -key and GQLJWT_SECRET accept and refuse.
func TestConfigureKeys(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalECPrivateKey(ecKey)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	for _, c := range []struct {
		name, alg, keyFile, secret, err string
	}{
		{"unknown algorithm", "none", "", "", `unsupported algorithm "none": want HS256, RS256, ES256 or EdDSA`},
		{"HS512 is not offered", "HS512", "", "", `unsupported algorithm "HS512": want HS256, RS256, ES256 or EdDSA`},
		{"a key file with HS256", "HS256", writePEM(t, pkcs8(t, rsaKey)), "", "-key (GQLJWT_KEY) is for RS256, ES256 and EdDSA; HS256 signs with GQLJWT_SECRET"},
		{"a short secret", "HS256", "", "short", "GQLJWT_SECRET must be at least 32 bytes"},
		{"a secret with RS256", "RS256", "", string(testSecret), "GQLJWT_SECRET is for HS256; RS256 signs with the private key of -key (GQLJWT_KEY)"},
		{"no such file", "RS256", filepath.Join(t.TempDir(), "missing.pem"), "", "no such file"},
		{"not PEM", "RS256", writePEM(t), "", "no PEM private key"},
		{"a public key only", "RS256", writePEM(t, &pem.Block{Type: "PUBLIC KEY", Bytes: []byte("x")}), "", "no PEM private key"},
		{"an encrypted key", "RS256", writePEM(t, &pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte("x")}), "", "the private key is encrypted"},
		{"a damaged key", "RS256", writePEM(t, &pem.Block{Type: "PRIVATE KEY", Bytes: []byte("x")}), "", "PRIVATE KEY: "},
		// jwx refuses it when computing the kid, before gqljwt.New would.
		{"a 1024-bit RSA key", "RS256", writePEM(t, pkcs8(t, weak)), "", "need at least 2048"},
	} {
		var o options
		_, err := configureKeys(&o, c.alg, c.keyFile, c.secret)
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.err)
		}
	}

	// Accepted: the algorithm in any case, keys in openssl's every form,
	// with a kid that does not change between loads of one key.
	for _, c := range []struct {
		name, alg, wantAlg string
		pub                crypto.PublicKey
		blocks             []*pem.Block
	}{
		{"PKCS #8 RSA", "rs256", gqljwt.RS256, rsaKey.Public(), []*pem.Block{pkcs8(t, rsaKey)}},
		{"PKCS #1 RSA", "RS256", gqljwt.RS256, rsaKey.Public(), []*pem.Block{{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}}},
		{"SEC 1 EC after EC PARAMETERS", "es256", gqljwt.ES256, ecKey.Public(), []*pem.Block{{Type: "EC PARAMETERS", Bytes: []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}}, {Type: "EC PRIVATE KEY", Bytes: ecDER}}},
	} {
		path := writePEM(t, c.blocks...)
		var first, second options
		if _, err := configureKeys(&first, c.alg, path, ""); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if _, err := configureKeys(&second, c.alg, path, ""); err != nil {
			t.Fatal(err)
		}
		if first.alg != c.wantAlg {
			t.Errorf("%s: alg %q, want %q", c.name, first.alg, c.wantAlg)
		}
		if first.secret != nil || first.signingKey.ID == "" || first.signingKey.ID != second.signingKey.ID {
			t.Errorf("%s: secret %v, kids %q %q", c.name, first.secret, first.signingKey.ID, second.signingKey.ID)
		}
		if pub, ok := first.signingKey.Private.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(c.pub) {
			t.Errorf("%s: another key was loaded", c.name)
		}
	}

	// A key that does not fit the algorithm, or is too weak, is refused
	// at start-up by gqljwt.New.
	for _, c := range []struct {
		name, alg, keyFile, err string
	}{
		{"an EC key for RS256", "RS256", writePEM(t, pkcs8(t, ecKey)), "RS256 needs an RSA key"},
		{"an RSA key for EdDSA", "EdDSA", writePEM(t, pkcs8(t, rsaKey)), "EdDSA needs an Ed25519 key"},
	} {
		var o options
		if _, err := configureKeys(&o, c.alg, c.keyFile, ""); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		o.bcryptCost = bcrypt.MinCost
		if _, err := newApp(o); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: newApp error %v, want %q", c.name, err, c.err)
		}
	}
}
