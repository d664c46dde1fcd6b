package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/internal/redistest"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/redisstore"
	"github.com/gqljwt/gqljwt/storetest"
	"github.com/redis/rueidis"
	"golang.org/x/crypto/bcrypt"
)

var ctx = context.Background()

// server is a redis-server of a test's own (see redistest.Start).
type server struct{ *redistest.Server }

func startRedis(t *testing.T) *server { return &server{redistest.Start(t)} }

func (s *server) stop() { s.Stop() }

// client returns a client of s, closed when the test ends.
func (s *server) client(t *testing.T) rueidis.Client { return newClient(t, s.Addr) }

// cluster is a Redis Cluster of a test's own, three masters (see
// redistest.StartCluster).
type cluster struct{ *redistest.Cluster }

func startCluster(t *testing.T) *cluster { return &cluster{redistest.StartCluster(t, 3)} }

// client returns a cluster client of c, seeded with every master.
func (c *cluster) client(t *testing.T) rueidis.Client {
	t.Helper()
	cl := newClient(t, c.Addrs...)
	if cl.Mode() != rueidis.ClientModeCluster {
		t.Fatalf("client of the cluster in mode %s", cl.Mode())
	}
	return cl
}

// backend is a single node or a cluster.
type backend interface {
	client(t *testing.T) rueidis.Client
}

func newClient(t *testing.T, addrs ...string) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: addrs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

var prefixes atomic.Int64

// prefix gives each store of a test its own key space.
func prefix() redisstore.Option {
	return redisstore.Prefix(fmt.Sprintf("test%d:", prefixes.Add(1)))
}

// slow is the timeout of the stores of the tests that do not measure it,
// far above the default: a machine loaded by the whole test suite under
// -race must not turn a slow answer into a failed check.
var slow = redisstore.Timeout(5 * time.Second)

func TestConformance(t *testing.T) { conformance(t, startRedis(t).client(t)) }

// TestCluster: on a 3-master Redis Cluster of the test's own, every
// storetest suite (every key a script touches must share its slot, or
// Redis refuses the script with CROSSSLOT), and two Services sharing it.
// One cluster for all: each takes seconds to create.
func TestCluster(t *testing.T) {
	cl := startCluster(t)
	t.Run("Conformance", func(t *testing.T) { conformance(t, cl.client(t)) })
	t.Run("Service", func(t *testing.T) { testService(t, cl) })
	// The cluster spreads the stores' keys over its masters: the scripts
	// above ran on several nodes, not all on one.
	t.Run("KeysSpread", func(t *testing.T) {
		for _, addr := range cl.Addrs {
			if n, err := redistest.Do(addr, "DBSIZE"); err != nil || n == "0" {
				t.Errorf("master %s holds %s keys (%v), want some", addr, n, err)
			}
		}
	})
}

