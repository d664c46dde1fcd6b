package gqljwt

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"
	"time"

	"github.com/gqljwt/gqljwt/internal/canonb64"
)

// Refresh tokens are self-describing: base64url of
//
//	version (1) | len (1) | family | len (1) | subject | expiry (8, Unix ns) | random (32) | tag (16)
//
// the tag being HMAC-SHA256 over the rest under the Service's refresh key,
// truncated to 128 bits. Stores still keep only the SHA-256 of the whole
// token. What the tag buys: a store may drop a rotated record once its
// grace is over, and a token the store no longer knows but whose tag holds
// is one of ours that was rotated and dropped (or whose session the store
// lost): presenting it is reuse, and its session, named in the token,
// ends (RFC 9700 §4.14.2), however many rotations old it is. The expiry
// lets an expired token be told so without a store call.
const (
	refreshTokenVersion = 1
	refreshTagSize      = 16
	// maxRefreshFamily and maxRefreshSubject bound what a token carries:
	// with them it stays under maxRefreshToken. Families are our session
	// IDs (22 characters); a longer subject is left out of the token, and
	// a reuse of it is reported without a subject.
	maxRefreshFamily  = 64
	maxRefreshSubject = 255
	// refreshKeyLabel separates the refresh-token key derived from the
	// signing key from every other use of that key.
	refreshKeyLabel = "gqljwt refresh token key v1"
	// refreshMACLabel separates refresh-token tags from any other HMAC
	// made with the same key.
	refreshMACLabel = "gqljwt refresh token v1\x00"
	// MinRefreshTokenSecretLength is the shortest Config.RefreshTokenSecret
	// New accepts: 256 bits, the HMAC-SHA256 key size.
	MinRefreshTokenSecretLength = 32
)

// refreshClaims is what a refresh token says of itself, once its tag holds.
type refreshClaims struct {
	family, subject string
	expires         time.Time
}

// refreshMAC makes and checks the tags of refresh tokens, with pooled
// HMAC states keyed once.
type refreshMAC struct{ macs sync.Pool }

func newRefreshMAC(key []byte) *refreshMAC {
	m := &refreshMAC{}
	m.macs.New = func() any { return hmac.New(sha256.New, key) }
	return m
}

// tag returns the tag of body.
func (m *refreshMAC) tag(body []byte) [refreshTagSize]byte {
	h := m.macs.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(refreshMACLabel))
	h.Write(body)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	m.macs.Put(h)
	return [refreshTagSize]byte(sum[:refreshTagSize])
}

// issue returns a new token of family for subject, expiring at expires.
func (m *refreshMAC) issue(family, subject string, expires time.Time) (string, error) {
	if len(family) == 0 || len(family) > maxRefreshFamily {
		return "", fmt.Errorf("gqljwt: a refresh token's family is %d bytes, want 1 to %d", len(family), maxRefreshFamily)
	}
	if len(subject) > maxRefreshSubject {
		subject = ""
	}
	b := make([]byte, 0, 3+len(family)+len(subject)+8+refreshTokenSize+refreshTagSize)
	b = append(b, refreshTokenVersion, byte(len(family)))
	b = append(b, family...)
	b = append(b, byte(len(subject)))
	b = append(b, subject...)
	b = binary.BigEndian.AppendUint64(b, uint64(expires.UnixNano()))
	random := b[len(b) : len(b)+refreshTokenSize]
	if _, err := rand.Read(random); err != nil {
		return "", err
	}
	b = b[:len(b)+refreshTokenSize]
	tag := m.tag(b)
	b = append(b, tag[:]...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// open returns what token says of itself when it is one of ours: it
// decodes, has our layout and its tag holds, compared in constant time.
// Anything else (a token of the random format before this one, a forgery,
// a token tagged under another key) is not ours: false.
func (m *refreshMAC) open(token string) (refreshClaims, bool) {
	if m == nil || len(token) > maxRefreshToken {
		return refreshClaims{}, false
	}
	var buf [maxRefreshToken * 3 / 4]byte
	n, err := canonb64.Decode(buf[:], []byte(token))
	if err != nil {
		return refreshClaims{}, false
	}
	b := buf[:n]
	// The shortest token: version, two lengths, a one-byte family, no
	// subject.
	if n < 3+1+8+refreshTokenSize+refreshTagSize || b[0] != refreshTokenVersion {
		return refreshClaims{}, false
	}
	famLen := int(b[1])
	if famLen == 0 || 2+famLen >= n {
		return refreshClaims{}, false
	}
	subLen := int(b[2+famLen])
	if n != 3+famLen+subLen+8+refreshTokenSize+refreshTagSize {
		return refreshClaims{}, false
	}
	body, tag := b[:n-refreshTagSize], b[n-refreshTagSize:]
	want := m.tag(body)
	if !hmac.Equal(tag, want[:]) {
		return refreshClaims{}, false
	}
	at := 3 + famLen + subLen
	return refreshClaims{
		family:  string(b[2 : 2+famLen]),
		subject: string(b[3+famLen : at]),
		expires: time.Unix(0, int64(binary.BigEndian.Uint64(b[at:at+8]))),
	}, true
}

// refreshKey is the key refresh tokens are tagged with: Config.
// RefreshTokenSecret, or derived from the signing key, so that instances
// sharing a signing key share it. Only a Service with a RefreshStore needs
// one; a signing key that cannot be exported (a KMS signer) then needs
// RefreshTokenSecret.
func refreshKey(cfg Config) ([]byte, error) {
	if cfg.RefreshTokenSecret != nil {
		if len(cfg.RefreshTokenSecret) < MinRefreshTokenSecretLength {
			return nil, fmt.Errorf("gqljwt: RefreshTokenSecret is %d bytes, at least %d are required", len(cfg.RefreshTokenSecret), MinRefreshTokenSecretLength)
		}
		return append([]byte(nil), cfg.RefreshTokenSecret...), nil
	}
	if cfg.Refresh == nil {
		return nil, nil
	}
	material := cfg.SigningKey.Secret
	if cfg.Algorithm != HS256 {
		der, err := x509.MarshalPKCS8PrivateKey(cfg.SigningKey.Private)
		if err != nil {
			return nil, errors.Join(errors.New("gqljwt: RefreshTokenSecret is required when the signing key cannot be exported as PKCS #8"), err)
		}
		material = der
	}
	if len(material) == 0 {
		// Never a public key: anyone could tag a token and end the session
		// it names as reused. New's checks make this unreachable.
		return nil, errors.New("gqljwt: no key material to derive the refresh-token key from; set RefreshTokenSecret")
	}
	mac := hmac.New(sha256.New, material)
	mac.Write([]byte(refreshKeyLabel))
	return mac.Sum(nil), nil
}
