package memstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"hash/maphash"
	"math"
	"sync"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/patrickmn/go-cache"
)

// RefreshTokens is an in-memory gqljwt.RefreshStore on go-cache.
// Compound operations run under one mutex, which makes Rotate atomic. The
// zero value is an empty store on the wall clock.
//
// Memory follows the live sessions, not the rotations. A session is one
// record: its family, subject and version, its revocation, and the tokens
// the contract needs: each live token until it expires, and a rotated
// token until the grace of its rotation is over. Older rotated tokens are
// forgotten, as gqljwt.RefreshStore allows: the Service recognises them by
// their tag and takes them for reuse. About 220 to 250 bytes a session,
// at a hundred thousand or a million, however often it rotates (bench:
// BenchmarkRefreshSessionMemory). A session keeps at most
// maxSessionTokens tokens.
//
// Answers are judged by the store's clock (see Clock). Sessions live in
// go-cache, split into shards by family, with an expiration a little past
// their last token's; go-cache only reclaims the memory, on the wall
// clock. No janitor sweeps the whole map under one lock: each write sweeps
// at most one shard, when one is due, so that the whole store is swept
// once every SweepInterval (default a minute) while writes come. A rotated
// token is forgotten at the first write after its grace.
type RefreshTokens struct {
	mu      sync.Mutex
	now     func() time.Time
	every   time.Duration // a whole sweep
	seed    maphash.Seed
	shards  []*cache.Cache          // family -> *session; nil until first use
	tokens  []map[uint64]*session   // every kept token's session, by indexKey, in tokenShard
	deleted []int                   // keys deleted from each tokens map since it was made
	subject map[string]*subjectList // each subject's sessions
	grace   graceQueue              // rotated tokens by the end of their grace
	swept   int                     // the shard the sweep visits next
	sweepAt time.Time               // when, by the wall clock
}

// shardCount splits the sessions so that a sweep step reads 1/shardCount
// of them: about 800 at two million sessions. Not a power of two: Go's
// maps grow by doubling, and a million sessions over a power of two of
// shards leaves every map just grown, half empty.
const shardCount = 2500

// reclaimSlack keeps go-cache entries a little past the store's own
// deadline, so that a clock running slightly behind the wall clock still
// finds them.
const reclaimSlack = time.Minute

// tokenKey is the first half of the SHA-256 of a record's Hash: fixed
// size, no pointer, and still 128 bits no one can match without the token.
type tokenKey [16]byte

func keyOf(hash string) tokenKey {
	sum := sha256.Sum256([]byte(hash))
	return tokenKey(sum[:16])
}

// session is a family's record.
type session struct {
	family  string
	subject *subjectList
	version uint64
	// prev and next link the subject's sessions, newest first.
	prev, next *session
	// The session's kept tokens (see toks): between rotations one live
	// token, in one, which spares an allocation, a slice header and the
	// times only a rotated token needs; otherwise all of them in more.
	one     liveToken
	more    *[]token
	revoked bool
	// dead is set once the session is dropped: nothing refers to it then
	// but a caller still holding it.
	dead bool
}

// subjectList is a subject's sessions, for RevokeSubject; its sessions
// share its name.
type subjectList struct {
	name string
	head *session
}

// liveToken is a token not rotated, in 32 bytes.
type liveToken struct {
	key             tokenKey
	issued, expires int64
}

// toks returns the session's kept tokens. A caller that changes them
// stores them back with setTokens.
func (ses *session) toks() []token {
	switch {
	case ses.dead:
		return nil
	case ses.more != nil:
		return *ses.more
	}
	return []token{{key: ses.one.key, issued: ses.one.issued, expires: ses.one.expires, rotatedAt: notRotated}}
}

// setTokens makes kept (a fresh slice or one aliasing toks) the session's
// tokens, in ses.one when it is one live token.
func (ses *session) setTokens(kept []token) {
	if len(kept) == 1 && kept[0].rotatedAt == notRotated {
		ses.one, ses.more = liveToken{key: kept[0].key, issued: kept[0].issued, expires: kept[0].expires}, nil
		return
	}
	if ses.more != nil {
		*ses.more = kept
		return
	}
	ses.more = &kept
}

// maxSessionTokens bounds the tokens a session keeps, so that no client can
// make a lookup or a rotation cost more than that many steps under the
// store's lock: past it, the session's oldest rotated token is forgotten
// before its grace ends (presented later, it is reuse, which ends the
// session: fail closed), and when all are live, successors of concurrent
// rotations within the grace, the rotation is refused as reuse. A client
// rotates once every access-token lifetime, and its concurrent refreshes
// are a handful.
const maxSessionTokens = 128

