package gqljwt

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

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
//     full. (maphash is not a cryptographic hash: the figure rests on its
//     seed and outputs staying in the process, which they do.) The
//     signature part makes the entries of other callers out of reach:
//     matching one needs its signature, which only its token holds.
//     Whoever does find a second string for a key of their own token gets
//     that token's identity, which they hold anyway; Identity.JWT and
//     Claims, which read the string, verify its signature first. Two
//     tokens whose keys collide take turns in the one entry, each missing
//     (and verified in full) while the other holds it.
//   - Only tokens that passed every check are added. Every check on a token's
//     bytes (signature, alg, kid, typ, iss, aud, nbf, iat, required claims)
//     gives the same answer later for the same bytes, with one exception:
//     time. nbf and iat only move from "future" to "past", which cannot turn
//     an accepted token into a refused one, as long as the clock does not
//     go back: an entry is not served at a time before it was added (a
//     wall clock stepped back, a snapshot resumed), where an uncached
//     service might refuse its iat or nbf; the token is verified in full
//     instead. exp can: an entry is served only while the service clock is
//     before its token's exp (and at most maxCachedAge after it was added);
//     past that the token is verified in full again, which gives the
//     answer an uncached service gives.
//   - The other checks that can change over time are not cached: the jti
//     denylist and the user's token version are read on every request, hit
//     or miss.
//   - Keys can change (RotateKeys). An entry remembers the generation of the
//     keyring that verified it and is only served while that ring is
//     current; the swap also empties the cache.
//   - An entry is read whole or not at all: each bucket has a sequence
//     number that a writer makes odd while it writes, and a read that saw
//     it odd or changed is a miss (or read again). A miss is always safe:
//     the token is verified in full.
//
// Memory is bounded and holds no pointer: the entries live in one array of
// buckets of cacheWays slots, each slot a key and the entry's words, its
// texts inline (cacheTextBytes at most), so the garbage collector neither
// marks nor scans any of it. An earlier cache (otter) kept a node and a
// string per entry: a million cached tokens were two million objects for
// every collection to mark, which the requests without a token paid for
// as much as the others. A token is held in the bucket its key names and
// evicts that bucket's least recently read entry, as a CLOCK does: a hit
// sets its slot's bit, and the hand looking for room clears the bits it
// passes and takes the first slot without one. New entries start without
// the bit, so a burst of tokens seen once does not push out the ones read
// again and again. A token whose texts do not fit a slot (many or long
// roles and scopes) is held in long, a small otter cache of whole
// entries, as all were before.
type verifiedCache struct {
	buckets []cacheBucket
	// ways is how many slots of each bucket are used: cacheWays, or
	// fewer for a cache smaller than one bucket.
	ways int
	long *otter.Cache[cacheKey, cachedIdentity]
	seed maphash.Seed
	// misses counts the verifications that went past the cache, on a
	// cache line of its own: the fields above are read on every hit.
	_      [64]byte
	misses atomic.Uint64
}

const (
	// cacheWays is the number of slots in a bucket, the ones a token may
	// take: eight keys, 64 bytes, read in one pass.
	cacheWays = 8
	// slotMetaWords are the words of an entry before its text: the tail
	// (two), exp, ver, gen with untilBefore, iatBefore with origBefore,
	// the text's length with addedBefore.
	slotMetaWords = 7
	// slotWords is the size of a slot in words: 232 bytes, and with its
	// key and its share of the bucket's header 242 bytes an entry, under
	// the 250 the performance issue set.
	slotWords = 29
	// cacheTextBytes is the most text a slot holds: 176 bytes, which a
	// token's session ID, subject, token ID, username and a few roles and
	// scopes fill.
	cacheTextBytes = (slotWords - slotMetaWords) * 8
)

