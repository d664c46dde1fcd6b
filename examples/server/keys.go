package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/gqljwt/gqljwt"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// jwksPath is where the demo publishes its public keys, the path OpenID
// Connect discovery and most JWKS clients look at first.
const jwksPath = "/.well-known/jwks.json"

// parseAlgorithm maps the -alg flag to gqljwt's name for it. Case is
// forgiven on the command line only: the value is replaced by the
// canonical constant, so the pin gqljwt enforces on tokens stays exact.
func parseAlgorithm(s string) (string, error) {
	for _, alg := range []string{gqljwt.HS256, gqljwt.RS256, gqljwt.ES256, gqljwt.EdDSA} {
		if strings.EqualFold(s, alg) {
			return alg, nil
		}
	}
	return "", fmt.Errorf("unsupported algorithm %q: want HS256, RS256, ES256 or EdDSA", s)
}

// configureKeys sets o's algorithm and key material: HS256 signs with the
// secret (GQLJWT_SECRET), the others with the PEM private key in keyFile.
// Without either a random one is made, and the returned warning says so;
// key material given for another algorithm than the one chosen is an
// error, since it would be silently ignored.
func configureKeys(o *options, alg, keyFile, secret string) (warning string, err error) {
	if o.alg, err = parseAlgorithm(alg); err != nil {
		return "", err
	}
	if o.alg == gqljwt.HS256 {
		if keyFile != "" {
			return "", errors.New("-key (GQLJWT_KEY) is for RS256, ES256 and EdDSA; HS256 signs with GQLJWT_SECRET")
		}
		var generated bool
		if o.secret, generated, err = signingSecret(secret); err != nil {
			return "", err
		}
		if generated {
			warning = "WARNING: GQLJWT_SECRET is not set; using a random secret. Tokens will not survive a restart."
		}
		return warning, nil
	}
	if secret != "" {
		return "", fmt.Errorf("GQLJWT_SECRET is for HS256; %s signs with the private key of -key (GQLJWT_KEY)", o.alg)
	}
	var key crypto.Signer
	if keyFile == "" {
		if key, err = generateKey(o.alg); err != nil {
			return "", err
		}
		warning = "WARNING: -key (GQLJWT_KEY) is not set; using a random " + o.alg + " key. Tokens will not survive a restart."
	} else {
		pemBytes, err := os.ReadFile(keyFile)
		if err != nil {
			return "", err
		}
		if key, err = readPrivateKey(pemBytes); err != nil {
			return "", fmt.Errorf("%s: %w", keyFile, err)
		}
	}
	kid, err := keyID(key.Public())
	if err != nil {
		return "", err
	}
	o.secret, o.signingKey = nil, gqljwt.Key{ID: kid, Private: key}
	return warning, nil
}

// generateKey makes a key for alg at the size gqljwt's checks ask for.
func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case gqljwt.RS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	case gqljwt.ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case gqljwt.EdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("no key pair for %s", alg)
}

// readPrivateKey reads the first private key of a PEM file in the forms
// openssl writes: PKCS #8 ("PRIVATE KEY"), PKCS #1 ("RSA PRIVATE KEY") or
// SEC 1 ("EC PRIVATE KEY", often after an "EC PARAMETERS" block, which is
// skipped). Whether the key fits the algorithm is gqljwt.New's to check.
func readPrivateKey(pemBytes []byte) (crypto.Signer, error) {
	for rest := pemBytes; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return nil, errors.New("no PEM private key")
		}
		var key any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("the private key is encrypted; decrypt it first (openssl pkey -in FILE -out PLAIN)")
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", block.Type, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%s: a %T cannot sign", block.Type, key)
		}
		return signer, nil
	}
}

// keyID is the RFC 7638 thumbprint of pub: stable across restarts for a
// key given in a file, so JWKS clients select it by kid, and a second key
// added when rotating gets an ID of its own.
func keyID(pub crypto.PublicKey) (string, error) {
	k, err := jwk.Import(pub)
	if err != nil {
		return "", fmt.Errorf("signing key: %w", err)
	}
	sum, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// serveJWKS publishes the endpoints' public keys at jwksPath. Every
// endpoint signs with the same key, so any endpoint's Service serves the
// set; with HS256 it answers 404, the keys being secret.
func (a *app) serveJWKS() {
	a.router.Method(http.MethodGet, jwksPath, a.services[a.endpoints[0].path].JWKSHandler())
}