// oldestRotated returns the index in toks of the token rotated first but
// skip, or -1 when there is none.
func oldestRotated(toks []token, skip int) int {
	j := -1
	for i, t := range toks {
		if i != skip && t.rotatedAt != notRotated && (j < 0 || t.rotatedAt < toks[j].rotatedAt) {
			j = i
		}
	}
	return j
}

// token is what the store keeps of one refresh token, times in Unix
// nanoseconds by the store's clock, in 48 bytes.
type token struct {
	key             tokenKey
	issued, expires int64
	rotatedAt       int64 // notRotated while the token is live
	// keepUntil is the end of the grace of the token's rotation (the
	// longest any Rotate call gave it): it is forgotten then.
	keepUntil int64
}

const notRotated = math.MinInt64

// until is when t may be forgotten.
func (t *token) until() int64 {
	if t.rotatedAt == notRotated {
		return t.expires
	}
	return min(t.keepUntil, t.expires)
}

// graceItem is a session to prune at until, when the grace of a token it
// rotated ends.
type graceItem struct {
	s     *session
	until int64
}

// graceQueue is a FIFO of graceItems in blocks of a fixed size, so that
// neither a push nor a pop ever copies or allocates more than a block: a
// large allocation during a GC cycle makes its goroutine assist the GC
// in proportion, under the store's lock.
type graceQueue struct {
	head, tail *graceBlock
	at         int // the head block's first item
}

type graceBlock struct {
	items [256]graceItem
	n     int
	next  *graceBlock
}

func (q *graceQueue) push(it graceItem) {
	if q.tail == nil || q.tail.n == len(q.tail.items) {
		b := &graceBlock{}
		if q.tail == nil {
			q.head = b
		} else {
			q.tail.next = b
		}
		q.tail = b
	}
	q.tail.items[q.tail.n] = it
	q.tail.n++
}

func (q *graceQueue) peek() (graceItem, bool) {
	if q.head == nil || q.at == q.head.n {
		return graceItem{}, false
	}
	return q.head.items[q.at], true
}

func (q *graceQueue) pop() {
	q.head.items[q.at] = graceItem{} // let the session go
	if q.at++; q.at == len(q.head.items) {
		q.head, q.at = q.head.next, 0
		if q.head == nil {
			q.tail = nil
		}
	}
}

// NewRefreshTokens returns an empty store. It reads the Clock and
// SweepInterval options.
func NewRefreshTokens(opts ...Option) *RefreshTokens {
	o := newOptions(opts)
	s := &RefreshTokens{now: o.now, every: o.sweep}
	s.initLocked()
	return s
}

