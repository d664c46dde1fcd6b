package memstore

import (
	"context"

	"github.com/gqljwt/gqljwt"
)

var _ gqljwt.UserSecretStore = (*Users)(nil)

// RevokeUserSecret implements gqljwt.UserSecretStore: the version moves on
// and the mark is set under one lock.
func (s *Users) RevokeUserSecret(_ context.Context, subject string) (uint64, error) {
	return s.moveSecret(subject, true)
}

// RefreshUserSecret implements gqljwt.UserSecretStore.
func (s *Users) RefreshUserSecret(_ context.Context, subject string) (uint64, error) {
	return s.moveSecret(subject, false)
}

func (s *Users) moveSecret(subject string, revoked bool) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byID[subject]
	if !ok {
		return 0, gqljwt.ErrNotFound
	}
	a.user.TokenVersion++
	a.secretRevoked = revoked
	return a.user.TokenVersion, nil
}

// UserSecretRevoked implements gqljwt.UserSecretStore.
func (s *Users) UserSecretRevoked(_ context.Context, subject string) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.byID[subject]
	if !ok {
		return false, gqljwt.ErrNotFound
	}
	return a.secretRevoked, nil
}
