package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gqljwt/gqljwt"
	"golang.org/x/crypto/bcrypt"
)

// MaxPasswordLength is the longest password accepted. bcrypt reads only
// the first 72 bytes, so a longer one could not be told from its prefix.
const MaxPasswordLength = 72

// Users is an in-memory gqljwt.UserStore and gqljwt.VersionStore with
// bcrypt password hashes. It is safe for concurrent use. The zero value is
// an empty store at bcrypt.DefaultCost; NewUsers takes options.
type Users struct {
	cost      int
	dummyOnce sync.Once
	dummy     []byte // bcrypt hash compared against for unknown users

	mu         sync.RWMutex
	byID       map[string]*account
	byUsername map[string]string // username -> ID
	byEmail    map[string]string // lower-cased email -> ID
}

type account struct {
	user gqljwt.User
	hash []byte
	// secretRevoked is the revoked user secret (usersecret.go).
	secretRevoked bool
}

// NewUsers returns an empty store. It panics on a bcrypt cost bcrypt
// refuses: that is a programming error, better found at start-up than at
// the first login.
func NewUsers(opts ...Option) *Users {
	o := newOptions(opts)
	u := &Users{cost: o.cost}
	u.dummyHash()
	return u
}

// dummyHash is the hash unknown users are checked against. It is made on
// first use in a zero Users, where an absent one would answer unknown
// users faster than wrong passwords.
func (s *Users) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		dummy, err := bcrypt.GenerateFromPassword([]byte("gqljwt dummy password"), s.cost)
		if err != nil {
			panic(fmt.Sprintf("memstore: bcrypt cost %d: %v", s.cost, err))
		}
		s.dummy = dummy
	})
	return s.dummy
}

// initLocked makes the maps of a zero Users. Callers hold s.mu for writing.
func (s *Users) initLocked() {
	if s.byID == nil {
		s.byID, s.byUsername, s.byEmail = map[string]*account{}, map[string]string{}, map[string]string{}
	}
}

// Add stores user with password, hashed with bcrypt. ID must be new;
// Username and Email, when set, must be unused.
func (s *Users) Add(user gqljwt.User, password string) error {
	if user.ID == "" {
		return errors.New("memstore: user needs an ID")
	}
	if len(password) > MaxPasswordLength {
		return fmt.Errorf("memstore: password longer than %d bytes", MaxPasswordLength)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	email := strings.ToLower(user.Email)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	if _, dup := s.byID[user.ID]; dup {
		return fmt.Errorf("memstore: user ID %q exists", user.ID)
	}
	if _, dup := s.byUsername[user.Username]; dup && user.Username != "" {
		return fmt.Errorf("memstore: username %q exists", user.Username)
	}
	if _, dup := s.byEmail[email]; dup && email != "" {
		return fmt.Errorf("memstore: email %q exists", user.Email)
	}
	s.byID[user.ID] = &account{user: clone(user), hash: hash}
	if user.Username != "" {
		s.byUsername[user.Username] = user.ID
	}
	if email != "" {
		s.byEmail[email] = user.ID
	}
	return nil
}

// SetPassword replaces the password of user id and bumps the user's token
// version, which logs every session of the user out.
func (s *Users) SetPassword(id, password string) error {
	if len(password) > MaxPasswordLength {
		return fmt.Errorf("memstore: password longer than %d bytes", MaxPasswordLength)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byID[id]
	if !ok {
		return gqljwt.ErrNotFound
	}
	a.hash = hash
	a.user.TokenVersion++
	return nil
}

// SetActive enables or disables the account id. A disabled user can
// neither log in nor refresh.
func (s *Users) SetActive(id string, active bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byID[id]
	if !ok {
		return gqljwt.ErrNotFound
	}
	a.user.Active = active
	return nil
}

// Delete removes the account id.
func (s *Users) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byID[id]
	if !ok {
		return gqljwt.ErrNotFound
	}
	delete(s.byID, id)
	delete(s.byUsername, a.user.Username)
	delete(s.byEmail, strings.ToLower(a.user.Email))
	return nil
}

// UserByUsername implements gqljwt.UserStore. Usernames match exactly.
func (s *Users) UserByUsername(_ context.Context, username string) (*gqljwt.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lookup(s.byUsername[username])
}

// UserByEmail implements gqljwt.UserStore. Emails match without regard
// to case.
func (s *Users) UserByEmail(_ context.Context, email string) (*gqljwt.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lookup(s.byEmail[strings.ToLower(email)])
}

// UserByID implements gqljwt.UserStore.
func (s *Users) UserByID(_ context.Context, id string) (*gqljwt.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lookup(id)
}

func (s *Users) lookup(id string) (*gqljwt.User, error) {
	a, ok := s.byID[id]
	if !ok || id == "" {
		return nil, gqljwt.ErrNotFound
	}
	u := clone(a.user)
	return &u, nil
}

// CheckPassword implements gqljwt.UserStore with a bcrypt comparison,
// whose cost does not depend on where the passwords differ.
func (s *Users) CheckPassword(_ context.Context, u *gqljwt.User, password string) (bool, error) {
	s.mu.RLock()
	a, ok := s.byID[u.ID]
	var hash []byte
	if ok {
		hash = a.hash
	}
	s.mu.RUnlock()
	if !ok {
		s.CheckDummyPassword(context.Background(), password)
		return false, nil
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
		return false, nil
	default:
		return false, err
	}
}

// CheckDummyPassword implements gqljwt.UserStore: a bcrypt comparison
// against a dummy hash of the same cost.
func (s *Users) CheckDummyPassword(_ context.Context, password string) {
	_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
}

// TokenVersion implements gqljwt.VersionStore.
func (s *Users) TokenVersion(_ context.Context, subject string) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.byID[subject]
	if !ok {
		return 0, gqljwt.ErrNotFound
	}
	return a.user.TokenVersion, nil
}

// BumpTokenVersion implements gqljwt.VersionStore.
func (s *Users) BumpTokenVersion(_ context.Context, subject string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byID[subject]
	if !ok {
		return 0, gqljwt.ErrNotFound
	}
	a.user.TokenVersion++
	return a.user.TokenVersion, nil
}

// clone copies u deeply enough that callers cannot change the store.
func clone(u gqljwt.User) gqljwt.User {
	u.Roles = slices.Clone(u.Roles)
	u.Scopes = slices.Clone(u.Scopes)
	if u.Profile != nil {
		p := make(map[string]any, len(u.Profile))
		for k, v := range u.Profile {
			p[k] = v
		}
		u.Profile = p
	}
	return u
}
