// Package oidctest is an OpenID Connect provider in the process, for
// tests: a discovery document and a key set served over real HTTP on
// loopback, keys that rotate, a switch that takes the provider down, and
// counts of the requests it served. gqljwt's own oidc tests run on it;
// applications can test their guards against external tokens with it.
package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// Provider is a running in-process provider. Its methods are safe for
// concurrent use.
type Provider struct {
	server *httptest.Server
	mu     sync.Mutex
	// signing holds the key that signs for each algorithm family ("RS",
	// "ES"); published is every key in the key set, by kid.
	signing   map[string]*key
	published []*key
	serial    int
	down      atomic.Bool
	jwks      atomic.Int64
	discovery atomic.Int64
}

type key struct {
	kid  string
	alg  string
	priv crypto.Signer
}

// New starts a provider on a loopback port with one RS256 key and one
// ES256 key. Close stops it.
func New() (*Provider, error) {
	p := &Provider{signing: map[string]*key{}}
	for _, alg := range []string{"RS256", "ES256"} {
		if _, err := p.addKey(alg); err != nil {
			return nil, err
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		p.discovery.Add(1)
		if p.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.Issuer(), "jwks_uri": p.JWKSURL(),
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		p.jwks.Add(1)
		if p.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		b, err := p.keySet()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(b)
	})
	p.server = httptest.NewServer(mux)
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() { p.server.Close() }

// Issuer is the provider's issuer identifier, its base URL.
func (p *Provider) Issuer() string { return p.server.URL }

// JWKSURL is where the key set is served.
func (p *Provider) JWKSURL() string { return p.server.URL + "/jwks" }

// SetDown makes every request answer 503 (down) or be served again.
func (p *Provider) SetDown(down bool) { p.down.Store(down) }

// JWKSRequests counts the key set requests served, down or not.
func (p *Provider) JWKSRequests() int64 { return p.jwks.Load() }

// DiscoveryRequests counts the discovery requests served.
func (p *Provider) DiscoveryRequests() int64 { return p.discovery.Load() }

// Claims returns the claims of a token for sub and aud issued at now and
// valid for ttl, with a fresh jti.
func (p *Provider) Claims(sub, aud string, now time.Time, ttl time.Duration) map[string]any {
	return map[string]any{
		"iss": p.Issuer(), "sub": sub, "aud": aud,
		"iat": now.Unix(), "exp": now.Add(ttl).Unix(), "jti": fmt.Sprintf("jti-%d-%s", now.UnixNano(), randomHex()),
	}
}

// Sign signs claims with the current key for alg (RS256 or ES256).
func (p *Provider) Sign(alg string, claims map[string]any) (string, error) {
	return p.SignHeader(alg, nil, claims)
}

// SignHeader signs claims with the current key for alg, with the members
// of header added to the protected header (a kid there replaces the key's
// own, and jku, jwk or x5u can be set, to test that they are refused).
func (p *Provider) SignHeader(alg string, header, claims map[string]any) (string, error) {
	p.mu.Lock()
	k := p.signing[alg[:2]]
	p.mu.Unlock()
	if k == nil || k.alg != alg {
		return "", fmt.Errorf("oidctest: no %s key", alg)
	}
	return SignWith(k.priv, alg, k.kid, header, claims)
}

// SignWith signs claims with priv, whatever provider it belongs to: a key
// of another provider, or one that no provider publishes.
func SignWith(priv crypto.Signer, alg, kid string, header, claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	h := jws.NewHeaders()
	all := maps.Clone(header)
	if all == nil {
		all = map[string]any{}
	}
	if _, ok := all["kid"]; !ok {
		all["kid"] = kid
	}
	all["typ"] = "JWT"
	for name, v := range all {
		if err := h.Set(name, v); err != nil {
			return "", err
		}
	}
	sigAlg, ok := jwa.LookupSignatureAlgorithm(alg)
	if !ok {
		return "", fmt.Errorf("oidctest: unknown alg %q", alg)
	}
	b, err := jws.Sign(payload, jws.WithKey(sigAlg, priv, jws.WithProtectedHeaders(h)))
	return string(b), err
}

// Rotate replaces the signing key for alg with a new one, which it
// publishes; keepOld keeps the old key in the key set, dropOld does not.
// It returns the new kid.
func (p *Provider) Rotate(alg string, keepOld bool) (string, error) {
	p.mu.Lock()
	old := p.signing[alg[:2]]
	p.mu.Unlock()
	k, err := p.addKey(alg)
	if err != nil {
		return "", err
	}
	if !keepOld && old != nil {
		p.mu.Lock()
		for i, pk := range p.published {
			if pk == old {
				p.published = append(p.published[:i:i], p.published[i+1:]...)
				break
			}
		}
		p.mu.Unlock()
	}
	return k.kid, nil
}

// PublicKey is the public half of the current key for alg, for tests
// that misuse it (HS256 with the public key as the secret, say).
func (p *Provider) PublicKey(alg string) crypto.PublicKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := p.signing[alg[:2]]; k != nil {
		return k.priv.Public()
	}
	return nil
}

// KID is the kid of the current key for alg.
func (p *Provider) KID(alg string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := p.signing[alg[:2]]; k != nil {
		return k.kid
	}
	return ""
}

// PrivateKey is the current signing key for alg, to sign a token for
// another provider with this one's key.
func (p *Provider) PrivateKey(alg string) crypto.Signer {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := p.signing[alg[:2]]; k != nil {
		return k.priv
	}
	return nil
}

func (p *Provider) addKey(alg string) (*key, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return nil, fmt.Errorf("oidctest: unsupported alg %q", alg)
	}
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serial++
	k := &key{kid: fmt.Sprintf("%s-%d-%s", alg, p.serial, randomHex()), alg: alg, priv: priv}
	p.signing[alg[:2]] = k
	p.published = append(p.published, k)
	return k, nil
}

func (p *Provider) keySet() ([]byte, error) {
	p.mu.Lock()
	keys := append([]*key(nil), p.published...)
	p.mu.Unlock()
	set := jwk.NewSet()
	for _, k := range keys {
		pk, err := jwk.Import(k.priv.Public())
		if err != nil {
			return nil, err
		}
		sigAlg, _ := jwa.LookupSignatureAlgorithm(k.alg)
		for name, v := range map[string]any{jwk.KeyIDKey: k.kid, jwk.AlgorithmKey: sigAlg, jwk.KeyUsageKey: "sig"} {
			if err := pk.Set(name, v); err != nil {
				return nil, err
			}
		}
		if err := set.AddKey(pk); err != nil {
			return nil, err
		}
	}
	return json.Marshal(set)
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}
