package memstore

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/gqljwt/gqljwt"
)

// Identities is an in-memory gqljwt.IdentityStore. The zero value is an
// empty store.
type Identities struct {
	mu     sync.RWMutex
	owner  map[gqljwt.LinkedIdentity]string
	byUser map[string][]gqljwt.LinkedIdentity
}

// NewIdentities returns an empty store.
func NewIdentities() *Identities {
	return &Identities{owner: map[gqljwt.LinkedIdentity]string{}, byUser: map[string][]gqljwt.LinkedIdentity{}}
}

// Link implements gqljwt.IdentityStore.
func (s *Identities) Link(_ context.Context, userID string, id gqljwt.LinkedIdentity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owner == nil {
		s.owner, s.byUser = map[gqljwt.LinkedIdentity]string{}, map[string][]gqljwt.LinkedIdentity{}
	}
	if owner, ok := s.owner[id]; ok {
		if owner == userID {
			return nil
		}
		return fmt.Errorf("memstore: %s identity %q: %w", id.Provider, id.ID, gqljwt.ErrIdentityLinked)
	}
	s.owner[id] = userID
	s.byUser[userID] = append(s.byUser[userID], id)
	return nil
}

// UserFor implements gqljwt.IdentityStore.
func (s *Identities) UserFor(_ context.Context, id gqljwt.LinkedIdentity) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	owner, ok := s.owner[id]
	if !ok {
		return "", gqljwt.ErrNotFound
	}
	return owner, nil
}

// Identities implements gqljwt.IdentityStore.
func (s *Identities) Identities(_ context.Context, userID string) ([]gqljwt.LinkedIdentity, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.byUser[userID]), nil
}