// initLocked makes the caches of a zero store. Callers hold s.mu.
func (s *RefreshTokens) initLocked() {
	if s.shards != nil {
		return
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.every <= 0 {
		s.every = defaultSweepInterval
	}
	s.seed = maphash.MakeSeed()
	s.shards = make([]*cache.Cache, shardCount)
	for i := range s.shards {
		// No janitor: the store sweeps a shard at a time itself.
		c := cache.New(cache.NoExpiration, 0)
		c.OnEvicted(s.evicted)
		s.shards[i] = c
	}
	s.tokens = make([]map[uint64]*session, shardCount)
	for i := range s.tokens {
		s.tokens[i] = map[uint64]*session{}
	}
	s.deleted = make([]int, shardCount)
	s.subject = map[string]*subjectList{}
}

// indexKey is the half of a token's key the index is keyed by: 8 bytes a
// slot fewer. The session holds the whole key, which a lookup compares,
// so a token is still matched on 128 bits; a new token whose half is
// taken already (2^-64 a token against each kept one) is refused as a
// duplicate, so that each index key names one token.
func indexKey(k tokenKey) uint64 { return binary.LittleEndian.Uint64(k[:8]) }

func tokenShard(k tokenKey) int { return int(binary.LittleEndian.Uint32(k[8:12]) % shardCount) }

// token returns the session of the token whose index key is k's.
func (s *RefreshTokens) token(k tokenKey) *session { return s.tokens[tokenShard(k)][indexKey(k)] }

func (s *RefreshTokens) setToken(k tokenKey, ses *session) {
	s.tokens[tokenShard(k)][indexKey(k)] = ses
}

// deleteToken forgets k. A map keeps the room of the keys deleted from it
// and grows when rotations (a key deleted, another added) leave it no free
// slot: once a quarter as many keys were deleted as a shard holds, it is
// copied into a map of the room its keys need, a copy of about
// 1/shardCount of the store (about 400 keys at a million sessions).
func (s *RefreshTokens) deleteToken(k tokenKey) {
	i := tokenShard(k)
	m := s.tokens[i]
	delete(m, indexKey(k))
	if s.deleted[i]++; s.deleted[i] > len(m)/4+8 {
		fresh := make(map[uint64]*session, len(m))
		for k, ses := range m {
			fresh[k] = ses
		}
		s.tokens[i], s.deleted[i] = fresh, 0
	}
}

func (s *RefreshTokens) shard(family string) *cache.Cache {
	return s.shards[maphash.String(s.seed, family)%shardCount]
}

// evicted is go-cache's word that a session went, by a sweep or a Delete;
// both run under s.mu.
func (s *RefreshTokens) evicted(_ string, x any) { s.unlink(x.(*session)) }

// unlink forgets ses's tokens and takes it off its subject's list.
// Callers hold s.mu.
func (s *RefreshTokens) unlink(ses *session) {
	if ses.dead {
		return
	}
	for _, t := range ses.toks() {
		s.deleteToken(t.key)
	}
	ses.dead, ses.more = true, nil
	switch {
	case ses.prev != nil:
		ses.prev.next = ses.next
	case ses.next != nil:
		ses.subject.head = ses.next
	default:
		delete(s.subject, ses.subject.name)
	}
	if ses.next != nil {
		ses.next.prev = ses.prev
	}
	ses.prev, ses.next = nil, nil
}

// drop forgets ses. Callers hold s.mu.
func (s *RefreshTokens) drop(ses *session) {
	if !ses.dead {
		s.shard(ses.family).Delete(ses.family) // evicted unlinks it
		s.unlink(ses)                          // in case go-cache had swept it
	}
}

// prune forgets ses's tokens whose time is over at now, and ses itself
// when none is left; otherwise, when its tokens changed (or the caller
// changed them), it sets ses's go-cache expiration to its last token's. It reports whether ses lives on. Callers hold s.mu.
func (s *RefreshTokens) prune(ses *session, now int64, changed bool) bool {
	if ses.dead {
		return false
	}
	toks := ses.toks()
	last, over := int64(math.MinInt64), false
	for i := range toks {
		u := toks[i].until()
		last, over = max(last, u), over || now >= u
	}
	kept := toks
	if over {
		kept, last = toks[:0], math.MinInt64
		for _, t := range toks {
			if now >= t.until() {
				s.deleteToken(t.key)
				continue
			}
			kept = append(kept, t)
			last = max(last, t.until())
		}
	}
	if len(kept) == 0 {
		s.drop(ses)
		return false
	}
	if len(kept) < len(toks) {
		// Clipped: a session holds one token between rotations, and the
		// room for a second would cost 48 bytes a session.
		ses.setTokens(kept)
		changed = true
	}
	if changed {
		s.shard(ses.family).Set(ses.family, ses, time.Duration(last-now)+reclaimSlack)
	}
	return true
}

// lookup returns the session of the kept token under hash, its tokens
// (see toks) and the token's index in them, by the store's clock. Callers
// hold s.mu.
func (s *RefreshTokens) lookup(hash string, now int64) (*session, []token, int) {
	k := keyOf(hash)
	ses := s.token(k)
	if ses == nil || !s.prune(ses, now, false) {
		return nil, nil, 0
	}
	toks := ses.toks()
	for i := range toks {
		if toks[i].key == k {
			return ses, toks, i
		}
	}
	return nil, nil, 0
}

// write does the housekeeping every write pays for: the rotated tokens
// whose grace is over are forgotten and, when one is due, a shard is
// swept. Callers hold s.mu.
func (s *RefreshTokens) write(now int64) {
	for it, ok := s.grace.peek(); ok && it.until <= now; it, ok = s.grace.peek() {
		s.grace.pop()
		s.prune(it.s, now, false)
	}
	if wall := time.Now(); !wall.Before(s.sweepAt) {
		s.sweepAt = wall.Add(s.every / shardCount)
		s.shards[s.swept].DeleteExpired()
		s.swept = (s.swept + 1) % shardCount
	}
}

// Create implements gqljwt.RefreshStore. A Family the store holds already
// is refused: a session starts with its first record.
func (s *RefreshTokens) Create(_ context.Context, rec gqljwt.RefreshRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	now := s.now().UnixNano()
	s.write(now)
	k := keyOf(rec.Hash)
	if s.token(k) != nil {
		return errDuplicate
	}
	c := s.shard(rec.Family)
	if x, exists := c.Get(rec.Family); exists && s.prune(x.(*session), now, false) {
		return errFamilyExists
	}
	if now >= rec.ExpiresAt.UnixNano() {
		return nil // no refresh could use it
	}
	ses := &session{family: rec.Family, version: rec.TokenVersion}
	ses.setTokens([]token{{key: k, issued: rec.IssuedAt.UnixNano(), expires: rec.ExpiresAt.UnixNano(), rotatedAt: notRotated}})
	list := s.subject[rec.Subject]
	if list == nil {
		list = &subjectList{name: rec.Subject}
		s.subject[rec.Subject] = list
	}
	if list.head != nil {
		ses.next, list.head.prev = list.head, ses
	}
	ses.subject, list.head = list, ses
	s.setToken(k, ses)
	s.prune(ses, now, true)
	return nil
}

// Get implements gqljwt.RefreshStore.
func (s *RefreshTokens) Get(_ context.Context, hash string) (gqljwt.RefreshRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	ses, toks, i := s.lookup(hash, s.now().UnixNano())
	if ses == nil {
		return gqljwt.RefreshRecord{}, gqljwt.ErrNotFound
	}
	t := toks[i]
	rec := gqljwt.RefreshRecord{Hash: hash, Family: ses.family, Subject: ses.subject.name, TokenVersion: ses.version,
		IssuedAt: time.Unix(0, t.issued), ExpiresAt: time.Unix(0, t.expires), Revoked: ses.revoked}
	if t.rotatedAt != notRotated {
		rec.Rotated, rec.RotatedAt = true, time.Unix(0, t.rotatedAt)
	}
	return rec, nil
}

// Rotate implements gqljwt.RefreshStore, under the store's lock. A token
// rotated without a grace is forgotten at once, one rotated with a grace
// when it is over: presented later, it is unknown (gqljwt.ErrNotFound).
func (s *RefreshTokens) Rotate(_ context.Context, oldHash string, next gqljwt.RefreshRecord, now time.Time, grace time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	storeNow := s.now().UnixNano()
	s.write(storeNow)
	ses, toks, i := s.lookup(oldHash, storeNow)
	if ses == nil {
		return gqljwt.ErrNotFound
	}
	old := &toks[i]
	if ses.revoked {
		return gqljwt.ErrRefreshRevoked
	}
	// Without a grace any second presentation is reuse, even one whose
	// now precedes RotatedAt (a concurrent caller read its clock first).
	if old.rotatedAt != notRotated && (grace <= 0 || !now.Before(time.Unix(0, old.rotatedAt).Add(grace))) {
		ses.revoked = true
		return gqljwt.ErrRefreshReused
	}
	k := keyOf(next.Hash)
	if s.token(k) != nil {
		return errDuplicate
	}
	if len(toks) >= maxSessionTokens && oldestRotated(toks, i) < 0 {
		ses.revoked = true
		return gqljwt.ErrRefreshReused
	}
	first := old.rotatedAt == notRotated
	if first {
		old.rotatedAt = now.UnixNano()
	}
	if end := time.Unix(0, old.rotatedAt).Add(max(grace, 0)).UnixNano(); first || end > old.keepUntil {
		old.keepUntil = end
		if end > storeNow {
			s.grace.push(graceItem{s: ses, until: end})
		}
	}
	if len(toks) >= maxSessionTokens {
		j := oldestRotated(toks, i)
		s.deleteToken(toks[j].key)
		toks[j] = toks[len(toks)-1]
		toks = toks[:len(toks)-1]
	}
	if storeNow < next.ExpiresAt.UnixNano() {
		toks = append(toks, token{key: k, issued: next.IssuedAt.UnixNano(), expires: next.ExpiresAt.UnixNano(), rotatedAt: notRotated})
		s.setToken(k, ses)
	}
	ses.setTokens(toks)
	// Forgets the old token at once when its grace is none.
	s.prune(ses, storeNow, true)
	return nil
}

// RevokeFamily implements gqljwt.RefreshStore.
func (s *RefreshTokens) RevokeFamily(_ context.Context, fam string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	if x, ok := s.shard(fam).Get(fam); ok {
		x.(*session).revoked = true
	}
	return nil
}

// RevokeSubject implements gqljwt.RefreshStore.
func (s *RefreshTokens) RevokeSubject(_ context.Context, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	list := s.subject[subject]
	if list == nil {
		return nil
	}
	for ses := list.head; ses != nil; ses = ses.next {
		ses.revoked = true
	}
	return nil
}

type storeError string

func (e storeError) Error() string { return string(e) }

// errDuplicate: a hash collided with a stored one, which 256 random bits
// make a sign of a bug, not chance.
const errDuplicate = storeError("memstore: refresh token hash exists")

// errFamilyExists: Create was given the family of a live session, which
// the Service's 128 random bits make a sign of a bug.
const errFamilyExists = storeError("memstore: refresh family exists")