// conformance runs every storetest suite on c.
func conformance(t *testing.T, c rueidis.Client) {
	t.Run("RefreshStore", func(t *testing.T) {
		storetest.RefreshStore(t, func(_ *testing.T, clock func() time.Time) gqljwt.RefreshStore {
			return redisstore.NewRefreshTokens(c, prefix(), slow, redisstore.Clock(clock))
		})
	})
	t.Run("RefreshService", func(t *testing.T) {
		storetest.RefreshService(t, func(_ *testing.T, clock func() time.Time) gqljwt.RefreshStore {
			return redisstore.NewRefreshTokens(c, prefix(), slow, redisstore.Clock(clock))
		})
	})
	t.Run("RevocationStore", func(t *testing.T) {
		storetest.RevocationStore(t, func(_ *testing.T, clock func() time.Time) gqljwt.RevocationStore {
			return redisstore.NewRevocations(c, prefix(), slow, redisstore.Clock(clock))
		})
	})
	t.Run("RevocationStoreCached", func(t *testing.T) {
		storetest.RevocationStore(t, func(_ *testing.T, clock func() time.Time) gqljwt.RevocationStore {
			return redisstore.NewRevocations(c, prefix(), slow, redisstore.Clock(clock), redisstore.CacheTTL(time.Second))
		})
	})
	versions := func(opts ...redisstore.Option) func(*testing.T, []string) gqljwt.VersionStore {
		return func(t *testing.T, subjects []string) gqljwt.VersionStore {
			s := redisstore.NewVersions(c, append(opts, prefix(), slow)...)
			for _, id := range subjects {
				if _, err := s.Add(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			return s
		}
	}
	t.Run("VersionStore", func(t *testing.T) { storetest.VersionStore(t, versions()) })
	t.Run("VersionStoreCached", func(t *testing.T) { storetest.VersionStore(t, versions(redisstore.CacheTTL(time.Second))) })
	t.Run("StateStore", func(t *testing.T) {
		storetest.StateStore(t, func(*testing.T) gqljwt.StateStore { return redisstore.NewStates(c, prefix(), slow) })
	})
	t.Run("AttemptCounter", func(t *testing.T) {
		storetest.AttemptCounter(t, func(*testing.T, func() time.Time) gqljwt.AttemptCounter {
			return redisstore.NewAttemptCounter(c, prefix(), slow)
		})
	})
	t.Run("IdentityStore", func(t *testing.T) {
		storetest.IdentityStore(t, func(*testing.T) gqljwt.IdentityStore { return redisstore.NewIdentities(c, prefix(), slow) })
	})
}

// TestVersionsAddRemove: beyond the contract, what Add and Remove promise.
// A removed user is unknown, and comes back one version on.
func TestVersionsAddRemove(t *testing.T) {
	s := redisstore.NewVersions(startRedis(t).client(t), prefix(), slow)
	if v, err := s.Add(ctx, "u1"); v != 0 || err != nil {
		t.Fatalf("Add(u1) = %d, %v; want 0", v, err)
	}
	if v, err := s.BumpTokenVersion(ctx, "u1"); v != 1 || err != nil {
		t.Fatalf("bump = %d, %v; want 1", v, err)
	}
	if v, err := s.Add(ctx, "u1"); v != 1 || err != nil {
		t.Fatalf("Add of a known user = %d, %v; want 1, unchanged", v, err)
	}
	if err := s.Remove(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "unknown"); err != nil {
		t.Errorf("Remove(unknown) = %v", err)
	}
	if v, err := s.TokenVersion(ctx, "u1"); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Errorf("TokenVersion of a removed user = %d, %v; want ErrNotFound", v, err)
	}
	if v, err := s.BumpTokenVersion(ctx, "u1"); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Errorf("bump of a removed user = %d, %v; want ErrNotFound", v, err)
	}
	if v, err := s.Add(ctx, "u1"); v != 2 || err != nil {
		t.Errorf("Add of a removed user = %d, %v; want 2: version 1 must not come back", v, err)
	}
}

// TestStatesExpire: a state is gone after its ttl, by Redis's clock
// (storetest.StateStore checks the rest of the contract).
func TestStatesExpire(t *testing.T) {
	s := redisstore.NewStates(startRedis(t).client(t), prefix(), slow)
	data := []byte("verifier\x00\xffbinary")
	if err := s.PutState(ctx, "short", data, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := s.TakeState(ctx, "short"); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Errorf("TakeState after its ttl = %v, want ErrNotFound", err)
	}
}

var secret = []byte("0123456789abcdef0123456789abcdef-redisstore")

// instance is one application instance: a Service with its own client of
// the shared Redis.
func instance(t *testing.T, s backend, users *memstore.Users, opts ...redisstore.Option) *gqljwt.Service {
	t.Helper()
	return instanceWith(t, s, users, gqljwt.Config{}, opts...)
}

