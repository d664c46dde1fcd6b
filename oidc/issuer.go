package oidc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Defaults applied by New to zero-valued Config fields.
const (
	DefaultAlgorithm       = "RS256"
	DefaultLeeway          = gqljwt.DefaultLeeway
	DefaultRefreshInterval = 15 * time.Minute
	DefaultRefetchInterval = time.Minute
	DefaultMaxStale        = time.Hour
	DefaultFetchTimeout    = 10 * time.Second
	DefaultMaxResponseSize = 256 << 10
	DefaultMaxKeys         = 64
	maxLeeway              = 5 * time.Minute
	discoveryPath          = "/.well-known/openid-configuration"
)

// asymmetric are the algorithms an issuer may be pinned to: public-key
// signatures only. HS* would verify with a secret shared with the provider
// (or, worse, with its public key bytes as the secret) and none with
// nothing.
var asymmetric = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// Config configures one external issuer. Issuer and Audience are required;
// the zero value of every other field is a secure default.
type Config struct {
	// Issuer is the provider's issuer identifier, compared with a token's
	// iss exactly (no trailing-slash or case folding: Auth0's ends in a
	// slash, Keycloak's does not).
	Issuer string
	// JWKSURL is where the provider publishes its keys. Empty: discovery,
	// the jwks_uri of Issuer + "/.well-known/openid-configuration", whose
	// issuer must equal Issuer exactly (OpenID Connect Discovery §4.3).
	JWKSURL string
	// Audience lists the accepted audiences; a token's audience claim must
	// hold at least one of them. At least one is required: without an
	// audience check any token the provider issues for any application
	// would pass.
	Audience []string
	// AudienceClaim names the claim Audience is checked against (default
	// "aud"). Cognito access tokens carry no aud, only client_id.
	AudienceClaim string
	// Algorithms pins the accepted signature algorithms (default RS256),
	// asymmetric only: RS256/384/512, PS256/384/512, ES256/384/512, EdDSA.
	Algorithms []string
	// Leeway is the clock skew tolerated on exp, nbf and iat (default 30 s,
	// at most 5 min).
	Leeway time.Duration
	// Mapping turns claims into the identity's username, roles and scopes
	// (default Generic(): see the presets).
	Mapping *Mapping

	// RefreshInterval is how often the jwk.Cache fetches the key set
	// again, and how soon it retries after a failed fetch (default 15
	// min).
	RefreshInterval time.Duration
	// RefetchInterval bounds the refetches a token with an unknown kid
	// makes: the first is immediate, the next no sooner than this after
	// the previous one (default 1 min), so that tokens with random kids
	// cannot make the provider a target.
	RefetchInterval time.Duration
	// MaxStale is how long after the last good fetch the keys are still
	// used while the provider cannot be reached (default 1 h, at least
	// twice RefreshInterval). Past it every token of the issuer is refused
	// with AUTH_UNAVAILABLE until a fetch succeeds again.
	MaxStale time.Duration

	// HTTPClient fetches discovery and keys. Nil: a client with
	// FetchTimeout and no redirects.
	HTTPClient *http.Client
	// FetchTimeout bounds each fetch (default 10 s).
	FetchTimeout time.Duration
	// MaxResponseSize bounds a discovery document or key set (default
	// 256 KiB).
	MaxResponseSize int64
	// MaxKeys bounds the keys in a set (default 64): a larger set is
	// refused and the last good one kept.
	MaxKeys int

	// Now is the clock; nil means time.Now. For tests.
	Now func() time.Time
}

// Issuer verifies the tokens of one provider. It implements
// gqljwt.ExternalIssuer; put it in gqljwt.Config.Issuers. It is safe for
// concurrent use. Close stops its key refresh.
type Issuer struct {
	cfg     Config
	jwksURL string
	cache   *jwk.Cache
	keys    jwk.CachedSet
	fetch   *fetcher
	refetch refetcher
	kids    kidMemo
}

