package memstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"hash/maphash"
	"slices"
	"sync"
	"time"

	"github.com/gqljwt/gqljwt"
)

// RefreshTokens is an in-memory gqljwt.RefreshStore. Compound operations
// run under one mutex, which makes Rotate atomic. The zero value is an
// empty store on the wall clock.
//
// Memory follows the live sessions, not the rotations: a session is one
// family record holding the tokens reuse detection and the grace need —
// its live token (several after rotations within a grace), each rotated
// token that is the parent of a live one (presenting it again is reuse,
// until it expires), and a token rotated within the grace of its rotation
// — with no record of the older rotated tokens. Presenting one of those,
// three or more rotations back, finds nothing (gqljwt.ErrNotFound): the
// refresh is refused, but unlike the rotated parent it does not revoke
// the session. About 350 bytes per session however often it rotates
// (bench: BenchmarkRefreshSessionMemory).
//
// Records expire by the store's clock (see Clock), ExpiredRetention after
// their tokens. They are swept a shard at a time, a little on each write,
// so no request waits for a sweep of the whole store.
type RefreshTokens struct {
	mu       sync.Mutex
	now      func() time.Time
	seed     maphash.Seed
	tokens   *[shards]map[tokenKey]*family // made on first use
	families *[shards]map[string]*family   // made on first use
	// deleted counts the keys deleted from each tokens shard since it was
	// last copied.
	deleted *[shards]int
	// subjects holds the newest family of each subject; the others follow
	// it through family.next.
	subjects map[string]*family
	// swept is the shard the sweep visits next, at sweepAt or later.
	swept   int
	sweepAt time.Time
}

// shards splits the maps, so that a sweep step reads 1/shards of them:
// about 500 sessions at two million.
const shards = 4096

// sweepEvery is how long a whole sweep of the store takes at most: one
// shard every sweepEvery/shards, by the writes that come then.
const sweepEvery = time.Minute

// tokenKey is the first half of the SHA-256 of a record's Hash: fixed
// size, no pointer, and still 128 bits no one can match without the token.
type tokenKey [16]byte

func keyOf(hash string) tokenKey {
	sum := sha256.Sum256([]byte(hash))
	return tokenKey(sum[:16])
}

// family is a session's record.
type family struct {
	id, subject string
	version     uint64
	revoked     bool
	// gen is the gen of the family's newest token.
	gen    uint16
	tokens []token
	// next is the subject's next older family.
	next *family
}

// token is what the store keeps of one refresh token, times in Unix
// nanoseconds, in 48 bytes.
type token struct {
	key             tokenKey
	issued, expires int64
	rotatedAt       int64 // notRotated while the token is live
	// graceMillis is the grace of the token's rotation, rounded up: a
	// rotated token is kept at least that long after rotatedAt.
	graceMillis uint32
	// gen numbers the family's tokens from 1; parent is the gen of the
	// token this one was rotated from, 0 for the first. They wrap after
	// 65535 rotations, which at worst keeps a token a little longer.
	gen, parent uint16
}

func (t *token) keepUntil() int64 { return t.rotatedAt + int64(t.graceMillis)*int64(time.Millisecond) }

const notRotated = -1 << 63

// NewRefreshTokens returns an empty store. It reads the Clock option.
func NewRefreshTokens(opts ...Option) *RefreshTokens {
	s := &RefreshTokens{now: newOptions(opts).now}
	s.initLocked()
	return s
}

