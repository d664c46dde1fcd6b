package gqljwt

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"time"

	"github.com/maypok86/otter/v2"
)

// verifiedCache remembers the tokens full verification accepted, so that a
// token seen before skips signature verification and claim parsing.
//
// Why serving from it is as strict as the slow path:
//   - An entry is found by the token's key, a 64-bit keyed hash of the whole
//     token (maphash, with a seed of this process that never leaves it),
//     and served only if it holds the token's last 16 characters, 96 bits
//     of its signature. Any change to header, claims or signature changes
//     the key but with a chance of 2^-64 that no caller can raise: the
//     hash's output is never seen, and a string that misses is verified in
//     full. The signature part makes the entries of other callers out of
//     reach: matching one needs its signature, which only its token holds.
//     Whoever does find a second string for a key of their own token gets
//     that token's identity, which they hold anyway; Identity.JWT and
//     Claims, which read the string, verify its signature first. Two
//     tokens whose keys collide take turns in the one entry, each missing
//     (and verified in full) while the other holds it.
//   - Only tokens that passed every check are added. Every check on a token's
//     bytes (signature, alg, kid, typ, iss, aud, nbf, iat, required claims)
//     gives the same answer later for the same bytes, with one exception:
//     time. nbf and iat only move from "future" to "past", which cannot turn
//     an accepted token into a refused one. exp can: an entry is served only
//     while the service clock is before its token's exp (and at most
//     maxCachedAge after it was added); past that the token is verified in
//     full again, which gives the answer an uncached service gives.
//   - The other checks that can change over time are not cached: the jti
//     denylist and the user's token version are read on every request, hit
//     or miss.
//   - Keys can change (RotateKeys). An entry remembers the generation of the
//     keyring that verified it and is only served while that ring is
//     current; the swap also empties the cache.
//   - Memory is bounded: the cache holds at most Config.CacheEntries
//     entries and evicts (otter's W-TinyLFU policy), each entry a key and
//     a cachedIdentity whose texts share one string, with no pointer into
//     the request that added it. Only tokens we signed ever get in.
type verifiedCache struct {
	c    *otter.Cache[cacheKey, cachedIdentity]
	seed maphash.Seed
}

// maxCachedAge bounds how long an entry is served, whatever its token's
// exp: a long-lived token is read in full again now and then.
const maxCachedAge = 15 * time.Minute

func newVerifiedCache(max int) *verifiedCache {
	if max < 0 {
		return &verifiedCache{}
	}
	// Without an expiry policy otter keeps no timer per entry and runs no
	// goroutine: entries past their time are never served (get checks)
	// and leave by eviction.
	return &verifiedCache{c: otter.Must(&otter.Options[cacheKey, cachedIdentity]{MaximumSize: max, Clock: stillClock{}}), seed: maphash.MakeSeed()}
}

// stillClock is the clock of the caches without an expiry policy, for
// which otter reads its clock on every read in vain: it judges expiry and
// refresh by it, and neither cache has either (their entries' times are
// checked by their own get). Its default clock read the monotonic clock on
// every hit.
type stillClock struct{}

// NowNano implements otter.Clock: always the same time.
func (stillClock) NowNano() int64 { return 0 }

// Tick implements otter.Clock: no ticks, as no entry expires.
func (stillClock) Tick(time.Duration) <-chan time.Time { return nil }

// cacheKey finds a token's entry: its keyed hash. An integer, which otter
// hashes with two multiplications; a struct key (the hash with the tail,
// as it was) went through maphash.Comparable on every read, a fifth of a
// cache hit. The tail is in the entry instead, the same 16 bytes.
type cacheKey uint64

func (v *verifiedCache) key(token string) cacheKey {
	return cacheKey(maphash.String(v.seed, token))
}

// tailOf is the last 16 characters of token (fewer, zero-padded, for a
// shorter one), as two words.
func tailOf(token string) [2]uint64 {
	var tail [16]byte
	copy(tail[:], token[max(0, len(token)-len(tail)):])
	return [2]uint64{binary.LittleEndian.Uint64(tail[:8]), binary.LittleEndian.Uint64(tail[8:])}
}

// get returns the entry of token, if it is held: the entry of its key,
// if it holds its tail.
func (v *verifiedCache) get(token string) (cachedIdentity, bool) {
	if v.c == nil {
		return cachedIdentity{}, false
	}
	e, ok := v.c.GetIfPresent(v.key(token))
	if !ok || e.tail != tailOf(token) {
		return cachedIdentity{}, false
	}
	return e, true
}

// add holds e, an identity of token that full verification built, served
// until its token's exp or maxCachedAge from now, whichever comes first.
func (v *verifiedCache) add(token string, e cachedIdentity, now time.Time) {
	if v.c == nil || e.text == "" {
		return
	}
	until := min(e.exp, now.Add(maxCachedAge).Unix())
	if until <= now.Unix() || e.exp-until > 1<<31 {
		return
	}
	e.untilBefore = uint32(e.exp - until)
	e.tail = tailOf(token)
	v.c.Set(v.key(token), e)
}

func (v *verifiedCache) flush() {
	if v.c != nil {
		v.c.InvalidateAll()
	}
}

