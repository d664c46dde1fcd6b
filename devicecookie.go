package gqljwt

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gqljwt/gqljwt/internal/canonb64"
)

// Device cookie defaults, applied by New to a DeviceCookieConfig's zero
// fields.
const (
	// DefaultDeviceCookieName is the cookie's name. The __Host- prefix
	// makes browsers refuse the cookie unless it is Secure, has Path=/ and
	// no Domain, so a sibling subdomain cannot plant or overwrite it.
	DefaultDeviceCookieName = "__Host-gqljwt-device"
	// DefaultInsecureDeviceCookieName is the name used with Insecure:
	// browsers drop __Host- cookies that are not Secure.
	DefaultInsecureDeviceCookieName = "gqljwt-device"
	// DefaultDeviceCookieMaxAge is how long a device stays trusted after
	// its last successful login: 90 days, so that a browser used every
	// season keeps its standing, and a stolen cookie, which still needs
	// the password, stops counting apart after a season.
	DefaultDeviceCookieMaxAge = 90 * 24 * time.Hour
	// MinDeviceCookieSecretLength is the shortest DeviceCookieConfig.Secret
	// New accepts: 256 bits, the HMAC-SHA256 key size.
	MinDeviceCookieSecretLength = 32
)

const (
	deviceCookieVersion = 1
	deviceNonceSize     = 16
	// deviceCookieLen is version, nonce, issue time (Unix seconds) and the
	// HMAC-SHA256 tag, before base64url.
	deviceCookieLen = 1 + deviceNonceSize + 8 + sha256.Size
	// maxDeviceCookies bounds the HMACs computed for one login when a
	// request carries the cookie several times (one per Path, say).
	maxDeviceCookies = 4
	// deviceKeyLabel separates the device-cookie key derived from the
	// signing secret from every other use of that secret.
	deviceKeyLabel = "gqljwt device cookie key v1"
	// deviceMACLabel separates device-cookie tags from any other HMAC made
	// with the same key.
	deviceMACLabel = "gqljwt device cookie v1\x00"
	// deviceClockSkew tolerates an issue time slightly in the future, for
	// instances whose clocks differ a little.
	deviceClockSkew = time.Minute
)

// DeviceCookieConfig turns on device cookies, the lockout defence of
// OWASP's Authentication Cheat Sheet ("Slow down online guessing attacks
// with device cookies"). A browser that logs in successfully receives an
// HttpOnly cookie naming the account and a random device nonce, signed
// with HMAC-SHA256. Failed logins that present a valid cookie are counted
// for that device alone: they neither count towards the account's lockout
// nor are stopped by it, nor by a lockout of the client's address. So an
// attacker, who has no such cookie, can lock out untrusted clients but not
// the owner's browsers.
//
// One cookie is kept per browser: logging in to another account from the
// same browser makes it a trusted device of that account instead.
type DeviceCookieConfig struct {
	// Name is the cookie's name (default DefaultDeviceCookieName, or
	// DefaultInsecureDeviceCookieName with Insecure).
	Name string
	// Secret is the HMAC-SHA256 key, at least 32 bytes. When nil and the
	// Service signs with HS256, a key is derived from the signing secret;
	// set Secret to keep devices trusted across a change of signing secret,
	// and with RS256, ES256 or EdDSA, where it is required. Instances that
	// serve the same users need the same Secret.
	Secret []byte
	// MaxAge is how long a device stays trusted after its last successful
	// login (default 90 days). Each successful login issues a new cookie.
	// It is checked on the server too: the client decides nothing.
	MaxAge time.Duration
	// Insecure leaves out the Secure attribute, for development over plain
	// HTTP only: without it the cookie travels in clear text.
	Insecure bool
	// SameSite is http.SameSiteStrictMode (default) or
	// http.SameSiteLaxMode. None is refused: it would let any site make a
	// browser send failed logins with the cookie and so spend, and lock,
	// the device's budget.
	SameSite http.SameSite
	// Path is the cookie's path (default "/"; __Host- names need "/").
	Path string

	key []byte
}

