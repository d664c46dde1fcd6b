package gqljwt

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Signing algorithms gqljwt accepts. The configured one is pinned: a token
// whose header names any other algorithm is refused before any key is used.
const (
	HS256 = "HS256"
	RS256 = "RS256"
	ES256 = "ES256"
	EdDSA = "EdDSA"
)

// The refresh reuse grace: DefaultRefreshReuseGrace covers concurrent
// requests and a quick retry; the maximum keeps reuse detection from being
// blind for longer than a retry after a timeout takes.
const (
	// DefaultRefreshReuseGrace is the default Config.RefreshReuseGrace.
	DefaultRefreshReuseGrace = 30 * time.Second
	maxRefreshReuseGrace     = 5 * time.Minute
)

// Defaults applied by New to zero-valued Config fields.
const (
	DefaultAccessTTL          = 15 * time.Minute
	DefaultRefreshTTL         = 7 * 24 * time.Hour
	DefaultLeeway             = 30 * time.Second
	DefaultMaxTokenSize       = 8 << 10
	DefaultCacheEntries       = 10000
	DefaultVersionCacheTTL    = 5 * time.Second
	DefaultLoginWindow        = 15 * time.Minute
	DefaultMaxLoginFailures   = 5
	DefaultMaxAddressFailures = 20
	DefaultRolesClaim         = "roles"
	DefaultScopeClaim         = "scope"
	DefaultScopeArrayClaim    = "scp"
	DefaultUsernameClaim      = "username"
	MinHMACSecretLength       = 32
	minRSABits                = 2048
	maxLeeway                 = 5 * time.Minute
	tokenTypeAccess           = "access"
	tokenTypeRefresh          = "refresh"
	claimTokenType            = "typ"
	claimTokenVersion         = "ver"
	claimOriginalIssuedAt     = "origIat"
	claimSessionID            = "sid"
	defaultVersionCacheSize   = 100000
)

// Login throttling (see Service.Authenticate) counts failures per key and
// locks a key that reaches its limit. The numbers, and why:
//
//   - DefaultLoginWindow, 15 min: the first lockout's length, OWASP's and
//     most frameworks' usual lockout period.
//   - DefaultMaxLoginFailures, 5 per (account, client), a client being a
//     trusted device or else an address: room for a user's typos and
//     caps-lock; with doubling lockouts, a few dozen guesses a day at
//     most, against which any password outside the most common few holds.
//   - DefaultMaxAccountFailures, 20 per account from untrusted clients:
//     four clients' worth, so a user trying from a few places is not
//     stopped, while guesses spread over many addresses are bounded per
//     account. Trusted devices are not stopped by it.
//   - DefaultMaxAddressFailures, 20 per address over all accounts: stops
//     one address spraying common passwords over many accounts and leaves
//     room for a few users behind one NAT.
//   - DefaultMaxLockout, 24 h: lockouts double (15 min, 30 min, 1 h, ...
//     16 h, then 24 h each); a day keeps a persistent attacker to a few
//     guesses per key a day and is as long as an owner without a trusted
//     device should be kept waiting. It is also the memory: failures are
//     forgotten MaxLockout after the last one, a lockout level MaxLockout
//     after its lockout ended, both at once at the client's success.
const (
	// DefaultMaxAccountFailures is the default Config.MaxAccountFailures.
	DefaultMaxAccountFailures = 20
	// DefaultMaxLockout is the default Config.MaxLockout.
	DefaultMaxLockout = 24 * time.Hour
)

// Key is one signing or verification key. For HS256 set Secret; for RS256,
// ES256 and EdDSA set Private (a signing key; its public half verifies) or
// only Public (a verification-only key, e.g. a retired one).
type Key struct {
	// ID is the JWS "kid". Tokens signed with this key carry it, and
	// verification selects the key by it. Tokens without a kid are verified
	// with the key whose ID is empty, if any.
	ID string
	// Secret is the HS256 secret, at least 32 bytes.
	Secret []byte
	// Private is an *rsa.PrivateKey, *ecdsa.PrivateKey or ed25519.PrivateKey.
	Private crypto.Signer
	// Public is an *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	// Derived from Private when nil.
	Public crypto.PublicKey
}

