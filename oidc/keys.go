package oidc

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// minRSABits is the smallest RSA modulus accepted, as in gqljwt itself.
const minRSABits = 2048

// fetcher is the HTTP client of one issuer's jwk.Cache. It bounds every
// response and checks a key set before the cache may keep it, so that the
// cache holds on to the last good set when the provider serves an error
// or garbage, and it records when a good set last arrived, which bounds
// how long that set is used while the provider is down. The caching and
// the refresh schedule are jwk.Cache's.
type fetcher struct {
	cfg    Config
	client *http.Client
	// lastGood is the Config.Now of the last good key set, in Unix
	// nanoseconds.
	lastGood atomic.Int64
	mu       sync.Mutex
	lastErr  error
}

func newFetcher(cfg Config) *fetcher {
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{
			Timeout: cfg.FetchTimeout,
			// A redirect could lead the fetch anywhere; providers
			// publish their final URLs.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &fetcher{cfg: cfg, client: client}
}

// Do implements jwk.HTTPClient for the cache.
func (f *fetcher) Do(req *http.Request) (*http.Response, error) {
	body, res, err := f.get(req)
	if err == nil {
		err = f.checkSet(body)
	}
	if err != nil {
		f.fail(err)
		return nil, err
	}
	f.lastGood.Store(f.cfg.Now().UnixNano())
	res.Body = io.NopCloser(bytes.NewReader(body))
	res.ContentLength = int64(len(body))
	return res, nil
}

// get runs req, and returns the body of a 200 response within
// MaxResponseSize.
func (f *fetcher) get(req *http.Request) ([]byte, *http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), f.cfg.FetchTimeout)
	defer cancel()
	res, err := f.client.Do(req.WithContext(ctx))
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("oidc: %s answered %s", req.URL.Redacted(), res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, f.cfg.MaxResponseSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("oidc: reading %s: %w", req.URL.Redacted(), err)
	}
	if int64(len(body)) > f.cfg.MaxResponseSize {
		return nil, nil, fmt.Errorf("oidc: %s sent over %d bytes", req.URL.Redacted(), f.cfg.MaxResponseSize)
	}
	return body, res, nil
}

// checkSet refuses a key set the cache must not replace the last good one
// with: unparsable, more than MaxKeys keys, or two keys of one kid (a
// token could not say which it means).
func (f *fetcher) checkSet(body []byte) error {
	set, err := jwk.Parse(body)
	if err != nil {
		return fmt.Errorf("oidc: the key set does not parse: %w", err)
	}
	if set.Len() > f.cfg.MaxKeys {
		return fmt.Errorf("oidc: the key set holds %d keys, over MaxKeys (%d)", set.Len(), f.cfg.MaxKeys)
	}
	seen := map[string]bool{}
	for i := range set.Len() {
		k, _ := set.Key(i)
		kid, ok := k.KeyID()
		if !ok {
			continue // unusable: tokens must name their key
		}
		if seen[kid] {
			return fmt.Errorf("oidc: the key set holds kid %q twice", kid)
		}
		seen[kid] = true
	}
	return nil
}

func (f *fetcher) fail(err error) {
	f.mu.Lock()
	f.lastErr = err
	f.mu.Unlock()
}

func (f *fetcher) lastError() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastErr
}

// discover reads the provider's discovery document and returns its
// jwks_uri. The document's issuer must be the configured one exactly: a
// document naming another issuer describes another provider (OpenID
// Connect Discovery 1.0 §4.3).
func (f *fetcher) discover(ctx context.Context, issuer string) (string, error) {
	u := strings.TrimSuffix(issuer, "/") + discoveryPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("oidc: %s: %w", issuer, err)
	}
	body, _, err := f.get(req)
	if err != nil {
		return "", fmt.Errorf("oidc: %s: discovery: %w", issuer, err)
	}
	var doc struct {
		Issuer  *string `json:"issuer"`
		JWKSURI *string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("oidc: %s: discovery document: %w", issuer, err)
	}
	if doc.Issuer == nil || *doc.Issuer != issuer {
		return "", fmt.Errorf("oidc: %s: the discovery document names another issuer", issuer)
	}
	if doc.JWKSURI == nil || *doc.JWKSURI == "" {
		return "", fmt.Errorf("oidc: %s: the discovery document has no jwks_uri", issuer)
	}
	return *doc.JWKSURI, nil
}

// refetcher rate-limits the refetches of unknown kids: the first runs at
// once, the next no sooner than interval after the previous one; callers
// arriving while one runs wait for it instead of starting their own.
type refetcher struct {
	interval time.Duration
	mu       sync.Mutex
	last     time.Time // zero: none yet
	inflight chan struct{}
	err      error
}