// instanceWith is instance with the settings of cfg besides the stores.
func instanceWith(t *testing.T, s backend, users *memstore.Users, cfg gqljwt.Config, opts ...redisstore.Option) *gqljwt.Service {
	t.Helper()
	c := s.client(t)
	svc, err := gqljwt.New(gqljwt.Config{
		RefreshReuseGrace: cfg.RefreshReuseGrace,
		VersionCacheTTL:   cfg.VersionCacheTTL,
		Secret:            secret,
		Users:             users,
		Refresh:           redisstore.NewRefreshTokens(c, opts...),
		Revocations:       redisstore.NewRevocations(c, opts...),
		Versions:          redisstore.NewVersions(c, opts...),
		LoginThrottle:     gqljwt.NewLoginThrottleWithCounter(redisstore.NewAttemptCounter(c, opts...), 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// setUp starts a Redis holding alice's version and returns the users and
// the options every instance's stores share: a prefix, then extra.
func setUp(t *testing.T, extra ...redisstore.Option) (*server, *memstore.Users, []redisstore.Option) {
	t.Helper()
	s := startRedis(t)
	users, opts := setUpOn(t, s, extra...)
	return s, users, opts
}

// setUpOn is setUp on a backend of the caller's.
func setUpOn(t *testing.T, s backend, extra ...redisstore.Option) (*memstore.Users, []redisstore.Option) {
	t.Helper()
	opts := append([]redisstore.Option{prefix()}, extra...)
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "u1", Username: "alice", Active: true}, "alice-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := redisstore.NewVersions(s.client(t), append(slices.Clone(opts), slow)...).Add(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	return users, opts
}

var alice = gqljwt.Credentials{Username: "alice", Password: "alice-password"}

func code(err error) gqljwt.Code {
	var e *gqljwt.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// TestService: two instances sharing one Redis, through the Service.
func TestService(t *testing.T) { testService(t, startRedis(t)) }

func testService(t *testing.T, s backend) {
	users, opts := setUpOn(t, s, slow)
	a, b := instance(t, s, users, opts...), instance(t, s, users, opts...)
	sess, err := a.Login(ctx, alice)
	if err != nil {
		t.Fatalf("login: %v: %v", err, errors.Unwrap(err))
	}
	// Concurrent refreshes of one token, on the other instance: the grace
	// lets them all succeed, and every token handed out works.
	const refreshes = 3
	got, errs := make([]*gqljwt.Session, refreshes), make([]error, refreshes)
	var wg sync.WaitGroup
	for i := range refreshes {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], errs[i] = b.Refresh(ctx, sess.RefreshToken, gqljwt.RefreshOptions{}) }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("refresh %d within the grace: %v", i, err)
		}
		if got[i].ID != sess.ID {
			t.Errorf("refresh %d moved to session %s, want %s", i, got[i].ID, sess.ID)
		}
		if _, err := a.Verify(ctx, got[i].Access.Value); err != nil {
			t.Errorf("access token of refresh %d refused on the other instance: %v", i, err)
		}
	}
	next, err := a.Refresh(ctx, got[0].RefreshToken, gqljwt.RefreshOptions{})
	if err != nil {
		t.Fatalf("refreshing a successor: %v", err)
	}
	id, err := a.Verify(ctx, sess.Access.Value)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Logout(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{sess.Access.Value, got[1].Access.Value, next.Access.Value} {
		if _, err := b.Verify(ctx, tok); code(err) != gqljwt.CodeUnauthenticated && code(err) != gqljwt.CodeTokenRevoked {
			t.Errorf("after logout on A, B's Verify = %v (%s), want the token refused", err, code(err))
		}
	}
	if _, err := b.Refresh(ctx, next.RefreshToken, gqljwt.RefreshOptions{}); err == nil {
		t.Error("after logout on A, B refreshed the session")
	}
}

// TestServiceNoGrace: with the grace off, of concurrent refreshes of one
// token spread over two instances exactly one succeeds, and the others'
// reuse ends the session.
func TestServiceNoGrace(t *testing.T) {
	s, users, opts := setUp(t, slow)
	cfg := gqljwt.Config{RefreshReuseGrace: -1}
	a, b := instanceWith(t, s, users, cfg, opts...), instanceWith(t, s, users, cfg, opts...)
	sess, err := a.Login(ctx, alice)
	if err != nil {
		t.Fatalf("login: %v: %v", err, errors.Unwrap(err))
	}
	const refreshes = 10
	got, errs := make([]*gqljwt.Session, refreshes), make([]error, refreshes)
	var wg sync.WaitGroup
	for i := range refreshes {
		svc := a
		if i%2 == 1 {
			svc = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = svc.Refresh(ctx, sess.RefreshToken, gqljwt.RefreshOptions{})
		}()
	}
	wg.Wait()
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case code(err) == gqljwt.CodeUnavailable || code(err) == "":
			t.Errorf("refresh %d: %v (%s), want success or a refusal", i, err, code(err))
		}
	}
	if winners != 1 {
		t.Fatalf("%d of %d concurrent refreshes succeeded without a grace, want exactly 1", winners, refreshes)
	}
}