// Config configures a Service. The zero value of every field but the key is a
// secure default; New refuses anything weaker with an error that says why.
type Config struct {
	// Algorithm is HS256 (default), RS256, ES256 or EdDSA.
	Algorithm string
	// Secret is shorthand for SigningKey{Secret: Secret} with HS256.
	Secret []byte
	// SigningKey signs every token issued; it also verifies.
	SigningKey Key
	// VerificationKeys are further keys accepted on verify, selected by
	// kid: the keys being rotated out. Remove one to log its tokens out.
	VerificationKeys []Key

	// AccessTTL is the access-token lifetime (default 15 min).
	AccessTTL time.Duration
	// RefreshTTL is the refresh lifetime (default 7 days): how long a
	// refresh token lives and, in single-token mode, how long after the
	// original login an access token may still be renewed.
	RefreshTTL time.Duration
	// Leeway is the clock skew tolerated on exp, nbf and iat (default 30 s,
	// at most 5 min).
	Leeway time.Duration
	// Issuer, when set, is written to iss and required on verify.
	Issuer string
	// Audience, when set, is written to aud and required on verify.
	Audience string
	// NotBefore writes nbf, equal to iat, into every access token, for
	// APIs whose clients expect it (WPGraphQL Headless Login,
	// CollectiveAccess). It changes what is written, not what is
	// accepted: verification checks an nbf, within Leeway, either way.
	NotBefore bool
	// Issuers are external identity providers whose tokens are accepted
	// beside ours, each chosen by the token's iss (see ExternalIssuer and
	// the oidc package). Their iss values must differ from each other and
	// from Issuer.
	Issuers []ExternalIssuer

	// RolesClaim names the roles claim (default "roles", a string array).
	RolesClaim string
	// ScopeClaim names the space-delimited scope claim (default "scope").
	ScopeClaim string
	// ScopeArrayClaim names the array-valued scope claim (default "scp");
	// both are read on verify, ScopeClaim is written on issue.
	ScopeArrayClaim string
	// UsernameClaim names the username claim (default "username").
	UsernameClaim string
	// Claims adds custom claims to every access token, like
	// django-graphql-jwt's JWT_PAYLOAD_HANDLER. It may not set the claims
	// gqljwt owns (sub, exp, iat, jti, typ, ...). Each token it shapes is
	// verified before it is handed out: claims Verify would refuse (JSON
	// nested over 16 deep, a duplicate name, a number past float64, a
	// username or roles claim of the wrong type) fail the issue with
	// ErrInternal instead.
	Claims func(ctx context.Context, u *User) (map[string]any, error)

	// MaxTokenSize bounds the accepted token length (default 8 KiB).
	MaxTokenSize int
	// CacheEntries bounds the verified-token cache (default 10000;
	// from 8 on, rounded down to a multiple of 8); a negative value
	// disables the cache. Its slots are allocated by New, 242 bytes an
	// entry (2.4 MB by default; under 8 entries, one bucket of 1936
	// bytes), in memory the collector does not scan; tokens with
	// over 176 bytes of IDs, username, roles and scopes are held apart,
	// up to as many again.
	CacheEntries int

	// Users is where accounts live; login and refresh need it.
	Users UserStore
	// Refresh stores long-running refresh tokens. Nil means single-token
	// mode only: clients renew a still-valid access token (RenewToken).
	Refresh RefreshStore
	// RefreshReuseGrace is how long after its rotation a refresh token may
	// be presented again and still get a fresh pair in the same session,
	// instead of being taken for stolen (default 30 s, at most 5 min).
	// Zero takes the default; a negative value turns the grace off: any
	// second presentation revokes the session (strict RFC 9700 reuse
	// detection). The grace lets concurrent refreshes of one token (two
	// tabs, a retry after a lost response) all succeed; the price is that
	// a thief who replays a token within it is not detected. Okta and
	// Auth0 offer the same setting.
	RefreshReuseGrace time.Duration
	// RefreshTokenSecret is the HMAC-SHA256 key refresh tokens are tagged
	// with, at least 32 bytes. The tag lets a store forget a rotated token
	// once its grace is over and the Service still take it, presented
	// later, for reuse. When nil a key is derived from the signing key
	// (the HS256 secret, or the private key's PKCS #8 form), so that
	// instances sharing a signing key share it; set it to keep that
	// detection across a change of signing key, and when the signing key
	// cannot be exported (a KMS signer), where it is required. A token
	// tagged under another key is looked up as an untagged one: it still
	// works while its store knows it, and is invalid once it does not.
	RefreshTokenSecret []byte
	// MaxLoginFailures is how many failed logins one client may have on
	// one account before that client is locked out of the account: login
	// answers TOO_MANY_ATTEMPTS without checking the password (default 5;
	// negative disables). A client is a trusted device (see DeviceCookie)
	// or, without a valid device cookie, a client address (ClientAddr).
	MaxLoginFailures int
	// MaxAccountFailures is how many failed logins untrusted clients (those
	// without a valid device cookie) together may have on one account
	// before all untrusted clients are locked out of it; trusted devices
	// still log in (default 20, raised to MaxLoginFailures when that is
	// higher; negative disables). Set, it may not be below MaxLoginFailures.
	MaxAccountFailures int
	// MaxAddressFailures is how many failed logins one client address may
	// have over all accounts before it is locked out of all of them;
	// trusted devices still log in (default 20; negative disables).
	MaxAddressFailures int
	// LoginWindow is the first lockout's length (default 15 min). Each
	// further lockout of the same key lasts twice the previous one.
	LoginWindow time.Duration
	// MaxLockout caps the lockout length (default 24 h, at least
	// LoginWindow). Failures are remembered for as long after the last
	// one, unless the client succeeds: a shorter memory would let a
	// patient attacker stay under the limits for ever.
	MaxLockout time.Duration
	// LoginThrottle holds the counts; nil gives the Service its own. Share
	// one between the Services of a process that log in the same users.
	// Its window is the LoginWindow.
	LoginThrottle *LoginThrottle
	// DeviceCookie, when set, gives browsers that log in a signed device
	// cookie, so that their owner keeps logging in while an attacker has
	// the account locked out (see DeviceCookieConfig). It needs requests
	// recorded in the context, as middleware.Verifier does.
	DeviceCookie *DeviceCookieConfig

	// Revocations records revoked access tokens and ended sessions. Nil
	// selects an in-process store; use a shared one when several instances
	// serve.
	Revocations RevocationStore
	// Versions supplies per-user token versions. When set, every token
	// carries its user's version and is refused once the version moves on.
	// Nil selects Users when it is a VersionStore too (memstore.Users is).
	Versions VersionStore
	// UserSecrets, when set, keeps WPGraphQL's revoked user secret (see
	// UserSecretStore): RevokeUserSecret marks the user, and no token is
	// issued for a marked user until RefreshUserSecret, at the price of one
	// store read per token issued. It is a VersionStore too, the one that
	// holds the versions it moves: nil Versions selects it, and New refuses
	// a Versions that is another store.
	UserSecrets UserSecretStore
	// VersionCacheTTL is how long a looked-up token version is reused before
	// Versions is asked again (default 5 s). A version bumped through this
	// Service takes effect here at once; on other instances within this TTL.
	VersionCacheTTL time.Duration
	// VersionCache holds the looked-up versions; nil gives the Service its
	// own. Share one between the Services of a process that share
	// Versions. Its TTL is the VersionCacheTTL.
	VersionCache *VersionCache

	// Logger receives the security events (see Event) as structured
	// records: logins, throttling and lockouts, refresh-token reuse, ended
	// sessions, bumped user secrets, rotated keys. Nil logs nothing. No
	// record ever holds a token or a password.
	Logger *slog.Logger
	// Audit, when set, is called with every security event as well, to
	// count them (see Example_auditHook) or ship them elsewhere.
	Audit AuditHook

	// Now is the clock; nil means time.Now. For tests.
	Now func() time.Time
}

