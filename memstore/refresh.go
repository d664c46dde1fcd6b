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
	"github.com/gqljwt/gqljwt/internal/unixnano"
)

// RefreshTokens is an in-memory gqljwt.RefreshStore. Every operation runs
// under one mutex, which makes Rotate atomic. The zero value is an empty
// store on the wall clock.
//
// Memory follows the live sessions, not the rotations. A session is one
// record: its family, subject and version, its revocation, and the tokens
// the contract needs: each live token until it expires, and a rotated
// token until the grace of its rotation is over. Older rotated tokens are
// forgotten, as gqljwt.RefreshStore allows: the Service recognises them by
// their tag and takes them for reuse. About 200 to 250 bytes a session,
// at a hundred thousand or a million, however often it rotates (bench:
// BenchmarkRefreshSessionMemory). A session keeps at most
// maxSessionTokens tokens. Two smaller maps keep the room of their peak,
// as Go maps do after deletes: the subjects' (a count and a revocation
// each, 32 bytes of entry) and each shard's sessions that hold more than
// one token.
//
// The records hold no pointer: sessions are values keyed by a 128-bit
// keyed hash of their family, tokens are indexed by half their key, and
// the family and subject strings are bytes in an arena of their shard.
// The garbage collector has next to nothing to mark in them, however many
// sessions there are, where a map of pointers (go-cache's entries are
// interface values) makes every collection cycle walk each session.
//
// Lifetimes follow gqljwt.RefreshStore: a live token is kept until its
// ExpiresAt, a rotated one until the end of the longest grace it was
// rotated with (or its ExpiresAt, if sooner), a session while it keeps a
// token, and its revocation, whether by RevokeFamily, RevokeSubject (which
// reaches the subject's sessions created before it, not later ones) or
// reuse, as long as the session.
//
// Expiry is judged by the store's clock (see Clock), the sweep's too; a
// rotation's grace by the now its Rotate was given (the Service's clock),
// as gqljwt.RefreshStore says.
// No sweep walks the whole store under the lock: each write does at most
// one step of housekeeping, which forgets the rotated tokens whose grace
// is over and, when one is due, drops the expired sessions of one of the
// shardCount shards, at most sweepBatch of them a write, so that the
// whole store is swept once every SweepInterval (default a minute) while
// writes come. Stats reports the longest step.
type RefreshTokens struct {
	mu        sync.Mutex
	now       func() time.Time
	every     int64 // a whole sweep, in nanoseconds
	seeds     [2]maphash.Seed
	shards    []refreshShard           // sessions by family key; nil until first use
	tokens    []map[uint64]hashKey     // every kept token's family key, by indexKey, in tokenShard
	deleted   []int                    // keys deleted from each tokens map since it was made
	subjects  map[hashKey]subjectState // by subject key
	grace     graceQueue               // rotated tokens by the end of their grace
	seq       uint64                   // the last session's creation number
	swept     int                      // the shard the sweep visits next
	sweepRest bool                     // swept has more expired sessions to drop
	sweepAt   int64                    // when, by the store's clock
	stats     RefreshStats
}

// RefreshStats is what RefreshTokens reports of its size and housekeeping,
// for monitoring and benchmarks.
type RefreshStats struct {
	// Sessions is the number of sessions held, expired ones not swept yet
	// included.
	Sessions int
	// Steps is the number of housekeeping steps run. Dropped counts the
	// sessions dropped, by those steps and by the lookups that found a
	// session over.
	Steps, Dropped uint64
	// StepTime is the wall time spent in housekeeping steps, the store's
	// lock held; MaxStep the longest step since the last Stats call, which
	// resets it, so that a monitor polling it sees each period's worst.
	StepTime, MaxStep time.Duration
}

// shardCount splits the sessions so that a sweep step reads 1/shardCount
// of them: about 800 at two million sessions. Not a power of two: Go's
// maps grow by doubling, and a million sessions over a power of two of
// shards leaves every map just grown, half empty.
const shardCount = 2500

// maxName bounds a family's and a subject's length, which a session keeps
// in 16 bits.
const maxName = math.MaxUint16

// hashKey is a 128-bit keyed hash of a family or a subject: fixed size and
// no pointer. maphash is not a cryptographic hash, so a collision is not
// ruled out against a caller who learns enough of its outputs (none
// leaves the store); every collision fails closed: Create refuses a
// family whose key a live session holds, and a subject's key shared with
// another subject only widens a RevokeSubject.
type hashKey [2]uint64

func (s *RefreshTokens) keyOf(name string) hashKey {
	return hashKey{maphash.String(s.seeds[0], name), maphash.String(s.seeds[1], name)}
}

