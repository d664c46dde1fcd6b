package memstore_test

import (
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/storetest"
	"golang.org/x/crypto/bcrypt"
)

func TestUsersUserSecretConformance(t *testing.T) {
	storetest.UserSecretStore(t, func(t *testing.T, subjects []string) gqljwt.UserSecretStore {
		s := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
		for _, id := range subjects {
			if err := s.Add(gqljwt.User{ID: id, TokenVersion: 7}, "pw"); err != nil {
				t.Fatal(err)
			}
		}
		return s
	})
	t.Run("ZeroValue", func(t *testing.T) {
		var s memstore.Users
		if _, err := s.UserSecretRevoked(t.Context(), "u1"); err == nil {
			t.Error("a zero Users knows u1")
		}
	})
}
