package gqljwt

import (
	"slices"
	"time"
)

// Settings is what a Service runs with, defaults applied, without its keys
// or stores: safe to log or show, and current after RotateKeys.
type Settings struct {
	Algorithm string
	// SigningKeyID is the kid of the key signing new tokens;
	// VerificationKeyIDs are the kids accepted on verify, the signing
	// key's among them.
	SigningKeyID       string
	VerificationKeyIDs []string

	AccessTTL, RefreshTTL, Leeway time.Duration
	Issuer, Audience              string
	// RefreshReuseGrace is 0 when the grace is off.
	RefreshReuseGrace time.Duration

	RolesClaim, ScopeClaim, ScopeArrayClaim, UsernameClaim string

	MaxTokenSize, CacheEntries                               int
	MaxLoginFailures, MaxAccountFailures, MaxAddressFailures int
	LoginWindow, MaxLockout                                  time.Duration
	// DeviceCookieName is the device cookie's name, "" when device
	// cookies are off.
	DeviceCookieName string
	VersionCacheTTL  time.Duration

	// Which stores the Service has: login needs Users, long-running
	// refresh Refresh, user secrets and logoutAll Versions.
	HasUsers, HasRefresh, HasVersions bool
}

// Settings returns the Service's current settings.
func (s *Service) Settings() Settings {
	c := &s.cfg
	ring := s.ring.Load()
	st := Settings{
		Algorithm: c.Algorithm, SigningKeyID: ring.signingKID, VerificationKeyIDs: slices.Clone(ring.kids),
		AccessTTL: c.AccessTTL, RefreshTTL: c.RefreshTTL, Leeway: c.Leeway, Issuer: c.Issuer, Audience: c.Audience,
		RefreshReuseGrace: s.reuseGrace(),
		RolesClaim:        c.RolesClaim, ScopeClaim: c.ScopeClaim, ScopeArrayClaim: c.ScopeArrayClaim, UsernameClaim: c.UsernameClaim,
		MaxTokenSize: c.MaxTokenSize, CacheEntries: c.CacheEntries,
		MaxLoginFailures: c.MaxLoginFailures, MaxAccountFailures: c.MaxAccountFailures, MaxAddressFailures: c.MaxAddressFailures,
		LoginWindow: c.LoginWindow, MaxLockout: c.MaxLockout, VersionCacheTTL: c.VersionCacheTTL,
		HasUsers: c.Users != nil, HasRefresh: c.Refresh != nil, HasVersions: c.Versions != nil,
	}
	if c.DeviceCookie != nil {
		st.DeviceCookieName = c.DeviceCookie.Name
	}
	return st
}

// Now is the Service's clock (Config.Now, or time.Now).
func (s *Service) Now() time.Time { return s.cfg.Now() }
