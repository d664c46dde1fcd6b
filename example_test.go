package gqljwt_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
)

func ExampleNew() {
	_, err := gqljwt.New(gqljwt.Config{Secret: []byte("too short")})
	fmt.Println(err)

	auth, err := gqljwt.New(gqljwt.Config{Secret: []byte("an HS256 secret of at least 32 bytes")})
	if err != nil {
		panic(err)
	}
	fmt.Println(auth.Settings().Algorithm, auth.Settings().AccessTTL)
	// Output:
	// gqljwt: signing key: HS256 secret is 9 bytes, at least 32 are required
	// HS256 15m0s
}

func ExampleService_Verify() {
	auth, err := gqljwt.New(gqljwt.Config{Secret: []byte("an HS256 secret of at least 32 bytes")})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	tok, err := auth.IssueAccessToken(ctx, &gqljwt.User{ID: "42", Username: "alice", Roles: []string{"ADMIN"}})
	if err != nil {
		panic(err)
	}
	id, err := auth.Verify(ctx, tok.Value)
	if err != nil {
		panic(err)
	}
	fmt.Println(id.Subject, id.Username, id.HasRole("ADMIN"))

	_ = auth.RevokeAccessToken(ctx, id)
	_, err = auth.Verify(ctx, tok.Value)
	fmt.Println(err, errors.Is(err, gqljwt.ErrTokenRevoked))
	// Output:
	// 42 alice true
	// Token has been revoked true
}

func ExampleService_RotateKeys() {
	old := gqljwt.Key{ID: "2026-10", Secret: []byte("the October secret, 32 bytes long")}
	auth, err := gqljwt.New(gqljwt.Config{SigningKey: old})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	before, _ := auth.IssueAccessToken(ctx, &gqljwt.User{ID: "1"})

	// Sign with the new key; keep accepting the old one until its tokens
	// have expired.
	next := gqljwt.Key{ID: "2026-11", Secret: []byte("the November secret, 32 bytes long")}
	if err := auth.RotateKeys(next, old); err != nil {
		panic(err)
	}
	_, err = auth.Verify(ctx, before.Value)
	fmt.Println("old token with the old key kept:", err)

	if err := auth.RotateKeys(next); err != nil {
		panic(err)
	}
	_, err = auth.Verify(ctx, before.Value)
	fmt.Println("old token once the old key is gone:", err)
	// Output:
	// old token with the old key kept: <nil>
	// old token once the old key is gone: Invalid token
}

// Two Services of one process (two endpoints with different token
// lifetimes) share their state: revocations, the login throttle and the
// version cache, so that what happens through one holds for the other at
// once.
func ExampleNewVersionCache() {
	users := memstore.NewUsers()
	if err := users.Add(gqljwt.User{ID: "7", Username: "bob", Active: true}, "bob-password"); err != nil {
		panic(err)
	}
	shared := gqljwt.Config{
		Secret:        []byte("an HS256 secret of at least 32 bytes"),
		Users:         users, // also the VersionStore
		Revocations:   gqljwt.NewMemoryRevocations(),
		LoginThrottle: gqljwt.NewLoginThrottle(0),
		VersionCache:  gqljwt.NewVersionCache(0),
	}
	short, long := shared, shared
	short.AccessTTL, long.AccessTTL = 5*time.Minute, time.Hour
	api, err := gqljwt.New(short)
	if err != nil {
		panic(err)
	}
	admin, err := gqljwt.New(long)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	sess, err := api.Login(ctx, gqljwt.Credentials{Username: "bob", Password: "bob-password"})
	if err != nil {
		panic(err)
	}
	_, err = api.Verify(ctx, sess.Access.Value) // bob's version is now cached
	fmt.Println("before:", err)
	if _, err := admin.BumpTokenVersion(ctx, "7"); err != nil { // log bob out everywhere
		panic(err)
	}
	_, err = api.Verify(ctx, sess.Access.Value)
	fmt.Println("after:", err)
	// Output:
	// before: <nil>
	// after: Token has been revoked
}

func ExampleService_CacheStats() {
	auth, err := gqljwt.New(gqljwt.Config{Secret: []byte("an HS256 secret of at least 32 bytes"), CacheEntries: 1000})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	tok, err := auth.IssueAccessToken(ctx, &gqljwt.User{ID: "42"})
	if err != nil {
		panic(err)
	}
	for range 3 {
		if _, err := auth.Verify(ctx, tok.Value); err != nil {
			panic(err)
		}
	}
	st := auth.CacheStats()
	fmt.Printf("%d of 3 verified in full; %d of %d entries held\n", st.Misses, st.Entries, st.Capacity)
	// Output:
	// 1 of 3 verified in full; 1 of 1000 entries held
}
