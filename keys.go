package gqljwt

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/go-chi/jwtauth/v5"
	"github.com/gqljwt/gqljwt/internal/canonb64"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// maxHeaderSegment bounds the encoded JOSE header we are willing to decode.
// Our own headers are under 100 bytes.
const maxHeaderSegment = 512

// keyring is an immutable set of keys; rotation swaps the whole ring.
type keyring struct {
	alg    string
	signer *jwtauth.JWTAuth
	// signingKID and kids are the signing key's kid and every accepted
	// key's, for Settings.
	signingKID string
	kids       []string
	// byKID holds one verifier per key, the signing key included.
	byKID map[string]*verifyKey
	jwks  []byte // public JWK set, nil for HS256
	// gen tells rings apart: a cache entry names the ring that verified it.
	gen uint32
}

// keyringGen numbers the rings of the process.
var keyringGen atomic.Uint32

func newKeyring(cfg Config) (*keyring, error) {
	sigAlg, ok := jwa.LookupSignatureAlgorithm(cfg.Algorithm)
	if !ok {
		return nil, fmt.Errorf("gqljwt: unknown algorithm %q", cfg.Algorithm)
	}
	ring := &keyring{alg: cfg.Algorithm, byKID: map[string]*verifyKey{}, gen: keyringGen.Add(1)}
	pubSet := jwk.NewSet()
	for i, k := range append([]Key{cfg.SigningKey}, cfg.VerificationKeys...) {
		verifyKey := k.Public
		if cfg.Algorithm == HS256 {
			verifyKey = k.Secret
		}
		var signKey any
		if i == 0 {
			signKey = any(k.Private)
			if cfg.Algorithm == HS256 {
				signKey = k.Secret
			}
			if k.ID != "" {
				// A jwk.Key carrying the kid makes jwx write "kid" into
				// the header of every token we sign. Without a kid the raw
				// key signs, sparing jwx an export per token.
				jk, err := jwk.Import(signKey)
				if err != nil {
					return nil, fmt.Errorf("gqljwt: signing key: %w", err)
				}
				if err := jk.Set(jwk.KeyIDKey, k.ID); err != nil {
					return nil, fmt.Errorf("gqljwt: signing key: %w", err)
				}
				signKey = jk
			}
		}
		if i == 0 {
			ring.signer = jwtauth.New(cfg.Algorithm, signKey, nil)
			ring.signingKID = k.ID
		}
		ring.byKID[k.ID] = newVerifyKey(sigAlg, verifyKey)
		ring.kids = append(ring.kids, k.ID)
		if cfg.Algorithm != HS256 {
			pk, err := jwk.Import(k.Public)
			if err != nil {
				return nil, fmt.Errorf("gqljwt: public key %q: %w", k.ID, err)
			}
			for name, v := range map[string]any{jwk.KeyIDKey: k.ID, jwk.AlgorithmKey: sigAlg, jwk.KeyUsageKey: "sig"} {
				if name == jwk.KeyIDKey && k.ID == "" {
					continue
				}
				if err := pk.Set(name, v); err != nil {
					return nil, fmt.Errorf("gqljwt: public key %q: %w", k.ID, err)
				}
			}
			if err := pubSet.AddKey(pk); err != nil {
				return nil, fmt.Errorf("gqljwt: public key %q: %w", k.ID, err)
			}
		}
	}
	if cfg.Algorithm != HS256 {
		b, err := json.Marshal(pubSet)
		if err != nil {
			return nil, fmt.Errorf("gqljwt: JWKS: %w", err)
		}
		ring.jwks = b
	}
	return ring, nil
}

// verifierFor returns the verifier for a token after checking its header:
// the algorithm must be exactly the configured one and the kid must name a
// key we hold. jwx v3.3 also refuses a header alg that differs from the one
// we pass, but v3.0.x (which jwtauth v5.4.0 accepts) verified with the
// caller's algorithm whatever the header said; checking here keeps the pin
// independent of the jwx release and refuses before any crypto runs.
func (ring *keyring) verifierFor(token string) (*verifyKey, bool) {
	dot := strings.IndexByte(token, '.')
	if dot <= 0 || dot > maxHeaderSegment {
		return nil, false
	}
	var buf [maxHeaderSegment * 3 / 4]byte
	n, err := canonb64.Decode(buf[:], []byte(token[:dot]))
	if err != nil {
		return nil, false
	}
	alg, kid, ok := parseJOSEHeader(buf[:n])
	if !ok || string(alg) != ring.alg {
		return nil, false
	}
	k, found := ring.byKID[string(kid)]
	return k, found
}

// verifyKey checks signatures with one key under the pinned algorithm.
type verifyKey struct {
	alg jwa.SignatureAlgorithm
	key any // the HS256 secret or the public key
	// macs holds HMAC states keyed with the secret (HS256 only): Reset
	// brings one back to its keyed state, so that no token pays for the
	// key schedule or for allocating the state.
	macs sync.Pool
}

func newVerifyKey(alg jwa.SignatureAlgorithm, key any) *verifyKey {
	k := &verifyKey{alg: alg, key: key}
	if secret, ok := key.([]byte); ok && alg == jwa.HS256() {
		k.macs.New = func() any { return hmac.New(sha256.New, secret) }
	}
	return k
}

// verify checks the signature of token, whose compact form wellFormed and
// whose header verifierFor accepted. HS256 is verified here with a pooled
// HMAC state and a constant-time compare: the algorithm is pinned, so
// nothing is left for a general verifier to choose. Other algorithms go to
// jwx's compact verifier, with the pinned algorithm.
func (k *verifyKey) verify(token string) bool {
	last := strings.LastIndexByte(token, '.')
	if k.macs.New == nil {
		_, err := jws.VerifyCompactFast(k.key, []byte(token), k.alg)
		return err == nil
	}
	if len(token)-last-1 != hmacSignatureChars {
		return false
	}
	var sig, sum [sha256.Size]byte
	decodeCanonical(sig[:], token[last+1:])
	mac := k.macs.Get().(hash.Hash)
	mac.Reset()
	// The hash only reads the bytes: no copy of the signing input.
	mac.Write(unsafe.Slice(unsafe.StringData(token), last))
	mac.Sum(sum[:0])
	k.macs.Put(mac)
	return hmac.Equal(sig[:], sum[:])
}

// hmacSignatureChars is the length of an encoded HS256 signature.
const hmacSignatureChars = (sha256.Size*8 + 5) / 6

// ServeJWKS serves the public verification keys as a JSON Web Key Set. It
// answers 404 for HS256, whose keys are secret.
func (ring *keyring) ServeJWKS(w http.ResponseWriter, r *http.Request) {
	if ring.jwks == nil {
		http.Error(w, "no public keys: HS256 keys are secret", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(ring.jwks)
}