// cacheBucket is the home of the tokens whose keys it holds. Every field is
// read and written atomically, which makes the sequence number's promise
// (a read that saw it even and unchanged saw one writer's whole entry)
// hold under the Go memory model, and keeps the race detector quiet.
type cacheBucket struct {
	// seq is odd while a writer holds the bucket.
	seq atomic.Uint64
	// refs has bit w set when slot w was read since the hand last passed
	// it; bits 8 to 15 are the hand, the next slot it looks at.
	refs  atomic.Uint64
	keys  [cacheWays]atomic.Uint64
	slots [cacheWays][slotWords]atomic.Uint64
}

// maxCachedAge bounds how long an entry is served, whatever its token's
// exp: a long-lived token is read in full again now and then.
const maxCachedAge = 15 * time.Minute

// newVerifiedCache returns a cache of about max entries (none for max < 0):
// max rounded down to a whole number of buckets. The buckets are allocated
// at once, max * 242 bytes, in zeroed memory that the system only backs
// as it is written.
func newVerifiedCache(max int) *verifiedCache {
	if max < 0 {
		return &verifiedCache{}
	}
	v := &verifiedCache{ways: min(cacheWays, max), seed: maphash.MakeSeed()}
	if v.ways > 0 {
		v.buckets = make([]cacheBucket, max/v.ways)
	}
	// Without an expiry policy otter keeps no timer per entry and runs no
	// goroutine: entries past their time are never served (get checks)
	// and leave by eviction.
	v.long = otter.Must(&otter.Options[cacheKey, cachedIdentity]{MaximumSize: max, Clock: stillClock{}})
	return v
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

// cacheKey finds a token's entry: its keyed hash, never 0 (an empty slot's
// key).
type cacheKey uint64

func (v *verifiedCache) key(token string) cacheKey {
	return cacheKey(max(1, maphash.String(v.seed, token)))
}

// bucket is the home of key k: its high half, scaled to the number of
// buckets (no division, and any number of buckets).
func (v *verifiedCache) bucket(k cacheKey) *cacheBucket {
	return &v.buckets[((uint64(k)>>32)*uint64(len(v.buckets)))>>32]
}

// tailOf is the last 16 characters of token (fewer, zero-padded, for a
// shorter one), as two words.
func tailOf(token string) [2]uint64 {
	var tail [16]byte
	copy(tail[:], token[max(0, len(token)-len(tail)):])
	return [2]uint64{binary.LittleEndian.Uint64(tail[:8]), binary.LittleEndian.Uint64(tail[8:])}
}

// enabled reports whether the cache holds anything at all.
func (v *verifiedCache) enabled() bool { return v.long != nil }

// get returns the entry of token, if it is held: the entry of its key,
// if it holds its tail. The texts of an entry from a bucket are copied
// into text, which the entry's text then is; those of a long one are its
// own string.
func (v *verifiedCache) get(token string, text *[cacheTextBytes]byte) (cachedIdentity, bool) {
	if v.long == nil {
		return cachedIdentity{}, false
	}
	k, tail := v.key(token), tailOf(token)
	if len(v.buckets) > 0 {
		if e, found, ok := v.bucket(k).read(k, tail, v.ways, text); ok {
			return e, found
		}
	}
	e, ok := v.long.GetIfPresent(k)
	if !ok || e.tail != tail {
		return cachedIdentity{}, false
	}
	return e, true
}

// read looks for key k with tail in b, copying its entry's text into text.
// ok is false when b had no entry of k and its tail: the long cache may
// have it.
// A read that overlapped a write is tried again, and after a few tries
// is a miss, which is safe.
func (b *cacheBucket) read(k cacheKey, tail [2]uint64, ways int, text *[cacheTextBytes]byte) (e cachedIdentity, found, ok bool) {
	for range 4 {
		seq := b.seq.Load()
		if seq&1 != 0 {
			continue
		}
		w := 0
		for w < ways && b.keys[w].Load() != uint64(k) {
			w++
		}
		if w == ways {
			return cachedIdentity{}, false, false
		}
		s := &b.slots[w]
		e.tail = [2]uint64{s[0].Load(), s[1].Load()}
		e.exp, e.ver = int64(s[2].Load()), s[3].Load()
		gu, io := s[4].Load(), s[5].Load()
		e.gen, e.untilBefore = uint32(gu), uint32(gu>>32)
		e.iatBefore, e.origBefore = int32(uint32(io)), int32(uint32(io>>32))
		na := s[6].Load()
		n := na & math.MaxUint32
		e.addedBefore = uint32(na >> 32)
		if n > cacheTextBytes {
			continue // torn: a writer was changing the slot
		}
		for i := range (int(n) + 7) / 8 {
			binary.LittleEndian.PutUint64(text[8*i:], s[slotMetaWords+i].Load())
		}
		if b.seq.Load() != seq {
			continue
		}
		if e.tail != tail {
			// Another token with the same key (a chance of 2^-64): ours
			// may be a long one.
			return cachedIdentity{}, false, false
		}
		if r := b.refs.Load(); r&(1<<w) == 0 {
			b.refs.Or(1 << w)
		}
		e.text = unsafe.String(&text[0], n)
		return e, true, true
	}
	return cachedIdentity{}, false, true
}

// add holds e, an identity of token that full verification built, served
// until its token's exp or maxCachedAge from now, whichever comes first.
func (v *verifiedCache) add(token string, e cachedIdentity, now time.Time) {
	if v.long == nil || e.text == "" {
		return
	}
	until := min(e.exp, now.Add(maxCachedAge).Unix())
	if until <= now.Unix() || e.exp-until > 1<<31 {
		return
	}
	e.untilBefore = uint32(e.exp - until)
	// Under 2^31 + maxCachedAge: until is at most maxCachedAge after now.
	e.addedBefore = uint32(e.exp - now.Unix())
	e.tail = tailOf(token)
	k := v.key(token)
	switch {
	case len(e.text) > cacheTextBytes:
		// A long text is a string of its own (packIdentity's append went
		// past the box's room), never a part of a request's box.
		v.long.Set(k, e)
	case len(v.buckets) > 0:
		v.bucket(k).write(k, &e, v.ways)
	}
}

// write holds e as the entry of k in b. When another writer holds b the
// entry is not added: the token is verified in full once more, and nobody
// waits.
func (b *cacheBucket) write(k cacheKey, e *cachedIdentity, ways int) {
	seq := b.seq.Load()
	if seq&1 != 0 || !b.seq.CompareAndSwap(seq, seq+1) {
		return
	}
	w := b.slotFor(k, ways)
	s := &b.slots[w]
	s[0].Store(e.tail[0])
	s[1].Store(e.tail[1])
	s[2].Store(uint64(e.exp))
	s[3].Store(e.ver)
	s[4].Store(uint64(e.gen) | uint64(e.untilBefore)<<32)
	s[5].Store(uint64(uint32(e.iatBefore)) | uint64(uint32(e.origBefore))<<32)
	s[6].Store(uint64(len(e.text)) | uint64(e.addedBefore)<<32)
	var word [8]byte
	for i := 0; i < len(e.text); i += 8 {
		clear(word[:])
		copy(word[:], e.text[i:])
		s[slotMetaWords+i/8].Store(binary.LittleEndian.Uint64(word[:]))
	}
	b.keys[w].Store(uint64(k))
	b.seq.Store(seq + 2)
}

// slotFor picks the slot of k in b, held by the caller: k's own, an empty
// one, or the CLOCK's victim, whose bit is left clear for the newcomer.
func (b *cacheBucket) slotFor(k cacheKey, ways int) int {
	empty := -1
	for w := range ways {
		switch b.keys[w].Load() {
		case uint64(k):
			return w
		case 0:
			if empty < 0 {
				empty = w
			}
		}
	}
	for {
		r := b.refs.Load()
		w, refs := empty, r
		if w < 0 {
			w = int(r>>8) % ways
			// At most one turn: every bit the hand passes is cleared.
			for refs&(1<<w) != 0 {
				refs &^= 1 << w
				w = (w + 1) % ways
			}
			refs = refs&0xff | uint64((w+1)%ways)<<8
		}
		refs &^= 1 << w
		if b.refs.CompareAndSwap(r, refs) {
			return w
		}
	}
}

// CacheStats describes the verified-token cache, for metrics.
type CacheStats struct {
	// Misses counts the verifications since New that no cache served:
	// the tokens verified in full, refused ones included. With the
	// number of requests that carried a token it gives the hit ratio.
	Misses uint64
	// Entries is how many tokens the cache holds now (ours and external
	// issuers'), and Capacity how many it can hold.
	Entries, Capacity int
}

// CacheStats returns the verified-token cache's figures. Counting the
// entries reads every slot, about a millisecond per million: fine for a
// metrics scrape, not for every request.
func (s *Service) CacheStats() CacheStats {
	st := CacheStats{Misses: s.verified.misses.Load(), Entries: s.verified.len(), Capacity: len(s.verified.buckets) * s.verified.ways}
	if s.external != nil {
		s.external.c.CleanUp()
		st.Entries += s.external.c.EstimatedSize()
	}
	return st
}

// len is the number of entries held.
func (v *verifiedCache) len() int {
	n := 0
	for i := range v.buckets {
		for w := range v.ways {
			if v.buckets[i].keys[w].Load() != 0 {
				n++
			}
		}
	}
	if v.long != nil {
		v.long.CleanUp()
		n += v.long.EstimatedSize()
	}
	return n
}

// flush empties the cache. Each bucket is taken as a writer takes it,
// waiting for the one that holds it.
func (v *verifiedCache) flush() {
	for i := range v.buckets {
		b := &v.buckets[i]
		for {
			seq := b.seq.Load()
			if seq&1 == 0 && b.seq.CompareAndSwap(seq, seq+1) {
				for w := range b.keys {
					b.keys[w].Store(0)
				}
				b.refs.Store(0)
				b.seq.Store(seq + 2)
				break
			}
			runtime.Gosched()
		}
	}
	if v.long != nil {
		v.long.InvalidateAll()
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
	// untilBefore is how long before exp the entry stops being served,
	// addedBefore how long before exp it was added: it is not served at
	// an earlier time.
	untilBefore, addedBefore uint32
	// iatBefore and origBefore place iat and origIat before exp.
	iatBefore, origBefore int32
}

// noOrig is the origBefore of a token without origIat (or with 0), whose
// OriginalIssuedAt is its IssuedAt.
const noOrig = math.MinInt32

// servable reports whether e may be served at now by ring: by the ring
// that verified it, after it was added and before its end.
func (e *cachedIdentity) servable(now time.Time, ring *keyring) bool {
	t := now.Unix()
	return e.gen == ring.gen && t < e.exp-int64(e.untilBefore) && t >= e.exp-int64(e.addedBefore)
}

// identityBox holds an identity with room for its lazy token, a few roles
// and scopes and its texts, so that one allocation serves all of them. The
// identity's strings are parts of text (when they fit it), which nothing
// writes after the box is filled: a cache hit copies the entry's texts
// there, as the bucket's slot may take another token the next moment.
type identityBox struct {
	id    Identity
	lazy  lazyToken
	roles [4]string
	text  [cacheTextBytes]byte
}

// packIdentity returns the cache entry of an identity with these texts and
// numbers, its text written into text when it fits there (and a string of
// its own otherwise). cacheable is false when the times do not fit it (a
// token whose iat or origIat lies over 68 years before its exp): the entry
// then only builds this one identity, with iat and origIat to be set by
// the caller.
func packIdentity(text *[cacheTextBytes]byte, sessionKey, sub, jti, username []byte, roles [][]byte, hasRoles bool, scopes [][]byte, exp, iat, orig int64, ver uint64) (e cachedIdentity, cacheable bool) {
	// append leaves text for an array of its own when the texts outgrow
	// it, which the cache then keeps as its long entry.
	b := text[:0]
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
	e = cachedIdentity{text: unsafe.String(unsafe.SliceData(b), len(b)), exp: exp, ver: ver, origBefore: noOrig}
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
		id.OriginalIssuedAt = time.Unix(e.exp-int64(e.origBefore), 0).UTC()
	}
	id.TokenVersion = e.ver
	return id
}
