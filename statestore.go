package gqljwt

import (
	"context"
	"sync"
	"time"

	"github.com/patrickmn/go-cache"
)

// StateStore keeps what an OAuth2 authorization started (its state, the
// browser it is bound to, its PKCE verifier) until the login that
// completes it. Share one between instances when the start and the login
// may reach different ones.
//
// Contract: PutState stores data under state for ttl (wall clock); the
// store owns the expiry. TakeState returns the data and deletes it in one
// atomic step: of concurrent takers of one state exactly one gets it, the
// others ErrNotFound, as do takers of an unknown or expired state. Any
// other error refuses the login.
type StateStore interface {
	PutState(ctx context.Context, state string, data []byte, ttl time.Duration) error
	TakeState(ctx context.Context, state string) ([]byte, error)
}

// MemoryStates is the in-process StateStore. Its zero value is ready to
// use.
type MemoryStates struct {
	once sync.Once
	mu   sync.Mutex
	c    *cache.Cache
}

// NewMemoryStates returns an empty in-process StateStore.
func NewMemoryStates() *MemoryStates { return &MemoryStates{} }

func (m *MemoryStates) cache() *cache.Cache {
	m.once.Do(func() { m.c = cache.New(10*time.Minute, time.Minute) })
	return m.c
}

// PutState implements StateStore.
func (m *MemoryStates) PutState(_ context.Context, state string, data []byte, ttl time.Duration) error {
	m.cache().Set(state, append([]byte(nil), data...), ttl)
	return nil
}

// TakeState implements StateStore.
func (m *MemoryStates) TakeState(_ context.Context, state string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cache()
	v, ok := c.Get(state)
	if !ok {
		return nil, ErrNotFound
	}
	c.Delete(state)
	return v.([]byte), nil
}