// New checks cfg, reads the provider's discovery document when JWKSURL is
// not set, and fetches the key set once before it returns: a provider that
// cannot be reached at start-up is an error. ctx bounds those first
// fetches only; the key refresh runs until Close.
func New(ctx context.Context, cfg Config) (*Issuer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	f := newFetcher(cfg)
	jwksURL := cfg.JWKSURL
	if jwksURL == "" {
		if jwksURL, err = f.discover(ctx, cfg.Issuer); err != nil {
			return nil, err
		}
	}
	if err := checkURL("the JWKS URL", jwksURL); err != nil {
		return nil, err
	}
	// One worker: the refresh of one key set never runs in parallel with
	// itself, and a Cache per issuer is torn down by its Close.
	cache, err := jwk.NewCache(context.Background(), httprc.NewClient(httprc.WithWorkers(1)))
	if err != nil {
		return nil, fmt.Errorf("oidc: %s: %w", cfg.Issuer, err)
	}
	// Register waits for the first fetch, which httprc would otherwise
	// retry only after RefreshInterval.
	rctx, cancel := context.WithTimeout(ctx, cfg.FetchTimeout+time.Second)
	defer cancel()
	err = cache.Register(rctx, jwksURL,
		jwk.WithHTTPClient(f),
		jwk.WithMaxFetchBodySize(cfg.MaxResponseSize),
		jwk.WithConstantInterval(cfg.RefreshInterval),
		jwk.WithMinInterval(cfg.RefreshInterval),
	)
	if err != nil {
		_ = cache.Shutdown(context.Background())
		return nil, fmt.Errorf("oidc: %s: first key set fetch: %w", cfg.Issuer, errors.Join(err, f.lastError()))
	}
	keys, err := cache.CachedSet(jwksURL)
	if err != nil {
		_ = cache.Shutdown(context.Background())
		return nil, fmt.Errorf("oidc: %s: %w", cfg.Issuer, err)
	}
	x := &Issuer{cfg: cfg, jwksURL: jwksURL, cache: cache, keys: keys, fetch: f}
	x.refetch.interval = cfg.RefetchInterval
	return x, nil
}

// Issuer implements gqljwt.ExternalIssuer: the configured issuer.
func (x *Issuer) Issuer() string { return x.cfg.Issuer }

// JWKSURL is where the keys come from (discovered or configured).
func (x *Issuer) JWKSURL() string { return x.jwksURL }

// Close stops the background key refresh.
func (x *Issuer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return x.cache.Shutdown(ctx)
}

// withDefaults returns cfg with zero fields set to their defaults, or an
// error naming what is unacceptable.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Issuer == "" {
		return cfg, errors.New("oidc: Issuer is required")
	}
	if err := checkURL("Issuer", cfg.Issuer); err != nil {
		return cfg, err
	}
	if cfg.JWKSURL != "" {
		if err := checkURL("JWKSURL", cfg.JWKSURL); err != nil {
			return cfg, err
		}
	}
	if len(cfg.Audience) == 0 || slices.Contains(cfg.Audience, "") {
		return cfg, fmt.Errorf("oidc: %s: Audience is required (and may not hold an empty value)", cfg.Issuer)
	}
	cfg.Audience = slices.Clone(cfg.Audience)
	if cfg.AudienceClaim == "" {
		cfg.AudienceClaim = "aud"
	}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = []string{DefaultAlgorithm}
	}
	cfg.Algorithms = slices.Clone(cfg.Algorithms)
	for _, alg := range cfg.Algorithms {
		if !slices.Contains(asymmetric, alg) {
			return cfg, fmt.Errorf("oidc: %s: algorithm %q is not accepted: only asymmetric ones (%v)", cfg.Issuer, alg, asymmetric)
		}
	}
	if cfg.Leeway > maxLeeway {
		return cfg, fmt.Errorf("oidc: Leeway %s is over the %s maximum", cfg.Leeway, maxLeeway)
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"Leeway", &cfg.Leeway, DefaultLeeway},
		{"RefreshInterval", &cfg.RefreshInterval, DefaultRefreshInterval},
		{"RefetchInterval", &cfg.RefetchInterval, DefaultRefetchInterval},
		{"MaxStale", &cfg.MaxStale, DefaultMaxStale},
		{"FetchTimeout", &cfg.FetchTimeout, DefaultFetchTimeout},
	} {
		if *d.v < 0 {
			return cfg, fmt.Errorf("oidc: %s must not be negative", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if cfg.RefreshInterval < time.Second {
		// httprc schedules in whole seconds.
		return cfg, fmt.Errorf("oidc: RefreshInterval %s is under a second", cfg.RefreshInterval)
	}
	if cfg.MaxStale < 2*cfg.RefreshInterval {
		return cfg, fmt.Errorf("oidc: MaxStale (%s) is under twice RefreshInterval (%s): one missed refresh would lock every user out", cfg.MaxStale, cfg.RefreshInterval)
	}
	if cfg.MaxResponseSize < 0 || cfg.MaxKeys < 0 {
		return cfg, errors.New("oidc: MaxResponseSize and MaxKeys must not be negative")
	}
	if cfg.MaxResponseSize == 0 {
		cfg.MaxResponseSize = DefaultMaxResponseSize
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Mapping == nil {
		cfg.Mapping = Generic()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg, nil
}

// checkURL accepts absolute https URLs, and http ones on a loopback host
// (a provider in a test, or a sidecar): keys fetched in the clear from
// elsewhere could be anyone's.
func checkURL(what, s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("oidc: %s %q is not an absolute URL", what, s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if host := u.Hostname(); host == "localhost" || net.ParseIP(host).IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("oidc: %s %q must be https (http only on a loopback host)", what, s)
}

// compile-time check: an Issuer is what gqljwt.Config.Issuers holds.
var _ gqljwt.ExternalIssuer = (*Issuer)(nil)