// TestServiceLogoutAll: logoutAll on B ends every session of the user on
// A, once A's version cache has expired.
func TestServiceLogoutAll(t *testing.T) {
	s, users, opts := setUp(t, slow)
	cfg := gqljwt.Config{VersionCacheTTL: time.Millisecond}
	a, b := instanceWith(t, s, users, cfg, opts...), instanceWith(t, s, users, cfg, opts...)
	first, err := a.Login(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.Login(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	id, err := b.Verify(ctx, second.Access.Value)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.LogoutAll(ctx, id); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // A's cached version expires
	for _, sess := range []*gqljwt.Session{first, second} {
		if _, err := a.Verify(ctx, sess.Access.Value); err == nil {
			t.Error("after logoutAll on B, A accepted an access token")
		}
		if _, err := a.Refresh(ctx, sess.RefreshToken, gqljwt.RefreshOptions{}); err == nil {
			t.Error("after logoutAll on B, A refreshed a session")
		}
	}
}

// TestServiceSharedThrottle: instances share one login budget: failures
// on A and B add up.
func TestServiceSharedThrottle(t *testing.T) {
	s, users, opts := setUp(t, slow)
	a, b := instance(t, s, users, opts...), instance(t, s, users, opts...)
	wrong := gqljwt.Credentials{Username: "alice", Password: "wrong"}
	for i := range gqljwt.DefaultMaxLoginFailures {
		svc := a
		if i%2 == 1 {
			svc = b
		}
		if _, err := svc.Login(ctx, wrong); code(err) != gqljwt.CodeInvalidCredential {
			t.Fatalf("failure %d = %v (%s), want INVALID_CREDENTIALS", i+1, err, code(err))
		}
	}
	for name, svc := range map[string]*gqljwt.Service{"A": a, "B": b} {
		if _, err := svc.Login(ctx, alice); code(err) != gqljwt.CodeTooManyAttempts {
			t.Errorf("login on %s after %d failures over both instances = %v (%s), want TOO_MANY_ATTEMPTS",
				name, gqljwt.DefaultMaxLoginFailures, err, code(err))
		}
	}
}

// TestRevocationSeenWithCache: with client-side caching, a revocation made
// through instance A is seen by instance B, which had cached the answer,
// within 100 ms: Redis pushes the invalidation.
func TestRevocationSeenWithCache(t *testing.T) {
	s := startRedis(t)
	opt := prefix()
	a := redisstore.NewRevocations(s.client(t), opt, slow, redisstore.CacheTTL(time.Minute))
	b := redisstore.NewRevocations(s.client(t), opt, slow, redisstore.CacheTTL(time.Minute))
	for range 3 { // cached now
		if revoked, err := b.IsRevoked(ctx, "jti", "sid:s1"); revoked || err != nil {
			t.Fatalf("IsRevoked before any revocation = %v, %v", revoked, err)
		}
	}
	if err := a.RevokeToken(ctx, "sid:s1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	seenWithin100ms(t, b)
}

// seenWithin100ms fails t unless b refuses token jti of session s1,
// which another store has just revoked, within 100 ms.
func seenWithin100ms(t *testing.T, b *redisstore.Revocations) {
	t.Helper()
	start := time.Now()
	for {
		revoked, err := b.IsRevoked(ctx, "jti", "sid:s1")
		if err != nil {
			t.Fatal(err)
		}
		if revoked {
			t.Logf("revocation seen by B after %s", time.Since(start))
			return
		}
		if time.Since(start) > 100*time.Millisecond {
			t.Fatal("B still took the session for live 100 ms after A revoked it")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestVersionSeenWithCache: with client-side caching, a version bumped
// through instance A is seen by instance B, which had cached it, within
// 100 ms; and a store sees its own bumps at once, before Redis's
// invalidation push has arrived. With Front too.
func TestVersionSeenWithCache(t *testing.T) {
	s := startRedis(t)
	t.Run("rueidis", func(t *testing.T) {
		opt := prefix()
		versionSeen(t,
			redisstore.NewVersions(s.client(t), opt, slow, redisstore.CacheTTL(time.Minute)),
			redisstore.NewVersions(s.client(t), opt, slow, redisstore.CacheTTL(time.Minute)), func() {})
	})
	t.Run("front", func(t *testing.T) {
		opt := prefix()
		ca, ta := tracked(t, 0, s.Addr)
		cb, tb := tracked(t, 0, s.Addr)
		versionSeen(t,
			redisstore.NewVersions(ca, opt, slow, redisstore.CacheTTL(time.Minute), redisstore.Front(ta)),
			redisstore.NewVersions(cb, opt, slow, redisstore.CacheTTL(time.Minute), redisstore.Front(tb)), func() {
				if redisstore.FrontLen(tb) != 1 {
					t.Errorf("B's front holds %d answers, want the version read", redisstore.FrontLen(tb))
				}
			})
	})
}

// versionSeen is TestVersionSeenWithCache on the stores a and b of two
// instances; cached runs once b has read the version before the bump.
func versionSeen(t *testing.T, a, b *redisstore.Versions, cached func()) {
	if _, err := a.Add(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	for range 3 { // cached now
		if v, err := b.TokenVersion(ctx, "u1"); v != 0 || err != nil {
			t.Fatalf("TokenVersion before any bump = %d, %v; want 0", v, err)
		}
	}
	cached()
	if _, err := a.BumpTokenVersion(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		v, err := b.TokenVersion(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		if v == 1 {
			t.Logf("bump seen by B after %s", time.Since(start))
			break
		}
		if time.Since(start) > 100*time.Millisecond {
			t.Fatal("B still read version 0 100 ms after A bumped it")
		}
		time.Sleep(time.Millisecond)
	}
	for i := uint64(2); i < 200; i++ {
		if v, err := b.BumpTokenVersion(ctx, "u1"); v != i || err != nil {
			t.Fatalf("BumpTokenVersion = %d, %v; want %d", v, err, i)
		}
		if v, err := b.TokenVersion(ctx, "u1"); v != i || err != nil {
			t.Fatalf("TokenVersion right after the store's own bump = %d, %v; want %d", v, err, i)
		}
	}
	if err := b.Remove(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if v, err := b.TokenVersion(ctx, "u1"); !errors.Is(err, gqljwt.ErrNotFound) {
		t.Errorf("TokenVersion right after the store's own Remove = %d, %v; want ErrNotFound", v, err)
	}
}

// TestRefreshAnswers: Service.Refresh answers the same on Redis, where it
// takes RefreshExchanger's path, as on memstore, where it takes Get and
// Rotate: every refusal with its exact code and message, and what each
// leaves working.
func TestRefreshAnswers(t *testing.T) {
	s := startRedis(t)
	backends := map[string]func(t *testing.T, now func() time.Time) (gqljwt.RefreshStore, gqljwt.VersionStore, gqljwt.RevocationStore){
		"memstore": func(t *testing.T, now func() time.Time) (gqljwt.RefreshStore, gqljwt.VersionStore, gqljwt.RevocationStore) {
			return memstore.NewRefreshTokens(memstore.Clock(now)), nil, gqljwt.NewMemoryRevocations()
		},
		"redis": func(t *testing.T, now func() time.Time) (gqljwt.RefreshStore, gqljwt.VersionStore, gqljwt.RevocationStore) {
			c := s.client(t)
			opts := []redisstore.Option{prefix(), slow, redisstore.CacheTTL(time.Minute), redisstore.Clock(now)}
			v := redisstore.NewVersions(c, opts...)
			if _, err := v.Add(ctx, "u1"); err != nil {
				t.Fatal(err)
			}
			return redisstore.NewRefreshTokens(c, opts...), v, redisstore.NewRevocations(c, opts...)
		},
	}
	type step struct {
		token   string // "login", "next" (the last successor) or a literal
		advance time.Duration
		code    gqljwt.Code // "" for success
		message string
	}
	const (
		revoked = "Refresh token has been revoked"
		expired = "Refresh token has expired"
		invalid = "Invalid refresh token"
	)
	for _, tc := range []struct {
		name  string
		grace time.Duration
		steps []step
	}{
		{"rotate twice", 0, []step{{token: "login"}, {token: "next"}}},
		{"unknown", 0, []step{{token: "no-such-token", code: gqljwt.CodeTokenInvalid, message: invalid}}},
		{"within the grace", 0, []step{{token: "login"}, {token: "login", advance: time.Second}, {token: "next"}}},
		{"reuse ends the session", 0, []step{
			{token: "login"},
			{token: "login", advance: gqljwt.DefaultRefreshReuseGrace, code: gqljwt.CodeTokenRevoked, message: revoked},
			{token: "next", code: gqljwt.CodeTokenRevoked, message: revoked},
		}},
		{"reuse without a grace", -1, []step{
			{token: "login"},
			{token: "login", code: gqljwt.CodeTokenRevoked, message: revoked},
			{token: "next", code: gqljwt.CodeTokenRevoked, message: revoked},
		}},
		{"expired", 0, []step{
			{token: "login", advance: 2 * time.Hour, code: gqljwt.CodeTokenExpired, message: expired},
			{token: "login", code: gqljwt.CodeTokenExpired, message: expired},
		}},
		{"expired after a rotation", 0, []step{
			{token: "login"},
			{token: "next", advance: 2 * time.Hour, code: gqljwt.CodeTokenExpired, message: expired},
		}},
	} {
		for name, newStores := range backends {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				now := time.Now()
				clock := func() time.Time { return now }
				refresh, versions, revocations := newStores(t, clock)
				users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
				if err := users.Add(gqljwt.User{ID: "u1", Username: "alice", Active: true}, "alice-password"); err != nil {
					t.Fatal(err)
				}
				cfg := gqljwt.Config{Secret: secret, Users: users, Refresh: refresh, Revocations: revocations,
					RefreshTTL: time.Hour, RefreshReuseGrace: tc.grace, Now: clock}
				if versions != nil {
					cfg.Versions = versions
				}
				svc, err := gqljwt.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				sess, err := svc.Login(ctx, alice)
				if err != nil {
					t.Fatal(err)
				}
				tokens := map[string]string{"login": sess.RefreshToken, "next": sess.RefreshToken}
				for i, st := range tc.steps {
					now = now.Add(st.advance)
					tok, ok := tokens[st.token]
					if !ok {
						tok = st.token
					}
					got, err := svc.Refresh(ctx, tok, gqljwt.RefreshOptions{})
					if st.code == "" {
						if err != nil {
							t.Fatalf("step %d: Refresh(%s) = %v, want success", i, st.token, err)
						}
						if got.ID != sess.ID || got.RefreshToken == "" || got.Access.Value == "" {
							t.Fatalf("step %d: Refresh(%s) = %+v, want a new pair in session %s", i, st.token, got, sess.ID)
						}
						tokens["next"] = got.RefreshToken
						continue
					}
					var e *gqljwt.Error
					if !errors.As(err, &e) || e.Code != st.code || e.Message != st.message {
						t.Fatalf("step %d: Refresh(%s) = %v, %v; want %s %q", i, st.token, got, err, st.code, st.message)
					}
				}
			})
		}
	}
}

// TestRevokedHereWithCache: with client-side caching, a store sees its
// own revocation at once, before Redis's invalidation push has arrived:
// a logout is refused on its own instance by the next request.
func TestRevokedHereWithCache(t *testing.T) {
	s := redisstore.NewRevocations(startRedis(t).client(t), prefix(), slow, redisstore.CacheTTL(time.Minute))
	for i := range 200 {
		sid := fmt.Sprintf("sid:s%d", i)
		if revoked, err := s.IsRevoked(ctx, "jti", sid); revoked || err != nil {
			t.Fatalf("IsRevoked before any revocation = %v, %v", revoked, err)
		}
		if err := s.RevokeToken(ctx, sid, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if revoked, err := s.IsRevoked(ctx, "jti", sid); !revoked || err != nil {
			t.Fatalf("IsRevoked right after the store's own revocation = %v, %v; want true", revoked, err)
		}
	}
}

// TestRedisDown: without Redis, the Service answers AUTH_UNAVAILABLE
// within the timeout, and never lets a token or a refresh through.
func TestRedisDown(t *testing.T) {
	s, users, opts := setUp(t) // the default timeout
	a := instance(t, s, users, opts...)
	// The login may meet the short timeout on a loaded machine: only what
	// follows the outage is the test.
	var sess *gqljwt.Session
	var err error
	for range 5 {
		if sess, err = a.Login(ctx, alice); code(err) != gqljwt.CodeUnavailable {
			break
		}
	}
	if err != nil {
		t.Fatalf("login: %v: %v", err, errors.Unwrap(err))
	}
	s.stop()
	start := time.Now()
	_, err = a.Verify(ctx, sess.Access.Value)
	if took := time.Since(start); took >= time.Second {
		t.Errorf("Verify without Redis took %s, want < 1 s", took)
	} else {
		t.Logf("Verify without Redis: %s", took)
	}
	if code(err) != gqljwt.CodeUnavailable {
		t.Errorf("Verify without Redis = %v (%s), want AUTH_UNAVAILABLE", err, code(err))
	}
	start = time.Now()
	r, err := a.Refresh(ctx, sess.RefreshToken, gqljwt.RefreshOptions{})
	if took := time.Since(start); took >= time.Second {
		t.Errorf("Refresh without Redis took %s, want < 1 s", took)
	} else {
		t.Logf("Refresh without Redis: %s", took)
	}
	if r != nil || code(err) != gqljwt.CodeUnavailable {
		t.Errorf("Refresh without Redis = %v, %v (%s), want AUTH_UNAVAILABLE", r, err, code(err))
	}
	if _, err := a.Login(ctx, alice); code(err) != gqljwt.CodeUnavailable {
		t.Errorf("Login without Redis = %v (%s), want AUTH_UNAVAILABLE", err, code(err))
	}
}

// TestTimeout: a Redis that accepts connections and never answers (a
// stuck server) costs each operation its Timeout, then an error.
func TestTimeout(t *testing.T) {
	s := startRedis(t)
	c := s.client(t)
	if err := s.Signal(syscallStop); err != nil {
		t.Skipf("cannot pause redis-server: %v", err)
	}
	defer func() { _ = s.Signal(syscallCont) }()
	// With CacheTTL the bound is set only when a read leaves the cache
	// (lazyTimeout): a miss on a stuck Redis must still end at the
	// timeout.
	for name, opts := range map[string][]redisstore.Option{
		"uncached": nil,
		"cached":   {redisstore.CacheTTL(time.Minute)},
	} {
		t.Run(name, func(t *testing.T) {
			r := redisstore.NewRevocations(c, append(opts, prefix(), redisstore.Timeout(100*time.Millisecond))...)
			start := time.Now()
			revoked, err := r.IsRevoked(ctx, "jti-"+name, "sid:s-"+name)
			took := time.Since(start)
			if err == nil {
				t.Errorf("IsRevoked on a stuck Redis = %v, nil; want an error", revoked)
			}
			if took < 90*time.Millisecond || took > 600*time.Millisecond {
				t.Errorf("IsRevoked on a stuck Redis took %s, want about the 100 ms timeout", took)
			}
		})
	}
}

// TestSubjectIndexSheds: a subject's index of refresh families keeps only
// the families whose records are still kept, by the store's clock, so it
// does not grow with every login the user ever made.
func TestSubjectIndexSheds(t *testing.T) {
	c := startRedis(t).client(t)
	now := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	s := redisstore.NewRefreshTokens(c, redisstore.Prefix("shed:"), slow, redisstore.Clock(func() time.Time { return now }))
	login := func(hash, family string) {
		t.Helper()
		rec := gqljwt.RefreshRecord{Hash: hash, Family: family, Subject: "u1", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.Create(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	index := func() []string {
		t.Helper()
		got, err := c.Do(ctx, c.B().Zrange().Key("shed:{s:u1}").Min("0").Max("-1").Build()).AsStrSlice()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		return got
	}
	login("a1", "fa")
	login("b1", "fb")
	if got := index(); !slices.Equal(got, []string{"fa", "fb"}) {
		t.Fatalf("index = %v, want [fa fb]", got)
	}
	// fa's record is kept a day past its hour; fb is rotated into a
	// successor that lives two days.
	next := gqljwt.RefreshRecord{Hash: "b2", IssuedAt: now, ExpiresAt: now.Add(48 * time.Hour)}
	if err := s.Rotate(ctx, "b1", next, now, 0); err != nil {
		t.Fatal(err)
	}
	now = now.Add(25*time.Hour + time.Second)
	login("c1", "fc")
	if got := index(); !slices.Equal(got, []string{"fb", "fc"}) {
		t.Errorf("index after fa's records expired = %v, want [fb fc]", got)
	}
	if err := s.RevokeSubject(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"b2", "c1"} {
		if rec, err := s.Get(ctx, h); err != nil || !rec.Revoked {
			t.Errorf("Get(%s) after RevokeSubject = %+v, %v; want revoked", h, rec, err)
		}
	}
}

// TestIdentitiesAnyID: a provider's account IDs are the provider's to
// choose; braces, dots and NULs come back as they went in and keep apart.
func TestIdentitiesAnyID(t *testing.T) {
	s := redisstore.NewIdentities(startRedis(t).client(t), prefix(), slow)
	ids := []gqljwt.LinkedIdentity{
		{Provider: "A.B", ID: "}x{"},
		{Provider: "A", ID: "B.}x{"},
		{Provider: "A", ID: "\x00{tag}"},
	}
	for _, id := range ids {
		if err := s.Link(ctx, "u{1}", id); err != nil {
			t.Fatalf("Link(%q): %v", id, err)
		}
		if owner, err := s.UserFor(ctx, id); owner != "u{1}" || err != nil {
			t.Errorf("UserFor(%q) = %q, %v; want u{1}", id, owner, err)
		}
	}
	got, err := s.Identities(ctx, "u{1}")
	want := []gqljwt.LinkedIdentity{ids[2], ids[1], ids[0]}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Identities = %q, %v; want %q", got, err, want)
	}
}
