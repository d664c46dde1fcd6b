package memstore_test

import (
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/storetest"
	"golang.org/x/crypto/bcrypt"
)

// The memstore stores against the public store contracts.

func TestRefreshTokensConformance(t *testing.T) {
	storetest.RefreshStore(t, func(_ *testing.T, clock func() time.Time) gqljwt.RefreshStore {
		return memstore.NewRefreshTokens(memstore.Clock(clock))
	})
}

func TestRefreshServiceConformance(t *testing.T) {
	storetest.RefreshService(t, func(_ *testing.T, clock func() time.Time) gqljwt.RefreshStore {
		return memstore.NewRefreshTokens(memstore.Clock(clock))
	})
}

func TestUsersConformance(t *testing.T) {
	storetest.UserStore(t, func(t *testing.T, accounts []storetest.Account) gqljwt.UserStore {
		s := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
		for _, a := range accounts {
			if err := s.Add(a.User, a.Password); err != nil {
				t.Fatal(err)
			}
		}
		return s
	})
}

func TestUsersVersionConformance(t *testing.T) {
	storetest.VersionStore(t, func(t *testing.T, subjects []string) gqljwt.VersionStore {
		s := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
		for _, id := range subjects {
			if err := s.Add(gqljwt.User{ID: id, TokenVersion: 41}, "pw"); err != nil {
				t.Fatal(err)
			}
		}
		return s
	})
}

func TestIdentitiesConformance(t *testing.T) {
	storetest.IdentityStore(t, func(*testing.T) gqljwt.IdentityStore { return memstore.NewIdentities() })
	t.Run("ZeroValue", func(t *testing.T) {
		storetest.IdentityStore(t, func(*testing.T) gqljwt.IdentityStore { return &memstore.Identities{} })
	})
}