// withDefaults returns cfg with zero fields set to their defaults and the
// key material normalised, or an error naming what is unacceptable.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Algorithm == "" {
		cfg.Algorithm = HS256
	}
	switch cfg.Algorithm {
	case HS256, RS256, ES256, EdDSA:
	default:
		return cfg, fmt.Errorf("gqljwt: unsupported algorithm %q (want HS256, RS256, ES256 or EdDSA)", cfg.Algorithm)
	}
	if cfg.Secret != nil {
		if cfg.SigningKey.Secret != nil || cfg.SigningKey.Private != nil {
			return cfg, errors.New("gqljwt: set either Secret or SigningKey, not both")
		}
		cfg.SigningKey.Secret = cfg.Secret
	}
	if err := checkKey(cfg.Algorithm, &cfg.SigningKey, true); err != nil {
		return cfg, err
	}
	ids := map[string]bool{cfg.SigningKey.ID: true}
	keys := make([]Key, len(cfg.VerificationKeys))
	for i, k := range cfg.VerificationKeys {
		if err := checkKey(cfg.Algorithm, &k, false); err != nil {
			return cfg, err
		}
		if ids[k.ID] {
			return cfg, fmt.Errorf("gqljwt: two keys share kid %q; verification could not tell them apart", k.ID)
		}
		ids[k.ID] = true
		keys[i] = k
	}
	cfg.VerificationKeys = keys

	if vc := cfg.VersionCache; vc != nil {
		ttl := vc.ready().ttl
		if cfg.VersionCacheTTL != 0 && cfg.VersionCacheTTL != ttl {
			return cfg, fmt.Errorf("gqljwt: VersionCacheTTL (%s) differs from the VersionCache's TTL (%s)", cfg.VersionCacheTTL, ttl)
		}
		cfg.VersionCacheTTL = ttl
	}
	if t := cfg.LoginThrottle; t != nil {
		window := t.ready().window
		if cfg.LoginWindow != 0 && cfg.LoginWindow != window {
			return cfg, fmt.Errorf("gqljwt: LoginWindow (%s) differs from the LoginThrottle's window (%s)", cfg.LoginWindow, window)
		}
		cfg.LoginWindow = window
	}
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"AccessTTL", &cfg.AccessTTL, DefaultAccessTTL},
		{"RefreshTTL", &cfg.RefreshTTL, DefaultRefreshTTL},
		{"VersionCacheTTL", &cfg.VersionCacheTTL, DefaultVersionCacheTTL},
		{"LoginWindow", &cfg.LoginWindow, DefaultLoginWindow},
		{"MaxLockout", &cfg.MaxLockout, DefaultMaxLockout},
	}
	for _, d := range durations {
		if *d.v < 0 {
			return cfg, fmt.Errorf("gqljwt: %s must not be negative", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if cfg.LoginThrottle == nil {
		cfg.LoginThrottle = NewLoginThrottle(cfg.LoginWindow)
	}
	if cfg.MaxLockout < cfg.LoginWindow {
		return cfg, fmt.Errorf("gqljwt: MaxLockout (%s) is shorter than LoginWindow (%s), the first lockout", cfg.MaxLockout, cfg.LoginWindow)
	}
	if cfg.VersionCache == nil {
		cfg.VersionCache = NewVersionCache(cfg.VersionCacheTTL)
	}
	if cfg.AccessTTL > cfg.RefreshTTL {
		return cfg, fmt.Errorf("gqljwt: AccessTTL (%s) is longer than RefreshTTL (%s)", cfg.AccessTTL, cfg.RefreshTTL)
	}
	switch {
	case cfg.Leeway < 0:
		return cfg, errors.New("gqljwt: Leeway must not be negative")
	case cfg.Leeway == 0:
		cfg.Leeway = DefaultLeeway
	case cfg.Leeway > maxLeeway:
		return cfg, fmt.Errorf("gqljwt: Leeway %s is over the %s maximum", cfg.Leeway, maxLeeway)
	case cfg.Leeway%time.Second != 0:
		// jwx compares whole seconds; a fraction would make the cached
		// and the full check disagree.
		return cfg, fmt.Errorf("gqljwt: Leeway %s is not a whole number of seconds", cfg.Leeway)
	}
	switch {
	case cfg.RefreshReuseGrace == 0:
		cfg.RefreshReuseGrace = DefaultRefreshReuseGrace
	case cfg.RefreshReuseGrace > maxRefreshReuseGrace:
		return cfg, fmt.Errorf("gqljwt: RefreshReuseGrace %s is over the %s maximum: reuse of a stolen refresh token would go unnoticed that long", cfg.RefreshReuseGrace, maxRefreshReuseGrace)
	}
	// A negative grace stays negative: it means off, and a Config handed
	// back to New must not turn into the default.
	if cfg.MaxTokenSize < 0 {
		return cfg, errors.New("gqljwt: MaxTokenSize must not be negative")
	}
	if cfg.MaxTokenSize == 0 {
		cfg.MaxTokenSize = DefaultMaxTokenSize
	}
	if cfg.MaxLoginFailures == 0 {
		cfg.MaxLoginFailures = DefaultMaxLoginFailures
	}
	if cfg.MaxAddressFailures == 0 {
		cfg.MaxAddressFailures = DefaultMaxAddressFailures
	}
	switch {
	case cfg.MaxAccountFailures == 0:
		cfg.MaxAccountFailures = max(DefaultMaxAccountFailures, cfg.MaxLoginFailures)
	case cfg.MaxAccountFailures > 0 && cfg.MaxAccountFailures < cfg.MaxLoginFailures:
		// The account's bar is the higher one: below the per-client bar it
		// would lock every untrusted client out before the guessing one.
		return cfg, fmt.Errorf("gqljwt: MaxAccountFailures (%d) is below MaxLoginFailures (%d)", cfg.MaxAccountFailures, cfg.MaxLoginFailures)
	}
	if cfg.DeviceCookie != nil {
		var signing []byte
		if cfg.Algorithm == HS256 {
			signing = cfg.SigningKey.Secret
		}
		dc, err := cfg.DeviceCookie.withDefaults(signing)
		if err != nil {
			return cfg, err
		}
		cfg.DeviceCookie = dc
	}
	if cfg.CacheEntries == 0 {
		cfg.CacheEntries = DefaultCacheEntries
	}
	setDefault(&cfg.RolesClaim, DefaultRolesClaim)
	setDefault(&cfg.ScopeClaim, DefaultScopeClaim)
	setDefault(&cfg.ScopeArrayClaim, DefaultScopeArrayClaim)
	setDefault(&cfg.UsernameClaim, DefaultUsernameClaim)
	for _, name := range []string{cfg.RolesClaim, cfg.ScopeClaim, cfg.ScopeArrayClaim, cfg.UsernameClaim} {
		if reservedClaims[name] {
			return cfg, fmt.Errorf("gqljwt: claim name %q is reserved", name)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.UserSecrets != nil && cfg.Versions == nil {
		cfg.Versions = cfg.UserSecrets
	}
	if vs, ok := cfg.Users.(VersionStore); ok && cfg.Versions == nil {
		cfg.Versions = vs
	}
	if cfg.UserSecrets != nil && !sameStore(cfg.UserSecrets, cfg.Versions) {
		return cfg, errors.New("gqljwt: Config.UserSecrets must be the Versions store: revoking a user secret moves the version it holds")
	}
	return cfg, nil
}

func setDefault(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

// reservedClaims are written by gqljwt itself; neither the claim-name options
// nor the Claims hook may use them.
var reservedClaims = map[string]bool{
	"sub": true, "iat": true, "exp": true, "nbf": true, "jti": true, "iss": true, "aud": true,
	claimTokenType: true, claimTokenVersion: true, claimOriginalIssuedAt: true, claimSessionID: true,
}

// checkKey verifies that k fits alg and fills in Public from Private.
func checkKey(alg string, k *Key, signing bool) error {
	name := "verification key"
	if signing {
		name = "signing key"
	}
	if k.ID != "" {
		name += fmt.Sprintf(" %q", k.ID)
	}
	if alg == HS256 {
		if k.Private != nil || k.Public != nil {
			return fmt.Errorf("gqljwt: %s: HS256 takes a Secret, not a key pair", name)
		}
		if len(k.Secret) < MinHMACSecretLength {
			return fmt.Errorf("gqljwt: %s: HS256 secret is %d bytes, at least %d are required", name, len(k.Secret), MinHMACSecretLength)
		}
		return nil
	}
	if k.Secret != nil {
		return fmt.Errorf("gqljwt: %s: %s takes a key pair, not a Secret", name, alg)
	}
	if k.Private == nil && signing {
		return fmt.Errorf("gqljwt: %s: %s needs a private key to sign", name, alg)
	}
	if k.Private != nil {
		pub := k.Private.Public()
		if k.Public != nil && !publicEqual(k.Public, pub) {
			return fmt.Errorf("gqljwt: %s: Public does not match Private", name)
		}
		k.Public = pub
	}
	if k.Public == nil {
		return fmt.Errorf("gqljwt: %s: no key material", name)
	}
	switch alg {
	case RS256:
		pub, ok := k.Public.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("gqljwt: %s: RS256 needs an RSA key, got %T", name, k.Public)
		}
		if pub.N.BitLen() < minRSABits {
			return fmt.Errorf("gqljwt: %s: RSA key is %d bits, at least %d are required", name, pub.N.BitLen(), minRSABits)
		}
	case ES256:
		pub, ok := k.Public.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			return fmt.Errorf("gqljwt: %s: ES256 needs a P-256 ECDSA key, got %T", name, k.Public)
		}
	case EdDSA:
		if _, ok := k.Public.(ed25519.PublicKey); !ok {
			return fmt.Errorf("gqljwt: %s: EdDSA needs an Ed25519 key, got %T", name, k.Public)
		}
	}
	return nil
}

func publicEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}