// do runs fetch unless the limit forbids it. ran reports whether a fetch
// ran (this caller's or one it waited for), err its outcome.
func (r *refetcher) do(ctx context.Context, now time.Time, fetch func() error) (ran bool, err error) {
	r.mu.Lock()
	if ch := r.inflight; ch != nil {
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return true, ctx.Err()
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		return true, r.err
	}
	if !r.last.IsZero() && now.Sub(r.last) < r.interval {
		r.mu.Unlock()
		return false, nil
	}
	r.last = now
	ch := make(chan struct{})
	r.inflight = ch
	r.mu.Unlock()
	err = fetch()
	r.mu.Lock()
	r.err, r.inflight = err, nil
	r.mu.Unlock()
	close(ch)
	return true, err
}

// errStale refuses every token of an issuer whose keys are too old.
var errStale = gqljwt.ErrUnavailable.WithMessage("The identity provider's keys cannot be refreshed")

// fresh refuses with AUTH_UNAVAILABLE once the last good key set is older
// than MaxStale, after one rate-limited refetch: the provider may be back
// before the cache's next refresh.
func (x *Issuer) fresh(ctx context.Context) error {
	if x.stale() {
		if ran, _ := x.refetchKeys(ctx); !ran || x.stale() {
			last := time.Unix(0, x.fetch.lastGood.Load())
			return errStale.WithCause(fmt.Errorf("oidc: %s: no good key set since %s (last error: %v)", x.cfg.Issuer, last.UTC().Format(time.RFC3339), x.fetch.lastError()))
		}
	}
	return nil
}

func (x *Issuer) stale() bool {
	return x.cfg.Now().Sub(time.Unix(0, x.fetch.lastGood.Load())) > x.cfg.MaxStale
}

// refetchKeys has the jwk.Cache fetch the key set now, if the refetch
// limit allows.
func (x *Issuer) refetchKeys(ctx context.Context) (ran bool, err error) {
	return x.refetch.do(ctx, x.cfg.Now(), func() error {
		// One caller's cancelled request must not fail the fetch the
		// others wait for; FetchTimeout bounds it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), x.cfg.FetchTimeout)
		defer cancel()
		_, err := x.cache.Refresh(fctx, x.jwksURL)
		return err
	})
}

// key returns the public key kid for alg. An unknown kid makes one
// rate-limited refetch (see refetcher) before it is refused.
func (x *Issuer) key(ctx context.Context, kid, alg string) (any, error) {
	if err := x.fresh(ctx); err != nil {
		return nil, err
	}
	k, ok := x.keys.LookupKeyID(kid)
	if !ok {
		if ran, err := x.refetchKeys(ctx); ran && err != nil {
			return nil, gqljwt.ErrUnavailable.WithCause(fmt.Errorf("oidc: %s: refetching the keys for an unknown kid: %w", x.cfg.Issuer, err))
		}
		if k, ok = x.keys.LookupKeyID(kid); !ok {
			return nil, gqljwt.ErrTokenInvalid.WithCause(fmt.Errorf("oidc: %s: unknown kid", x.cfg.Issuer))
		}
	}
	return publicKeyFor(k, alg)
}

// publicKeyFor returns k's public key when k may verify alg: its own alg,
// if it names one, is alg; its use, if given, is sig; its type and size
// fit alg. Symmetric keys never fit.
func publicKeyFor(k jwk.Key, alg string) (any, error) {
	invalid := func(why string) error {
		return gqljwt.ErrTokenInvalid.WithCause(errors.New("oidc: key does not fit: " + why))
	}
	if a, ok := k.Algorithm(); ok && a.String() != alg {
		return nil, invalid("its alg is " + a.String())
	}
	if use, ok := k.KeyUsage(); ok && use != "sig" {
		return nil, invalid("its use is " + use)
	}
	raw, err := jwk.PublicRawKeyOf(k)
	if err != nil {
		return nil, invalid(err.Error())
	}
	switch pub := raw.(type) {
	case *rsa.PublicKey:
		if alg[0] != 'R' && alg[0] != 'P' {
			return nil, invalid("an RSA key")
		}
		if pub.N.BitLen() < minRSABits {
			return nil, invalid("RSA key under 2048 bits")
		}
	case *ecdsa.PublicKey:
		curve := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
		if curve == nil || pub.Curve != curve {
			return nil, invalid("an ECDSA key of another curve")
		}
	case ed25519.PublicKey:
		if alg != "EdDSA" {
			return nil, invalid("an Ed25519 key")
		}
	default:
		return nil, invalid(fmt.Sprintf("a %T", raw))
	}
	return raw, nil
}
