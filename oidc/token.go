package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/internal/canonb64"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

const (
	// maxHeader bounds the encoded header; providers' are under 300 bytes.
	maxHeader = 1024
	// maxDepth bounds JSON nesting; claims nest two or three deep.
	maxDepth = 16
	// maxNumericDate is 9999-12-31T23:59:59Z, as in gqljwt.
	maxNumericDate = 253402300799
)

// invalid is TOKEN_INVALID with the reason kept for logs only.
func invalid(format string, args ...any) error {
	return gqljwt.ErrTokenInvalid.WithCause(fmt.Errorf("oidc: "+format, args...))
}

// Verify implements gqljwt.ExternalIssuer. In order, before any key is
// used: compact serialization in canonical base64url; a header that is
// one JSON object naming each member once, with an alg Algorithms allows,
// a kid, and none of jku, jwk, x5u (keys come from the key set only), crit
// or b64; a payload that is one JSON object naming each member once at any
// depth, whose iss is Issuer, whose audience claim holds one of Audience,
// with a string sub, a NumericDate exp and, when present, NumericDate iat
// and nbf and a string jti. Then the key the kid names (an unknown kid
// refetches the set once, rate-limited), the signature with that key and
// the pinned alg, and the times with Leeway. The identity's roles and
// scopes come from Mapping.
func (x *Issuer) Verify(ctx context.Context, token string) (*gqljwt.Identity, error) {
	hdr, claims, err := x.parse(token)
	if err != nil {
		return nil, err
	}
	alg, kid := hdr["alg"].(string), hdr["kid"].(string)
	key, err := x.key(ctx, kid, alg)
	if err != nil {
		return nil, err
	}
	sigAlg, _ := jwa.LookupSignatureAlgorithm(alg) // one of asymmetric: all registered
	if _, err := jws.VerifyCompactFast(key, []byte(token), sigAlg); err != nil {
		return nil, invalid("%s: signature: %w", x.cfg.Issuer, err)
	}
	id := &gqljwt.Identity{}
	id.Subject = claims["sub"].(string)
	id.TokenID, _ = claims["jti"].(string)
	now := x.cfg.Now()
	exp, _ := numericDate(claims, "exp")
	id.ExpiresAt = exp
	if !now.Before(exp.Add(x.cfg.Leeway)) {
		return nil, gqljwt.ErrTokenExpired
	}
	if nbf, ok := numericDate(claims, "nbf"); ok && now.Add(x.cfg.Leeway).Before(nbf) {
		return nil, invalid("%s: not valid yet", x.cfg.Issuer)
	}
	if iat, ok := numericDate(claims, "iat"); ok {
		if now.Add(x.cfg.Leeway).Before(iat) {
			return nil, invalid("%s: issued in the future", x.cfg.Issuer)
		}
		id.IssuedAt = iat
	}
	if err := x.cfg.Mapping.apply(claims, id); err != nil {
		return nil, err
	}
	x.kids.add(token[:strings.IndexByte(token, '.')], kid)
	return id, nil
}

// maxHeaders bounds the kid memo. A provider writes one header per key
// (the same alg, kid and typ on every token), so a few entries serve all
// of its tokens.
const maxHeaders = 256

// kidMemo maps the encoded header of tokens Verify accepted to their kid,
// so that Current, which runs on every request the verified-token cache
// serves, finds the kid without parsing the header again. Only accepted
// headers get in, and at most maxHeaders of them.
type kidMemo struct {
	mu sync.RWMutex
	m  map[string]string
}

func (k *kidMemo) get(header string) (string, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	kid, ok := k.m[header]
	return kid, ok
}

func (k *kidMemo) add(header, kid string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]string{}
	}
	if _, ok := k.m[header]; !ok && len(k.m) < maxHeaders {
		// A copy: the header is a slice of a whole token.
		k.m[strings.Clone(header)] = kid
	}
}

// Current implements gqljwt.ExternalIssuer: a cached token stays good
// while the key set is fresh and still holds its kid.
func (x *Issuer) Current(ctx context.Context, token string) error {
	if err := x.fresh(ctx); err != nil {
		return err
	}
	seg := token[:max(strings.IndexByte(token, '.'), 0)]
	kid, ok := x.kids.get(seg)
	if !ok {
		hdr, err := decodeHeader(token)
		if err != nil {
			return err
		}
		kid = hdr["kid"].(string)
	}
	if _, ok := x.keys.LookupKeyID(kid); !ok {
		return invalid("%s: the key is no longer published", x.cfg.Issuer)
	}
	return nil
}

