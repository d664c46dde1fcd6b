package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/patrickmn/go-cache"
)

// RefreshTokens is an in-memory gqljwt.RefreshStore on go-cache. Records
// are dropped ExpiredRetention after their tokens expire, by the store's
// clock (see Clock), so memory holds live sessions and the recently
// expired. Compound operations run under one mutex, which makes Rotate
// atomic. The zero value is an empty store on the wall clock.
type RefreshTokens struct {
	mu       sync.Mutex
	now      func() time.Time
	records  *cache.Cache // hash -> *gqljwt.RefreshRecord
	families *cache.Cache // family -> *family
	subjects *cache.Cache // subject -> *subjectIndex
}

// family is a session's state. It lives as long as the longest-lived
// record of the family: a record outliving it would read as revoked.
type family struct {
	revoked bool
	until   time.Time // when the last record of the family is dropped
}

// NewRefreshTokens returns an empty store. It reads the Clock option.
func NewRefreshTokens(opts ...Option) *RefreshTokens {
	s := &RefreshTokens{now: newOptions(opts).now}
	s.initLocked()
	return s
}

// initLocked makes the caches of a zero store. Callers hold s.mu.
func (s *RefreshTokens) initLocked() {
	if s.records != nil {
		return
	}
	if s.now == nil {
		s.now = time.Now
	}
	// go-cache runs on the wall clock: it only reclaims memory, a little
	// after the store's clock has dropped an entry.
	s.records = cache.New(cache.NoExpiration, time.Minute)
	s.families = cache.New(cache.NoExpiration, time.Minute)
	s.subjects = cache.New(cache.NoExpiration, time.Minute)
}

// Create implements gqljwt.RefreshStore.
func (s *RefreshTokens) Create(_ context.Context, rec gqljwt.RefreshRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	if _, exists := s.record(rec.Hash); exists {
		return errDuplicate
	}
	s.put(rec)
	return nil
}

// ExpiredRetention is how long a record outlives its token, so that a
// client presenting an expired refresh token is told it expired
// (TOKEN_EXPIRED, log in again) rather than that it is unknown.
const ExpiredRetention = 24 * time.Hour

// reclaimSlack keeps go-cache entries a little past the store's own
// deadline, so that a clock running slightly behind the wall clock still
// finds them.
const reclaimSlack = time.Minute

// put stores rec and extends its family and subject index to live as long
// as it. A record already expired is not stored: no refresh could use it.
// Callers hold s.mu.
func (s *RefreshTokens) put(rec gqljwt.RefreshRecord) {
	now := s.now()
	if !now.Before(rec.ExpiresAt) {
		return
	}
	until := rec.ExpiresAt.Add(ExpiredRetention)
	ttl := until.Sub(now) + reclaimSlack
	rec.Rotated, rec.RotatedAt, rec.Revoked = false, time.Time{}, false
	s.records.Set(rec.Hash, &rec, ttl)
	f, ok := s.family(rec.Family)
	if !ok {
		f = &family{}
	}
	if until.After(f.until) {
		f.until = until
		s.families.Set(rec.Family, f, ttl)
	}
	idx, ok := s.subject(rec.Subject)
	if !ok {
		idx = &subjectIndex{families: map[string]struct{}{}}
	}
	// Families whose records are all gone need no revoking: forget them,
	// or a user logging in daily would grow the index for ever.
	for fam := range idx.families {
		if _, live := s.family(fam); !live {
			delete(idx.families, fam)
		}
	}
	idx.families[rec.Family] = struct{}{}
	if until.After(idx.until) {
		idx.until = until
	}
	s.subjects.Set(rec.Subject, idx, idx.until.Sub(now)+reclaimSlack)
}

// subjectIndex lists a user's families, for RevokeSubject. It lives as
// long as the longest-lived of them.
type subjectIndex struct {
	families map[string]struct{}
	until    time.Time
}

// subject returns the index of subject, by the store's clock. Callers hold
// s.mu.
func (s *RefreshTokens) subject(subject string) (*subjectIndex, bool) {
	x, ok := s.subjects.Get(subject)
	if !ok {
		return nil, false
	}
	idx := x.(*subjectIndex)
	if !s.now().Before(idx.until) {
		s.subjects.Delete(subject)
		return nil, false
	}
	return idx, true
}

// record returns the live record under hash, by the store's clock.
// Callers hold s.mu.
func (s *RefreshTokens) record(hash string) (*gqljwt.RefreshRecord, bool) {
	x, ok := s.records.Get(hash)
	if !ok {
		return nil, false
	}
	rec := x.(*gqljwt.RefreshRecord)
	if !s.now().Before(rec.ExpiresAt.Add(ExpiredRetention)) {
		s.records.Delete(hash)
		return nil, false
	}
	return rec, true
}

// family returns the state of fam, by the store's clock. Callers hold s.mu.
func (s *RefreshTokens) family(fam string) (*family, bool) {
	x, ok := s.families.Get(fam)
	if !ok {
		return nil, false
	}
	f := x.(*family)
	if !s.now().Before(f.until) {
		s.families.Delete(fam)
		return nil, false
	}
	return f, true
}

// Get implements gqljwt.RefreshStore.
func (s *RefreshTokens) Get(_ context.Context, hash string) (gqljwt.RefreshRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	x, ok := s.record(hash)
	if !ok {
		return gqljwt.RefreshRecord{}, gqljwt.ErrNotFound
	}
	rec := *x
	rec.Revoked = s.revoked(rec.Family)
	return rec, nil
}

// revoked reports whether family was revoked; a family that expired from
// the index counts as revoked. Callers hold s.mu.
func (s *RefreshTokens) revoked(fam string) bool {
	f, ok := s.family(fam)
	return !ok || f.revoked
}

// Rotate implements gqljwt.RefreshStore, under the store's lock.
func (s *RefreshTokens) Rotate(_ context.Context, oldHash string, next gqljwt.RefreshRecord, now time.Time, grace time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	old, ok := s.record(oldHash)
	if !ok {
		return gqljwt.ErrNotFound
	}
	if s.revoked(old.Family) {
		return gqljwt.ErrRefreshRevoked
	}
	// Without a grace any second presentation is reuse, even one whose
	// now precedes RotatedAt (a concurrent caller read its clock first).
	if old.Rotated && (grace <= 0 || !now.Before(old.RotatedAt.Add(grace))) {
		s.revokeFamily(old.Family)
		return gqljwt.ErrRefreshReused
	}
	if _, exists := s.record(next.Hash); exists {
		return errDuplicate
	}
	if !old.Rotated {
		old.Rotated, old.RotatedAt = true, now
	}
	next.Family, next.Subject, next.TokenVersion = old.Family, old.Subject, old.TokenVersion
	s.put(next)
	return nil
}

// RevokeFamily implements gqljwt.RefreshStore.
func (s *RefreshTokens) RevokeFamily(_ context.Context, fam string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	s.revokeFamily(fam)
	return nil
}

func (s *RefreshTokens) revokeFamily(fam string) {
	if f, ok := s.family(fam); ok {
		f.revoked = true
	}
}

// RevokeSubject implements gqljwt.RefreshStore.
func (s *RefreshTokens) RevokeSubject(_ context.Context, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	if idx, ok := s.subject(subject); ok {
		for fam := range idx.families {
			s.revokeFamily(fam)
		}
	}
	return nil
}

type storeError string

func (e storeError) Error() string { return string(e) }

// errDuplicate: a hash collided with a stored one, which 256 random bits
// make a sign of a bug, not chance.
const errDuplicate = storeError("memstore: refresh token hash exists")