func (s *RefreshTokens) keyOfBytes(name []byte) hashKey {
	return hashKey{maphash.Bytes(s.seeds[0], name), maphash.Bytes(s.seeds[1], name)}
}

// tokenKey is the first half of the SHA-256 of a record's Hash: fixed
// size, no pointer, and still 128 bits no one can match without the token.
type tokenKey [16]byte

func keyOfToken(hash string) tokenKey {
	sum := sha256.Sum256([]byte(hash))
	return tokenKey(sum[:16])
}

// refreshShard is 1/shardCount of the sessions.
type refreshShard struct {
	sessions map[hashKey]session
	// more holds the tokens of the sessions that keep more than one, or a
	// rotated one: for the grace of a rotation, or concurrent successors.
	// Few sessions at a time, so its slices are the only pointers the
	// collector marks here.
	more map[hashKey][]token
	// names holds each session's family then subject; garbage counts the
	// bytes of dropped sessions, given back when the shard is swept.
	names   []byte
	garbage int
	// dropped counts the sessions deleted from sessions since it was
	// made: a Go map never gives back the room of deleted keys.
	dropped int
}

// session is a family's record, 64 bytes.
type session struct {
	// one is the session's token between rotations, inline, which spares
	// an allocation; while inMore, its tokens are the shard's more entry.
	one     liveToken
	version uint64
	seq     uint64 // creation number, against its subject's revokedSeq
	name    uint32 // offset of its family then its subject in the shard's names
	famLen  uint16
	subLen  uint16
	revoked bool
	inMore  bool
}

// subjectState is what the store keeps of a subject: how many sessions
// refer to it, so that it goes with the last, and its revocation.
// RevokeSubject revokes the sessions created so far by remembering the
// last creation number, instead of walking them.
type subjectState struct {
	sessions   uint32
	revokedSeq uint64 // sessions with seq ≤ revokedSeq are revoked
}

// liveToken is a token not rotated, in 32 bytes.
type liveToken struct {
	key             tokenKey
	issued, expires int64
}

// toks returns the tokens of the session ses under fk. A caller that
// changes them stores them back with setTokens.
func (sh *refreshShard) toks(fk hashKey, ses *session) []token {
	if ses.inMore {
		return sh.more[fk]
	}
	return []token{{key: ses.one.key, issued: ses.one.issued, expires: ses.one.expires, rotatedAt: notRotated}}
}

// setTokens makes kept (a fresh slice or one aliasing toks) ses's tokens,
// in ses.one when it is one live token. The caller stores ses back.
func (sh *refreshShard) setTokens(fk hashKey, ses *session, kept []token) {
	if len(kept) == 1 && kept[0].rotatedAt == notRotated {
		ses.one = liveToken{key: kept[0].key, issued: kept[0].issued, expires: kept[0].expires}
		if ses.inMore {
			delete(sh.more, fk)
			ses.inMore = false
		}
		return
	}
	ses.inMore = true
	sh.more[fk] = kept
}

func (sh *refreshShard) family(ses *session) []byte {
	return sh.names[ses.name : ses.name+uint32(ses.famLen)]
}

func (sh *refreshShard) subject(ses *session) []byte {
	at := ses.name + uint32(ses.famLen)
	return sh.names[at : at+uint32(ses.subLen)]
}

// compact gives back the names of dropped sessions once they are half the
// arena: a copy of the shard's names, about 1/shardCount of them all.
func (sh *refreshShard) compact() {
	if sh.garbage < 4096 || sh.garbage < len(sh.names)/2 {
		return
	}
	fresh := make([]byte, 0, len(sh.names)-sh.garbage)
	for fk, ses := range sh.sessions {
		n := uint32(ses.famLen) + uint32(ses.subLen)
		at := len(fresh)
		fresh = append(fresh, sh.names[ses.name:ses.name+n]...)
		ses.name = uint32(at)
		sh.sessions[fk] = ses
	}
	sh.names, sh.garbage = fresh, 0
}