// withDefaults returns a copy of dc with its defaults and key, or an error
// naming what is unacceptable. signing is the HS256 signing secret, nil
// with other algorithms.
func (dc *DeviceCookieConfig) withDefaults(signing []byte) (*DeviceCookieConfig, error) {
	c := *dc
	switch {
	case c.Secret != nil && len(c.Secret) < MinDeviceCookieSecretLength:
		return nil, fmt.Errorf("gqljwt: DeviceCookie.Secret is %d bytes, at least %d are required", len(c.Secret), MinDeviceCookieSecretLength)
	case c.Secret != nil:
		// A copy: the caller's slice may be reused or zeroed.
		c.Secret = append([]byte(nil), c.Secret...)
		c.key = c.Secret
	case signing != nil:
		mac := hmac.New(sha256.New, signing)
		mac.Write([]byte(deviceKeyLabel))
		c.key = mac.Sum(nil)
	default:
		return nil, errors.New("gqljwt: DeviceCookie.Secret is required when the Service does not sign with an HS256 secret")
	}
	if c.Name == "" {
		c.Name = DefaultDeviceCookieName
		if c.Insecure {
			c.Name = DefaultInsecureDeviceCookieName
		}
	}
	if c.Path == "" {
		c.Path = "/"
	}
	switch {
	case c.MaxAge < 0:
		return nil, errors.New("gqljwt: DeviceCookie.MaxAge must not be negative")
	case c.MaxAge == 0:
		c.MaxAge = DefaultDeviceCookieMaxAge
	case c.MaxAge < time.Second:
		return nil, fmt.Errorf("gqljwt: DeviceCookie.MaxAge %s is under a second, the cookie's unit", c.MaxAge)
	}
	switch c.SameSite {
	case 0, http.SameSiteDefaultMode:
		c.SameSite = http.SameSiteStrictMode
	case http.SameSiteStrictMode, http.SameSiteLaxMode:
	default:
		return nil, errors.New("gqljwt: DeviceCookie.SameSite must be Strict or Lax: with None any site could spend a device's login budget")
	}
	if err := (&http.Cookie{Name: c.Name, Value: "v", Path: c.Path}).Valid(); err != nil {
		return nil, fmt.Errorf("gqljwt: DeviceCookie: %w", err)
	}
	hostPrefix := strings.HasPrefix(c.Name, "__Host-")
	switch {
	case c.Insecure && (hostPrefix || strings.HasPrefix(c.Name, "__Secure-")):
		return nil, fmt.Errorf("gqljwt: DeviceCookie.Name %q needs the Secure attribute, which Insecure leaves out", c.Name)
	case hostPrefix && c.Path != "/":
		return nil, fmt.Errorf("gqljwt: DeviceCookie.Name %q needs Path \"/\"", c.Name)
	}
	return &c, nil
}

// mac is the tag of payload for the account it was issued to.
func (dc *DeviceCookieConfig) mac(account string, payload []byte) []byte {
	m := hmac.New(sha256.New, dc.key)
	m.Write([]byte(deviceMACLabel))
	m.Write([]byte(strconv.Itoa(len(account))))
	m.Write([]byte{':'})
	m.Write([]byte(account))
	m.Write(payload)
	return m.Sum(nil)
}

// cookie returns a new device cookie for account, issued at now.
func (dc *DeviceCookieConfig) cookie(account string, now time.Time) (*http.Cookie, error) {
	raw := make([]byte, deviceCookieLen)
	raw[0] = deviceCookieVersion
	if _, err := rand.Read(raw[1 : 1+deviceNonceSize]); err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint64(raw[1+deviceNonceSize:], uint64(now.Unix()))
	payload := raw[:1+deviceNonceSize+8]
	copy(raw[len(payload):], dc.mac(account, payload))
	return &http.Cookie{
		Name:     dc.Name,
		Value:    base64.RawURLEncoding.EncodeToString(raw),
		Path:     dc.Path,
		MaxAge:   int(dc.MaxAge / time.Second),
		HttpOnly: true,
		Secure:   !dc.Insecure,
		SameSite: dc.SameSite,
	}, nil
}

// device returns the nonce of value when it is a device cookie issued to
// account, by this key, less than MaxAge before now. Anything else (a
// forgery, another account's cookie, an expired or altered one) is no
// cookie at all.
func (dc *DeviceCookieConfig) device(value, account string, now time.Time) (string, bool) {
	if base64.RawURLEncoding.EncodedLen(deviceCookieLen) != len(value) {
		return "", false
	}
	raw, err := canonb64.DecodeString(value)
	if err != nil || raw[0] != deviceCookieVersion {
		return "", false
	}
	payload, tag := raw[:1+deviceNonceSize+8], raw[1+deviceNonceSize+8:]
	if !hmac.Equal(tag, dc.mac(account, payload)) {
		return "", false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(payload[1+deviceNonceSize:])), 0)
	if issued.After(now.Add(deviceClockSkew)) || !now.Before(issued.Add(dc.MaxAge)) {
		return "", false
	}
	return hex.EncodeToString(payload[1 : 1+deviceNonceSize]), true
}

// trustedDevice returns the device nonce of the request's device cookie
// for account, if it carries a valid one.
func (s *Service) trustedDevice(ctx context.Context, account string, now time.Time) (string, bool) {
	dc := s.cfg.DeviceCookie
	if dc == nil {
		return "", false
	}
	r, ok := RequestFromContext(ctx)
	if !ok {
		return "", false
	}
	for i, c := range r.CookiesNamed(dc.Name) {
		if i == maxDeviceCookies {
			break
		}
		if nonce, ok := dc.device(c.Value, account, now); ok {
			return nonce, true
		}
	}
	return "", false
}

// issueDeviceCookie makes the client of ctx a trusted device of account,
// when device cookies are on and the request has a response to set the
// cookie on.
func (s *Service) issueDeviceCookie(ctx context.Context, account string, now time.Time) error {
	dc := s.cfg.DeviceCookie
	if dc == nil {
		return nil
	}
	w, ok := ResponseFromContext(ctx)
	if !ok {
		return nil
	}
	c, err := dc.cookie(account, now)
	if err != nil {
		return ErrInternal.WithCause(err)
	}
	w.SetCookie(c)
	return nil
}