// cachedIdentity is what the cache keeps of an identity: its numbers, and
// its texts in one string, each preceded by its length as a uvarint:
// session key ("sid:" and the session ID), subject, token ID, username,
// then the roles and the scopes, whose counts open the string (the roles
// count plus one; zero: no roles claim, Roles nil rather than empty). The times are seconds, iat and
// origIat as distances back from exp.
type cachedIdentity struct {
	text string
	// tail is the token's, as tailOf gives it.
	tail [2]uint64
	exp  int64
	ver  uint64
	// gen is the keyring generation that verified the token.
	gen uint32
	// untilBefore is how long before exp the entry stops being served.
	untilBefore uint32
	// iatBefore and origBefore place iat and origIat before exp.
	iatBefore, origBefore int32
}

// noOrig is the origBefore of a token without origIat (or with 0), whose
// OriginalIssuedAt is its IssuedAt.
const noOrig = math.MinInt32

// servable reports whether e may be served at now by ring.
func (e *cachedIdentity) servable(now time.Time, ring *keyring) bool {
	return e.gen == ring.gen && now.Unix() < e.exp-int64(e.untilBefore)
}

// identityBox holds an identity with room for its lazy token and a few
// roles and scopes, so that one allocation serves all of them.
type identityBox struct {
	id    Identity
	lazy  lazyToken
	roles [4]string
}

// packIdentity returns the cache entry of an identity with these texts and
// numbers. cacheable is false when the times do not fit it (a token whose
// iat or origIat lies over 68 years before its exp): the entry then only
// builds this one identity, with iat and origIat to be set by the caller.
func packIdentity(sessionKey, sub, jti, username []byte, roles [][]byte, hasRoles bool, scopes [][]byte, exp, iat, orig int64, ver uint64) (e cachedIdentity, cacheable bool) {
	n := len(sessionKey) + len(sub) + len(jti) + len(username) + 6*binary.MaxVarintLen64
	for _, t := range roles {
		n += len(t) + binary.MaxVarintLen64
	}
	for _, t := range scopes {
		n += len(t) + binary.MaxVarintLen64
	}
	b := make([]byte, 0, n)
	nr := uint64(0)
	if hasRoles {
		nr = uint64(len(roles)) + 1
	}
	b = binary.AppendUvarint(b, nr)
	b = binary.AppendUvarint(b, uint64(len(scopes)))
	put := func(t []byte) {
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
	}
	put(sessionKey)
	put(sub)
	put(jti)
	put(username)
	for _, t := range roles {
		put(t)
	}
	for _, t := range scopes {
		put(t)
	}
	e = cachedIdentity{text: string(b), exp: exp, ver: ver, origBefore: noOrig}
	iatBefore, origBefore := exp-iat, exp-orig
	if iatBefore != int64(int32(iatBefore)) || orig > 0 && (origBefore != int64(int32(origBefore)) || origBefore == noOrig) {
		return e, false
	}
	e.iatBefore = int32(iatBefore)
	if orig > 0 {
		e.origBefore = int32(origBefore)
	}
	return e, true
}

// fill writes the identity of e, for token verified by ring, into box,
// which must be new (zero): its strings are parts of e.text, its roles and
// scopes in box.roles when they fit. It is the one way an identity is
// built from a token's claims, cache hit or not. Every box is fresh from
// the allocator, so fill sets only the fields it fills: clearing the whole
// box again cost a fifth of a hit, most of it write barriers while the
// collector ran.
func (e *cachedIdentity) fill(box *identityBox, token string, ring *keyring) *Identity {
	t, i := e.text, 0
	uvarint := func() int {
		if b := t[i]; b < 0x80 { // the lengths and counts of real tokens
			i++
			return int(b)
		}
		v, w := binary.Uvarint([]byte(t[i:min(len(t), i+binary.MaxVarintLen64)]))
		i += w
		return int(v)
	}
	next := func() string {
		l := uvarint()
		s := t[i : i+l]
		i += l
		return s
	}
	nr, ns := uvarint(), uvarint()
	hasRoles := nr > 0
	if hasRoles {
		nr--
	}
	id := &box.id
	id.Token, id.parsed, id.ring = token, &box.lazy, ring
	id.sessionKey = next()
	id.SessionID = id.sessionKey[len(sessionKeyPrefix):]
	id.Subject, id.TokenID, id.Username = next(), next(), next()
	var list []string
	if nr+ns <= len(box.roles) {
		list = box.roles[:nr+ns]
	} else {
		list = make([]string, nr+ns)
	}
	for k := range list {
		list[k] = next()
	}
	if hasRoles {
		id.Roles = list[:nr:nr]
	}
	id.Scopes = list[nr : nr+ns : nr+ns] // never nil, as strings.Fields made it
	id.ExpiresAt = time.Unix(e.exp, 0).UTC()
	id.IssuedAt = time.Unix(e.exp-int64(e.iatBefore), 0).UTC()
	id.OriginalIssuedAt = id.IssuedAt
	if e.origBefore != noOrig {
		id.OriginalIssuedAt = time.Unix(e.exp-int64(e.origBefore), 0)
	}
	id.TokenVersion = e.ver
	return id
}