// rebuild copies the shard's sessions into a map of the room they need
// once a quarter as many were dropped as it holds, so that memory follows
// the live sessions after a wave of expiries.
func (sh *refreshShard) rebuild() {
	if sh.dropped <= len(sh.sessions)/4+8 {
		return
	}
	fresh := make(map[hashKey]session, len(sh.sessions))
	for fk, ses := range sh.sessions {
		fresh[fk] = ses
	}
	sh.sessions, sh.dropped = fresh, 0
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

// notRotated is no time unixnano.Of gives: a Rotate given the zero time
// still marks its token rotated.
const notRotated = unixnano.Unused

// until is when t may be forgotten.
func (t *token) until() int64 {
	if t.rotatedAt == notRotated {
		return t.expires
	}
	return min(t.keepUntil, t.expires)
}

// graceItem is a session to prune at until, when the grace of a token it
// rotated ends. It names the session by its key: a session dropped
// meanwhile is not found, and pruning one that took its family is
// harmless.
type graceItem struct {
	fk    hashKey
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
	s := &RefreshTokens{now: o.now, every: int64(o.sweep)}
	s.initLocked()
	return s
}

// initLocked makes the maps of a zero store. Callers hold s.mu.
func (s *RefreshTokens) initLocked() {
	if s.shards != nil {
		return
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.every <= 0 {
		s.every = int64(defaultSweepInterval)
	}
	s.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	s.shards = make([]refreshShard, shardCount)
	for i := range s.shards {
		s.shards[i] = refreshShard{sessions: map[hashKey]session{}, more: map[hashKey][]token{}}
	}
	s.tokens = make([]map[uint64]hashKey, shardCount)
	for i := range s.tokens {
		s.tokens[i] = map[uint64]hashKey{}
	}
	s.deleted = make([]int, shardCount)
	s.subjects = map[hashKey]subjectState{}
}

func (s *RefreshTokens) shardOf(fk hashKey) *refreshShard { return &s.shards[fk[0]%shardCount] }

// indexKey is the half of a token's key the index is keyed by: 8 bytes a
// slot fewer. The session holds the whole key, which a lookup compares,
// so a token is still matched on 128 bits; a new token whose half is
// taken already (2^-64 a token against each kept one) is refused as a
// duplicate, so that each index key names one token.
func indexKey(k tokenKey) uint64 { return binary.LittleEndian.Uint64(k[:8]) }

func tokenShard(k tokenKey) int { return int(binary.LittleEndian.Uint32(k[8:12]) % shardCount) }

// token returns the family key of the session of the token whose index
// key is k's.
func (s *RefreshTokens) token(k tokenKey) (hashKey, bool) {
	fk, ok := s.tokens[tokenShard(k)][indexKey(k)]
	return fk, ok
}

func (s *RefreshTokens) setToken(k tokenKey, fk hashKey) {
	s.tokens[tokenShard(k)][indexKey(k)] = fk
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
		fresh := make(map[uint64]hashKey, len(m))
		for k, fk := range m {
			fresh[k] = fk
		}
		s.tokens[i], s.deleted[i] = fresh, 0
	}
}

// revoked reports whether ses is revoked, itself or by its subject.
func (s *RefreshTokens) revoked(sh *refreshShard, ses *session) bool {
	return ses.revoked || ses.seq <= s.subjects[s.keyOfBytes(sh.subject(ses))].revokedSeq
}

// drop forgets the session ses under fk, its tokens and its names.
// Callers hold s.mu.
func (s *RefreshTokens) drop(sh *refreshShard, fk hashKey, ses *session) {
	for _, t := range sh.toks(fk, ses) {
		s.deleteToken(t.key)
	}
	sk := s.keyOfBytes(sh.subject(ses))
	if st := s.subjects[sk]; st.sessions <= 1 {
		delete(s.subjects, sk)
	} else {
		st.sessions--
		s.subjects[sk] = st
	}
	delete(sh.more, fk)
	delete(sh.sessions, fk)
	sh.dropped++
	sh.garbage += int(ses.famLen) + int(ses.subLen)
	s.stats.Sessions--
	s.stats.Dropped++
}

// prune forgets the tokens of the session under fk whose time is over at
// now, and the session itself when none is left. It reports whether the
// session lives on. Callers hold s.mu.
func (s *RefreshTokens) prune(fk hashKey, now int64) bool {
	sh := s.shardOf(fk)
	ses, ok := sh.sessions[fk]
	if !ok {
		return false
	}
	toks := sh.toks(fk, &ses)
	over := 0
	for i := range toks {
		if now >= toks[i].until() {
			over++
		}
	}
	switch over {
	case 0:
		return true
	case len(toks):
		s.drop(sh, fk, &ses)
		return false
	}
	kept := make([]token, 0, len(toks)-over)
	for _, t := range toks {
		if now >= t.until() {
			s.deleteToken(t.key)
			continue
		}
		kept = append(kept, t)
	}
	sh.setTokens(fk, &ses, kept)
	sh.sessions[fk] = ses
	return true
}

// lookup returns the family key and session of the kept token under hash,
// its tokens (see toks) and the token's index in them, by the store's
// clock. Callers hold s.mu.
func (s *RefreshTokens) lookup(hash string, now int64) (hashKey, session, []token, int, bool) {
	k := keyOfToken(hash)
	fk, ok := s.token(k)
	if !ok || !s.prune(fk, now) {
		return hashKey{}, session{}, nil, 0, false
	}
	sh := s.shardOf(fk)
	ses := sh.sessions[fk]
	toks := sh.toks(fk, &ses)
	for i := range toks {
		if toks[i].key == k {
			return fk, ses, toks, i, true
		}
	}
	return hashKey{}, session{}, nil, 0, false
}

// write does the housekeeping step every write pays for: the rotated
// tokens whose grace is over are forgotten and, when one is due, a shard
// is swept: its expired sessions are dropped. Callers hold s.mu.
func (s *RefreshTokens) write(now int64) {
	graceDue := false
	if it, ok := s.grace.peek(); ok && it.until <= now {
		graceDue = true
	}
	sweepDue := s.sweepRest || now >= s.sweepAt
	if !graceDue && !sweepDue {
		return
	}
	start := time.Now()
	// At most sweepBatch a step: after a lull (or a clock moved on) the
	// queue may hold every rotation of the last grace, and the writes
	// that follow take their turns with it. Each Rotate pushes at most
	// one item, so the queue never falls behind the writes; a token past
	// its grace is not served meanwhile (lookup prunes it).
	for n := 0; n < sweepBatch; n++ {
		it, ok := s.grace.peek()
		if !ok || it.until > now {
			break
		}
		s.grace.pop()
		s.prune(it.fk, now)
	}
	if sweepDue {
		if !s.sweepRest {
			// Paced on its schedule, not from now, so that a whole sweep
			// takes SweepInterval while writes come often enough; a
			// schedule more than a sweep behind (no writes for long)
			// starts afresh.
			s.sweepAt = max(s.sweepAt+s.every/shardCount, now-s.every)
		}
		s.sweepRest = !s.sweepShard(&s.shards[s.swept], now)
		if !s.sweepRest {
			s.swept = (s.swept + 1) % shardCount
		}
	}
	d := time.Since(start)
	s.stats.Steps++
	s.stats.StepTime += d
	s.stats.MaxStep = max(s.stats.MaxStep, d)
}

// sweepBatch bounds the sessions a sweep step drops, so that a step costs
// a walk of one shard's map and at most this many drops, however many of
// the shard's sessions expired together; the next writes go on with the
// shard until a walk finds no more. It bounds the rotated tokens a step
// forgets too.
const sweepBatch = 64

// sweepShard drops up to sweepBatch expired sessions of sh and reports
// whether it found no more; then it gives back the room of those dropped.
func (s *RefreshTokens) sweepShard(sh *refreshShard, now int64) bool {
	dropped := 0
	// prune deletes the session it is given or rewrites its value, both of
	// which a range allows; it adds none to this map.
	for fk, ses := range sh.sessions {
		if ses.inMore || now >= ses.one.expires {
			if !s.prune(fk, now) {
				if dropped++; dropped == sweepBatch {
					return false
				}
			}
		}
	}
	sh.compact()
	sh.rebuild()
	return true
}

// Stats reports the store's size and housekeeping, and resets MaxStep.
func (s *RefreshTokens) Stats() RefreshStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	s.stats.MaxStep = 0
	return st
}