// initLocked makes the maps of a zero store. Callers hold s.mu.
func (s *RefreshTokens) initLocked() {
	if s.tokens != nil {
		return
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.seed = maphash.MakeSeed()
	s.tokens = new([shards]map[tokenKey]*family)
	s.families = new([shards]map[string]*family)
	s.deleted = new([shards]int)
	s.subjects = map[string]*family{}
}

// ExpiredRetention is how long a record outlives its token, so that a
// client presenting an expired refresh token is told it expired
// (TOKEN_EXPIRED, log in again) rather than that it is unknown.
const ExpiredRetention = 24 * time.Hour

func tokenShard(k tokenKey) int { return int(binary.LittleEndian.Uint32(k[:])) % shards }

func (s *RefreshTokens) setToken(k tokenKey, f *family) {
	m := &s.tokens[tokenShard(k)]
	if *m == nil {
		*m = map[tokenKey]*family{}
	}
	(*m)[k] = f
}

func (s *RefreshTokens) deleteToken(k tokenKey) {
	i := tokenShard(k)
	delete(s.tokens[i], k)
	s.deleted[i]++
}

func (s *RefreshTokens) familyShard(id string) *map[string]*family {
	m := &s.families[maphash.String(s.seed, id)%shards]
	if *m == nil {
		*m = map[string]*family{}
	}
	return m
}

// lookup returns the token under hash and its family, by the store's
// clock. Callers hold s.mu.
func (s *RefreshTokens) lookup(hash string, now int64) (*family, *token) {
	k := keyOf(hash)
	f := s.tokens[tokenShard(k)][k]
	if f == nil {
		return nil, nil
	}
	for i := range f.tokens {
		if t := &f.tokens[i]; t.key == k {
			if now >= t.expires+int64(ExpiredRetention) {
				return nil, nil
			}
			return f, t
		}
	}
	return nil, nil
}

// Create implements gqljwt.RefreshStore.
func (s *RefreshTokens) Create(_ context.Context, rec gqljwt.RefreshRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	now := s.now()
	s.sweepLocked(now)
	if f, _ := s.lookup(rec.Hash, now.UnixNano()); f != nil {
		return errDuplicate
	}
	if !now.Before(rec.ExpiresAt) {
		return nil // no refresh could use it
	}
	shard := *s.familyShard(rec.Family)
	f := shard[rec.Family]
	if f == nil {
		f = &family{id: rec.Family, subject: rec.Subject, version: rec.TokenVersion}
		// One subject string for all the subject's families.
		if head := s.subjects[rec.Subject]; head != nil {
			f.subject, f.next = head.subject, head
		}
		s.subjects[f.subject] = f
		shard[f.id] = f
	}
	s.addToken(f, rec, 0)
	return nil
}

// addToken adds rec's token to f, as the child of the token whose gen is
// parent (0: none).
// Callers hold s.mu.
func (s *RefreshTokens) addToken(f *family, rec gqljwt.RefreshRecord, parent uint16) {
	f.gen++
	if f.gen == 0 {
		f.gen = 1 // 0 is no token's
	}
	t := token{key: keyOf(rec.Hash), issued: rec.IssuedAt.UnixNano(), expires: rec.ExpiresAt.UnixNano(),
		rotatedAt: notRotated, gen: f.gen, parent: parent}
	if len(f.tokens) == cap(f.tokens) {
		// Grown by one, not doubled: a session holds two tokens between
		// rotations.
		f.tokens = append(make([]token, 0, len(f.tokens)+1), f.tokens...)
	}
	f.tokens = append(f.tokens, t)
	s.setToken(t.key, f)
}

// prune drops from f the tokens nothing needs any more at now: a rotated
// token past the end of its grace whose children are all rotated, and any
// token ExpiredRetention past its expiry. keep is kept whatever it is.
// It reports whether f still holds a token. Callers hold s.mu.
func (s *RefreshTokens) prune(f *family, now int64, keep *token) bool {
	out := f.tokens[:0]
	for i := range f.tokens {
		t := &f.tokens[i]
		needed := t == keep
		if !needed && now < t.expires+int64(ExpiredRetention) {
			needed = t.rotatedAt == notRotated || now < t.keepUntil()
			for j := range f.tokens {
				if c := &f.tokens[j]; !needed && c.parent == t.gen && c.rotatedAt == notRotated {
					needed = true
				}
			}
		}
		if needed {
			out = append(out, *t)
		} else {
			s.deleteToken(t.key)
		}
	}
	clear(f.tokens[len(out):])
	f.tokens = out
	if cap(f.tokens) > 2*len(f.tokens)+1 {
		f.tokens = slices.Clip(slices.Clone(f.tokens))
	}
	return len(f.tokens) > 0
}

// drop forgets f, whose tokens are all gone. Callers hold s.mu.
func (s *RefreshTokens) drop(f *family) {
	delete(*s.familyShard(f.id), f.id)
	var prev *family
	for g := s.subjects[f.subject]; g != nil; prev, g = g, g.next {
		if g != f {
			continue
		}
		switch {
		case prev != nil:
			prev.next = f.next
		case f.next != nil:
			s.subjects[f.subject] = f.next
		default:
			delete(s.subjects, f.subject)
		}
		break
	}
}

// sweepLocked sweeps the next shard of families when it is due: a bounded
// step, 1/shards of the store. Callers hold s.mu.
func (s *RefreshTokens) sweepLocked(now time.Time) {
	if now.Before(s.sweepAt) {
		return
	}
	s.sweepAt = now.Add(sweepEvery / shards)
	n := now.UnixNano()
	for _, f := range s.families[s.swept] {
		if !s.prune(f, n, nil) {
			s.drop(f)
		}
	}
	// Every rotation deletes a key and adds one: a map keeps the room
	// (and the deleted slots) of its largest size. A copy has the room of
	// what it holds.
	if old := s.tokens[s.swept]; s.deleted[s.swept] > len(old)/4 {
		fresh := make(map[tokenKey]*family, len(old))
		for k, f := range old {
			fresh[k] = f
		}
		s.tokens[s.swept], s.deleted[s.swept] = fresh, 0
	}
	s.swept = (s.swept + 1) % shards
}

// Get implements gqljwt.RefreshStore.
func (s *RefreshTokens) Get(_ context.Context, hash string) (gqljwt.RefreshRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	f, t := s.lookup(hash, s.now().UnixNano())
	if f == nil {
		return gqljwt.RefreshRecord{}, gqljwt.ErrNotFound
	}
	rec := gqljwt.RefreshRecord{Hash: hash, Family: f.id, Subject: f.subject, TokenVersion: f.version,
		IssuedAt: time.Unix(0, t.issued), ExpiresAt: time.Unix(0, t.expires), Revoked: f.revoked}
	if t.rotatedAt != notRotated {
		rec.Rotated, rec.RotatedAt = true, time.Unix(0, t.rotatedAt)
	}
	return rec, nil
}

// Rotate implements gqljwt.RefreshStore, under the store's lock.
func (s *RefreshTokens) Rotate(_ context.Context, oldHash string, next gqljwt.RefreshRecord, now time.Time, grace time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	storeNow := s.now()
	s.sweepLocked(storeNow)
	f, old := s.lookup(oldHash, storeNow.UnixNano())
	if f == nil {
		return gqljwt.ErrNotFound
	}
	if f.revoked {
		return gqljwt.ErrRefreshRevoked
	}
	// Without a grace any second presentation is reuse, even one whose
	// now precedes RotatedAt (a concurrent caller read its clock first).
	if old.rotatedAt != notRotated && (grace <= 0 || !now.Before(time.Unix(0, old.rotatedAt).Add(grace))) {
		f.revoked = true
		return gqljwt.ErrRefreshReused
	}
	if g, _ := s.lookup(next.Hash, storeNow.UnixNano()); g != nil {
		return errDuplicate
	}
	if old.rotatedAt == notRotated {
		old.rotatedAt = now.UnixNano()
		old.graceMillis = uint32(min((max(grace, 0)+time.Millisecond-1)/time.Millisecond, 1<<32-1))
	}
	parent := old.gen
	if !storeNow.Before(next.ExpiresAt) {
		return nil // the successor is expired already: nothing to store
	}
	// The rotated token stays as the parent of its successor; the tokens
	// its rotation made useless go first, so that the family does not grow.
	s.prune(f, storeNow.UnixNano(), old)
	s.addToken(f, next, parent)
	return nil
}

// RevokeFamily implements gqljwt.RefreshStore.
func (s *RefreshTokens) RevokeFamily(_ context.Context, fam string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	if f := (*s.familyShard(fam))[fam]; f != nil {
		f.revoked = true
	}
	return nil
}

// RevokeSubject implements gqljwt.RefreshStore.
func (s *RefreshTokens) RevokeSubject(_ context.Context, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	for f := s.subjects[subject]; f != nil; f = f.next {
		f.revoked = true
	}
	return nil
}

type storeError string

func (e storeError) Error() string { return string(e) }

// errDuplicate: a hash collided with a stored one, which 256 random bits
// make a sign of a bug, not chance.
const errDuplicate = storeError("memstore: refresh token hash exists")
