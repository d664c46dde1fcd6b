package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/patrickmn/go-cache"
)

// RefreshTokens is an in-memory gqljwt.RefreshStore on go-cache. Records
// are dropped ExpiredRetention after their tokens expire, so memory holds
// live sessions and the recently expired. Compound operations run under one
// mutex, which makes Rotate atomic.
type RefreshTokens struct {
	mu       sync.Mutex
	records  *cache.Cache // hash -> *gqljwt.RefreshRecord
	families *cache.Cache // family -> *family
	subjects *cache.Cache // subject -> map[string]struct{} (families)
}

type family struct {
	subject string
	revoked bool
}

// NewRefreshTokens returns an empty store.
func NewRefreshTokens() *RefreshTokens {
	return &RefreshTokens{
		records:  cache.New(cache.NoExpiration, time.Minute),
		families: cache.New(cache.NoExpiration, time.Minute),
		subjects: cache.New(cache.NoExpiration, time.Minute),
	}
}

// Create implements gqljwt.RefreshStore.
func (s *RefreshTokens) Create(_ context.Context, rec gqljwt.RefreshRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.records.Get(rec.Hash); exists {
		return errDuplicate
	}
	s.put(rec)
	return nil
}

// ExpiredRetention is how long a record outlives its token, so that a
// client presenting an expired refresh token is told it expired
// (TOKEN_EXPIRED, log in again) rather than that it is unknown.
const ExpiredRetention = 24 * time.Hour

// put stores rec and extends its family and subject index to live as long
// as it. Callers hold s.mu.
func (s *RefreshTokens) put(rec gqljwt.RefreshRecord) {
	ttl := time.Until(rec.ExpiresAt)
	if ttl <= 0 {
		return
	}
	ttl += ExpiredRetention
	rec.Rotated, rec.Revoked = false, false
	s.records.Set(rec.Hash, &rec, ttl)
	f := &family{subject: rec.Subject}
	if x, ok := s.families.Get(rec.Family); ok {
		f = x.(*family)
	}
	s.families.Set(rec.Family, f, ttl)
	fams := map[string]struct{}{}
	if x, ok := s.subjects.Get(rec.Subject); ok {
		fams = x.(map[string]struct{})
	}
	fams[rec.Family] = struct{}{}
	s.subjects.Set(rec.Subject, fams, ttl)
}

// Get implements gqljwt.RefreshStore.
func (s *RefreshTokens) Get(_ context.Context, hash string) (gqljwt.RefreshRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.records.Get(hash)
	if !ok {
		return gqljwt.RefreshRecord{}, gqljwt.ErrNotFound
	}
	rec := *x.(*gqljwt.RefreshRecord)
	rec.Revoked = s.revoked(rec.Family)
	return rec, nil
}

// revoked reports whether family was revoked; a family that expired from
// the index counts as revoked. Callers hold s.mu.
func (s *RefreshTokens) revoked(fam string) bool {
	x, ok := s.families.Get(fam)
	return !ok || x.(*family).revoked
}

// Rotate implements gqljwt.RefreshStore.
func (s *RefreshTokens) Rotate(_ context.Context, oldHash string, next gqljwt.RefreshRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.records.Get(oldHash)
	if !ok {
		return gqljwt.ErrNotFound
	}
	old := x.(*gqljwt.RefreshRecord)
	if s.revoked(old.Family) {
		return gqljwt.ErrRefreshReused
	}
	if old.Rotated {
		s.revokeFamily(old.Family)
		return gqljwt.ErrRefreshReused
	}
	if _, exists := s.records.Get(next.Hash); exists {
		return errDuplicate
	}
	old.Rotated = true
	next.Family, next.Subject = old.Family, old.Subject
	s.put(next)
	return nil
}

// RevokeFamily implements gqljwt.RefreshStore.
func (s *RefreshTokens) RevokeFamily(_ context.Context, fam string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeFamily(fam)
	return nil
}

func (s *RefreshTokens) revokeFamily(fam string) {
	if x, ok := s.families.Get(fam); ok {
		x.(*family).revoked = true
	}
}

// RevokeSubject implements gqljwt.RefreshStore.
func (s *RefreshTokens) RevokeSubject(_ context.Context, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if x, ok := s.subjects.Get(subject); ok {
		for fam := range x.(map[string]struct{}) {
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
