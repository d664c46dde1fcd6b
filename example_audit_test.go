package gqljwt_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"golang.org/x/crypto/bcrypt"
)

// Example_auditHook counts security events by kind, as a metrics exporter
// would. The hook runs on the goroutines of concurrent requests, hence the
// mutex; with Prometheus the body is one
// counter.WithLabelValues(string(e.Kind)).Inc().
func Example_auditHook() {
	var (
		mu     sync.Mutex
		counts = map[gqljwt.EventKind]int{}
	)
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "1", Username: "alice", Active: true}, "alice-password"); err != nil {
		panic(err)
	}
	auth, err := gqljwt.New(gqljwt.Config{
		SigningKey: gqljwt.Key{ID: "2026-10", Secret: []byte("the October secret, 32 bytes long")},
		Users:      users,
		Audit: func(_ context.Context, e gqljwt.Event) {
			mu.Lock()
			defer mu.Unlock()
			counts[e.Kind]++
		},
	})
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	for _, pw := range []string{"guess", "another guess", "alice-password"} {
		_, _ = auth.Login(ctx, gqljwt.Credentials{Username: "alice", Password: pw})
	}
	_, _ = auth.BumpTokenVersion(ctx, "1")
	_ = auth.RotateKeys(gqljwt.Key{ID: "2026-11", Secret: []byte("the November secret, 32 bytes long")})

	mu.Lock()
	defer mu.Unlock()
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Println(k, counts[gqljwt.EventKind(k)])
	}
	// Output:
	// keys.rotated 1
	// login.failed 2
	// login.succeeded 1
	// user.secret_bumped 1
}

// Example_auditLog shows the records Config.Logger receives. The time is
// left out here only to make the output reproducible.
func Example_auditLog() {
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "1", Username: "alice", Active: true}, "alice-password"); err != nil {
		panic(err)
	}
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	auth, err := gqljwt.New(gqljwt.Config{
		Secret:           []byte("an HS256 secret of at least 32 bytes"),
		Users:            users,
		MaxLoginFailures: 2,
		// A clock that stands still, so that the lockout's RetryAfter
		// prints the same on every run.
		Now:    func() time.Time { return time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC) },
		Logger: slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime})),
	})
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	for _, c := range []gqljwt.Credentials{
		{Username: "nobody", Password: "x"},
		{Username: "alice", Password: "guess"},
		{Username: "alice", Password: "another guess"},
		{Username: "alice", Password: "alice-password"},
	} {
		_, _ = auth.Login(ctx, c)
	}
	// Output:
	// level=WARN msg="gqljwt security event" event=login.failed login=nobody reason=unknown_user
	// level=WARN msg="gqljwt security event" event=login.failed subject=1 login=alice reason=invalid_credentials
	// level=WARN msg="gqljwt security event" event=login.failed subject=1 login=alice reason=invalid_credentials
	// level=WARN msg="gqljwt security event" event=login.lockout subject=1 login=alice reason=account_client retry_after=15m0s
	// level=WARN msg="gqljwt security event" event=login.throttled subject=1 login=alice reason=account_client retry_after=15m0s
}