// parse reads token's header and claims strictly and checks everything
// that needs no key.
func (x *Issuer) parse(token string) (hdr, claims map[string]any, err error) {
	hdr, err = decodeHeader(token)
	if err != nil {
		return nil, nil, err
	}
	if !slices.Contains(x.cfg.Algorithms, hdr["alg"].(string)) {
		return nil, nil, invalid("%s: alg %q is not allowed", x.cfg.Issuer, hdr["alg"])
	}
	first, last := strings.IndexByte(token, '.'), strings.LastIndexByte(token, '.')
	payload, err := canonb64.DecodeString(token[first+1 : last])
	if err != nil {
		return nil, nil, invalid("payload is not canonical base64url")
	}
	claims, err = strictObject(payload)
	if err != nil {
		return nil, nil, invalid("payload: %w", err)
	}
	if iss, _ := claims["iss"].(string); iss != x.cfg.Issuer {
		return nil, nil, invalid("iss is not %s", x.cfg.Issuer)
	}
	if !x.audienceOK(claims[x.cfg.AudienceClaim]) {
		return nil, nil, invalid("%s: no accepted audience in %s", x.cfg.Issuer, x.cfg.AudienceClaim)
	}
	if sub, ok := claims["sub"].(string); !ok || sub == "" {
		return nil, nil, invalid("%s: sub missing", x.cfg.Issuer)
	}
	if _, ok := claims["exp"]; !ok {
		return nil, nil, invalid("%s: exp missing", x.cfg.Issuer)
	}
	for _, name := range []string{"exp", "iat", "nbf"} {
		if _, present := claims[name]; present {
			if _, ok := numericDate(claims, name); !ok {
				return nil, nil, invalid("%s: %s is not a NumericDate", x.cfg.Issuer, name)
			}
		}
	}
	if jti, present := claims["jti"]; present {
		if _, ok := jti.(string); !ok {
			return nil, nil, invalid("%s: jti is not a string", x.cfg.Issuer)
		}
	}
	return hdr, claims, nil
}

// audienceOK reports whether v, a string or an array of strings, holds one
// of the accepted audiences.
func (x *Issuer) audienceOK(v any) bool {
	switch v := v.(type) {
	case string:
		return slices.Contains(x.cfg.Audience, v)
	case []any:
		found := false
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return false
			}
			found = found || slices.Contains(x.cfg.Audience, s)
		}
		return found
	}
	return false
}

// decodeHeader checks the serialization and reads the header: alg and kid
// strings present, no member that would have keys or processing come from
// the token.
func decodeHeader(token string) (map[string]any, error) {
	if strings.Count(token, ".") != 2 {
		return nil, invalid("not a compact JWS")
	}
	seg := token[:strings.IndexByte(token, '.')]
	if len(seg) > maxHeader {
		return nil, invalid("header over %d bytes", maxHeader)
	}
	sig := token[strings.LastIndexByte(token, '.')+1:]
	if sig == "" {
		return nil, invalid("unsigned")
	}
	if _, err := canonb64.DecodeString(sig); err != nil {
		return nil, invalid("signature is not canonical base64url")
	}
	b, err := canonb64.DecodeString(seg)
	if err != nil {
		return nil, invalid("header is not canonical base64url")
	}
	hdr, err := strictObject(b)
	if err != nil {
		return nil, invalid("header: %w", err)
	}
	for _, name := range []string{"jku", "jwk", "x5u", "crit", "b64"} {
		if _, ok := hdr[name]; ok {
			return nil, invalid("header carries %s", name)
		}
	}
	alg, _ := hdr["alg"].(string)
	kid, _ := hdr["kid"].(string)
	if alg == "" || kid == "" {
		return nil, invalid("header needs alg and kid strings")
	}
	return hdr, nil
}

// numericDate reads the claim name as a NumericDate: a non-negative JSON
// number up to year 9999.
func numericDate(claims map[string]any, name string) (time.Time, bool) {
	n, ok := claims[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > maxNumericDate || math.IsNaN(f) {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// strictObject decodes b, which must be exactly one JSON object in valid
// UTF-8, naming each member once in every object, nested at most maxDepth
// deep. Numbers stay json.Number.
func strictObject(b []byte) (map[string]any, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	v, err := readObject(dec, 1)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the object")
	}
	return v, nil
}

// readObject reads the members of an object whose '{' was read.
func readObject(dec *json.Decoder, depth int) (map[string]any, error) {
	m := map[string]any{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name := t.(string) // the decoder only yields strings as member names
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("member %q twice", name)
		}
		v, err := readValue(dec, depth)
		if err != nil {
			return nil, err
		}
		m[name] = v
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, err
	}
	return m, nil
}

func readValue(dec *json.Decoder, depth int) (any, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := t.(json.Delim)
	if !ok {
		return t, nil
	}
	if depth >= maxDepth {
		return nil, errors.New("nested too deep")
	}
	if d == '{' {
		return readObject(dec, depth+1)
	}
	a := []any{}
	for dec.More() {
		v, err := readValue(dec, depth+1)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, err
	}
	return a, nil
}
