package gqljwt_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"golang.org/x/crypto/bcrypt"
)

// opaqueSigner signs with a key it does not let out, as a KMS signer
// does: x509 cannot marshal it.
type opaqueSigner struct{ k *ecdsa.PrivateKey }

func (s opaqueSigner) Public() crypto.PublicKey { return s.k.Public() }
func (s opaqueSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return s.k.Sign(r, d, o)
}

// TestRefreshTokenKey: two instances sharing a signing key (and a store)
// derive the same refresh-token key, whatever the algorithm: a token
// rotated on one and dropped by the store is taken for reuse on the other.
// An instance with another key, or Config.RefreshTokenSecret set apart,
// does not recognise it: invalid, nothing ended. A signing key that cannot
// be exported needs RefreshTokenSecret.
func TestRefreshTokenKey(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherEC, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	secret := []byte(strings.Repeat("k", 32))
	for _, tt := range []struct {
		name       string
		a, b       gqljwt.Config
		recognised bool
	}{
		{"HS256", gqljwt.Config{Secret: secret}, gqljwt.Config{Secret: secret}, true},
		{"RS256", gqljwt.Config{Algorithm: gqljwt.RS256, SigningKey: gqljwt.Key{Private: rsaKey}}, gqljwt.Config{Algorithm: gqljwt.RS256, SigningKey: gqljwt.Key{Private: rsaKey}}, true},
		{"ES256", gqljwt.Config{Algorithm: gqljwt.ES256, SigningKey: gqljwt.Key{Private: ecKey}}, gqljwt.Config{Algorithm: gqljwt.ES256, SigningKey: gqljwt.Key{Private: ecKey}}, true},
		{"EdDSA", gqljwt.Config{Algorithm: gqljwt.EdDSA, SigningKey: gqljwt.Key{Private: edKey}}, gqljwt.Config{Algorithm: gqljwt.EdDSA, SigningKey: gqljwt.Key{Private: edKey}}, true},
		{"explicit secret across signing keys", gqljwt.Config{Algorithm: gqljwt.ES256, SigningKey: gqljwt.Key{Private: ecKey}, RefreshTokenSecret: secret},
			gqljwt.Config{Algorithm: gqljwt.ES256, SigningKey: gqljwt.Key{Private: otherEC}, RefreshTokenSecret: secret}, true},
		{"another signing key", gqljwt.Config{Algorithm: gqljwt.ES256, SigningKey: gqljwt.Key{Private: ecKey}}, gqljwt.Config{Algorithm: gqljwt.ES256, SigningKey: gqljwt.Key{Private: otherEC}}, false},
		{"HS256 secret but another refresh secret", gqljwt.Config{Secret: secret}, gqljwt.Config{Secret: secret, RefreshTokenSecret: []byte(strings.Repeat("r", 32))}, false},
		{"opaque signer with a secret", gqljwt.Config{Algorithm: gqljwt.ES256, SigningKey: gqljwt.Key{Private: opaqueSigner{ecKey}}, RefreshTokenSecret: secret},
			gqljwt.Config{Algorithm: gqljwt.ES256, SigningKey: gqljwt.Key{Private: opaqueSigner{ecKey}}, RefreshTokenSecret: secret}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
			if err := users.Add(gqljwt.User{ID: "u1", Username: "alice", Active: true}, "pw"); err != nil {
				t.Fatal(err)
			}
			store := memstore.NewRefreshTokens(memstore.Clock(clock.Now))
			evA, evB := &events{}, &events{}
			a, b := tt.a, tt.b
			a.Users, a.Refresh, a.Now, a.Audit = users, store, clock.Now, evA.hook
			b.Users, b.Refresh, b.Now, b.Audit = users, store, clock.Now, evB.hook
			sa, sb := mustService(t, a), mustService(t, b)
			login, err := sa.Login(ctx, gqljwt.Credentials{Username: "alice", Password: "pw"})
			if err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
			head, err := sa.Refresh(ctx, login.RefreshToken, gqljwt.RefreshOptions{})
			if err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute) // past the grace: the store forgot the login's token
			_, err = sb.Refresh(ctx, login.RefreshToken, gqljwt.RefreshOptions{})
			want, message := gqljwt.CodeTokenInvalid, "Invalid refresh token"
			if tt.recognised {
				want, message = gqljwt.CodeTokenRevoked, "Refresh token has been revoked"
			}
			if e := gqljwt.AsError(err); err == nil || e.Code != want || e.Message != message {
				t.Fatalf("the rotated token on the other instance: %v, want %s %q", err, want, message)
			}
			if got := len(evB.of(gqljwt.EventRefreshReused)); got != map[bool]int{true: 1, false: 0}[tt.recognised] {
				t.Errorf("%d reuse events on the other instance", got)
			}
			// The head still works on the first instance unless the reuse
			// ended the session.
			_, err = sa.Refresh(ctx, head.RefreshToken, gqljwt.RefreshOptions{})
			if tt.recognised != (err != nil) {
				t.Errorf("the session's newest token after: %v (session ended: %v)", err, tt.recognised)
			}
		})
	}
	t.Run("refusals", func(t *testing.T) {
		store := memstore.NewRefreshTokens()
		for name, cfg := range map[string]gqljwt.Config{
			"short secret":    {Secret: secret, Refresh: store, RefreshTokenSecret: secret[:31]},
			"opaque signer":   {Algorithm: gqljwt.ES256, SigningKey: gqljwt.Key{Private: opaqueSigner{ecKey}}, Refresh: store},
			"short, no store": {Secret: secret, RefreshTokenSecret: []byte("short")},
		} {
			if _, err := gqljwt.New(cfg); err == nil || !strings.Contains(err.Error(), "RefreshTokenSecret") {
				t.Errorf("%s: New = %v, want an error naming RefreshTokenSecret", name, err)
			}
		}
		// Without a RefreshStore an opaque signer needs no refresh key.
		if _, err := gqljwt.New(gqljwt.Config{Algorithm: gqljwt.ES256, SigningKey: gqljwt.Key{Private: opaqueSigner{ecKey}}}); err != nil {
			t.Errorf("an opaque signer without refresh tokens: %v", err)
		}
	})
}
