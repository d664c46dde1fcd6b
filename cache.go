package gqljwt

import (
	"time"

	"github.com/patrickmn/go-cache"
)

// verifiedCache maps the exact token string to the identity full
// verification built from it, so a token seen before skips signature
// verification and claim parsing.
//
// Why serving from it is as strict as the slow path:
//   - The key is the whole token string, signature included: a hit means the
//     same bytes were verified before. Any change to header, claims or
//     signature is a different key and goes through full verification.
//   - Only tokens that passed every check are added. Every check on a token's
//     bytes (signature, alg, kid, typ, iss, aud, nbf, iat, required claims)
//     gives the same answer later for the same bytes, with one exception:
//     time. nbf and iat only move from "future" to "past", which cannot turn
//     an accepted token into a refused one. exp can: so an entry expires no
//     later than the token's exp, and Verify re-checks exp with the service
//     clock on every hit.
//   - The other checks that can change over time are not cached: the jti
//     denylist and the user's token version are read on every request, hit
//     or miss.
//   - Keys can change (RotateKeys). An entry remembers the keyring that
//     verified it and is only served while that ring is current; the swap
//     also empties the cache.
//   - Memory is bounded: entries expire with their tokens, and once max
//     entries are held new tokens are verified in full but not added.
//     Only tokens we signed ever get in, so the bound is also the most an
//     attacker can make us hold.
type verifiedCache struct {
	c   *cache.Cache
	max int
}

func newVerifiedCache(max int) *verifiedCache {
	if max < 0 {
		return &verifiedCache{}
	}
	return &verifiedCache{c: cache.New(cache.NoExpiration, time.Minute), max: max}
}

func (v *verifiedCache) get(token string) (*Identity, bool) {
	if v.c == nil {
		return nil, false
	}
	x, ok := v.c.Get(token)
	if !ok {
		return nil, false
	}
	return x.(*Identity), true
}

// expiryMargin makes an entry expire a little before its token: go-cache
// starts the TTL when Set runs, a moment after the caller computed it.
const expiryMargin = time.Second

// add holds id until shortly before its token expires by the clock now.
func (v *verifiedCache) add(token string, id *Identity, now func() time.Time) {
	if v.c == nil || v.c.ItemCount() >= v.max {
		return
	}
	ttl := id.ExpiresAt.Sub(now()) - expiryMargin
	if ttl <= 0 {
		return
	}
	v.c.Set(token, id, ttl)
}

func (v *verifiedCache) flush() {
	if v.c != nil {
		v.c.Flush()
	}
}
