package bench

import (
	"context"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"golang.org/x/crypto/bcrypt"
)

// BenchmarkRefreshRotation measures one long-running refresh: look up the
// refresh token's hash, re-check the user, rotate atomically in the
// go-cache store and sign a new access token. Target: ≥ 50k rotations/s,
// i.e. ≤ 20 µs/op.
func BenchmarkRefreshRotation(b *testing.B) {
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "1", Username: "alice", Roles: []string{"ADMIN"}, Active: true}, "pw"); err != nil {
		b.Fatal(err)
	}
	auth, err := gqljwt.New(gqljwt.Config{
		Secret: []byte("bench-secret-0123456789abcdef-0123456789"),
		Users:  users, Versions: users, Refresh: memstore.NewRefreshTokens(),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	u, _ := users.UserByID(ctx, "1")
	sess, err := auth.StartSession(ctx, u)
	if err != nil {
		b.Fatal(err)
	}
	token := sess.RefreshToken
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next, err := auth.Refresh(ctx, token, gqljwt.RefreshOptions{})
		if err != nil {
			b.Fatal(err)
		}
		token = next.RefreshToken
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rotations/s")
}