// Create implements gqljwt.RefreshStore. A Family the store holds already
// is refused: a session starts with its first record. A family or subject
// longer than 65 535 bytes is refused too.
func (s *RefreshTokens) Create(_ context.Context, rec gqljwt.RefreshRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	now := unixnano.Of(s.now())
	s.write(now)
	k := keyOfToken(rec.Hash)
	if _, ok := s.token(k); ok {
		return errDuplicate
	}
	if len(rec.Family) > maxName || len(rec.Subject) > maxName {
		return errNameTooLong
	}
	fk := s.keyOf(rec.Family)
	sh := s.shardOf(fk)
	if _, exists := sh.sessions[fk]; exists && s.prune(fk, now) {
		return errFamilyExists
	}
	if now >= unixnano.Of(rec.ExpiresAt) {
		return nil // no refresh could use it
	}
	if uint64(len(sh.names))+uint64(len(rec.Family))+uint64(len(rec.Subject)) > math.MaxUint32 {
		return errNameTooLong // offsets are 32 bits; an arena this large is an attack
	}
	s.seq++
	ses := session{
		one:     liveToken{key: k, issued: unixnano.Of(rec.IssuedAt), expires: unixnano.Of(rec.ExpiresAt)},
		version: rec.TokenVersion, seq: s.seq, name: uint32(len(sh.names)),
		famLen: uint16(len(rec.Family)), subLen: uint16(len(rec.Subject)),
	}
	sh.names = append(append(sh.names, rec.Family...), rec.Subject...)
	sh.sessions[fk] = ses
	s.setToken(k, fk)
	sk := s.keyOf(rec.Subject)
	st := s.subjects[sk]
	st.sessions++
	s.subjects[sk] = st
	s.stats.Sessions++
	return nil
}

