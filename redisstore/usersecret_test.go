package redisstore_test

import (
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/redisstore"
	"github.com/gqljwt/gqljwt/storetest"
)

func TestUserSecretConformance(t *testing.T) {
	c := startRedis(t).client(t)
	for name, opts := range map[string][]redisstore.Option{
		"uncached": {slow},
		// With the client-side cache, a move must be seen by the store
		// that made it at once, as a bump is.
		"cached": {slow, redisstore.CacheTTL(time.Second)},
	} {
		t.Run(name, func(t *testing.T) {
			storetest.UserSecretStore(t, func(t *testing.T, subjects []string) gqljwt.UserSecretStore {
				s := redisstore.NewVersions(c, append([]redisstore.Option{prefix()}, opts...)...)
				for _, id := range subjects {
					if _, err := s.Add(ctx, id); err != nil {
						t.Fatal(err)
					}
				}
				return s
			})
		})
	}
}

// TestUserSecretSurvivesRemove: the revoked flag, like the version, has
// no lifetime and outlasts a Remove and Add of the user: a recreated
// account does not get its tokens back by being recreated.
func TestUserSecretSurvivesRemove(t *testing.T) {
	s := redisstore.NewVersions(startRedis(t).client(t), prefix(), slow)
	if _, err := s.Add(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeUserSecret(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserSecretRevoked(ctx, "u1"); err != gqljwt.ErrNotFound {
		t.Errorf("UserSecretRevoked of a removed user: %v, want ErrNotFound", err)
	}
	if _, err := s.Add(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if r, err := s.UserSecretRevoked(ctx, "u1"); err != nil || !r {
		t.Errorf("UserSecretRevoked after Remove and Add = %v, %v; want true", r, err)
	}
}