// Get implements gqljwt.RefreshStore.
func (s *RefreshTokens) Get(_ context.Context, hash string) (gqljwt.RefreshRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	fk, ses, toks, i, ok := s.lookup(hash, unixnano.Of(s.now()))
	if !ok {
		return gqljwt.RefreshRecord{}, gqljwt.ErrNotFound
	}
	sh := s.shardOf(fk)
	t := toks[i]
	rec := gqljwt.RefreshRecord{Hash: hash, Family: string(sh.family(&ses)), Subject: string(sh.subject(&ses)),
		TokenVersion: ses.version, IssuedAt: unixnano.Time(t.issued), ExpiresAt: unixnano.Time(t.expires),
		Revoked: s.revoked(sh, &ses)}
	if t.rotatedAt != notRotated {
		rec.Rotated, rec.RotatedAt = true, unixnano.Time(t.rotatedAt)
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
	storeNow := unixnano.Of(s.now())
	s.write(storeNow)
	fk, ses, toks, i, ok := s.lookup(oldHash, storeNow)
	if !ok {
		return gqljwt.ErrNotFound
	}
	sh := s.shardOf(fk)
	old := &toks[i]
	if s.revoked(sh, &ses) {
		return gqljwt.ErrRefreshRevoked
	}
	// Without a grace any second presentation is reuse, even one whose
	// now precedes RotatedAt (a concurrent caller read its clock first).
	if old.rotatedAt != notRotated && (grace <= 0 || !now.Before(unixnano.Time(old.rotatedAt).Add(grace))) {
		ses.revoked = true
		sh.sessions[fk] = ses
		return gqljwt.ErrRefreshReused
	}
	k := keyOfToken(next.Hash)
	if _, taken := s.token(k); taken {
		return errDuplicate
	}
	if len(toks) >= maxSessionTokens && oldestRotated(toks, i) < 0 {
		ses.revoked = true
		sh.sessions[fk] = ses
		return gqljwt.ErrRefreshReused
	}
	first := old.rotatedAt == notRotated
	if first {
		old.rotatedAt = unixnano.Of(now)
	}
	if end := unixnano.Of(unixnano.Time(old.rotatedAt).Add(max(grace, 0))); first || end > old.keepUntil {
		old.keepUntil = end
		if end > storeNow {
			s.grace.push(graceItem{fk: fk, until: end})
		}
	}
	if len(toks) >= maxSessionTokens {
		j := oldestRotated(toks, i)
		s.deleteToken(toks[j].key)
		toks[j] = toks[len(toks)-1]
		toks = toks[:len(toks)-1]
	}
	if storeNow < unixnano.Of(next.ExpiresAt) {
		toks = append(toks, token{key: k, issued: unixnano.Of(next.IssuedAt), expires: unixnano.Of(next.ExpiresAt), rotatedAt: notRotated})
		s.setToken(k, fk)
	}
	sh.setTokens(fk, &ses, toks)
	sh.sessions[fk] = ses
	// Forgets the old token at once when its grace is none.
	s.prune(fk, storeNow)
	return nil
}

// RevokeFamily implements gqljwt.RefreshStore.
func (s *RefreshTokens) RevokeFamily(_ context.Context, fam string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	fk := s.keyOf(fam)
	sh := s.shardOf(fk)
	if ses, ok := sh.sessions[fk]; ok {
		ses.revoked = true
		sh.sessions[fk] = ses
	}
	return nil
}

// RevokeSubject implements gqljwt.RefreshStore: it revokes the subject's
// sessions created so far, in one step whatever their number.
func (s *RefreshTokens) RevokeSubject(_ context.Context, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	sk := s.keyOf(subject)
	if st, ok := s.subjects[sk]; ok {
		st.revokedSeq = s.seq
		s.subjects[sk] = st
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

// errNameTooLong: a family or subject the store cannot keep in 16 bits of
// length, or a shard whose names would pass 32 bits of offset (a wrong
// offset would give a session another's subject); the Service's names
// are tens of bytes.
const errNameTooLong = storeError("memstore: refresh family or subject longer than 65535 bytes")
