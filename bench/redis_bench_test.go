package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
	"golang.org/x/crypto/bcrypt"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/internal/redistest"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/middleware"
	"github.com/gqljwt/gqljwt/redisstore"
)

// The Redis benchmarks run on a redis-server of their own, on a loopback
// port (internal/redistest; skipped loudly without the binary). Each
// compares backends or clients in sub-benchmarks, so that with -count the
// rows interleave in one run:
//
//	go test -run '^$' -bench 'Redis' -benchmem -count 6

var rbSecret = []byte("bench-redis-secret-0123456789abcdef-0123")

// rbRedis starts the benchmark's redis-server and returns a rueidis
// client of it, which relays its invalidations to the returned Tracking.
func rbRedis(b *testing.B) (*redistest.Server, rueidis.Client, *redisstore.Tracking) {
	b.Helper()
	s := redistest.Start(b)
	tr := redisstore.NewTracking(0)
	c, err := tr.NewClient(rueidis.ClientOption{InitAddress: []string{s.Addr}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return s, c, tr
}

// rbServer is the benchmarks' redis-server and the round trips its
// counted client made.
type rbServer struct {
	*redistest.Server
	trips atomic.Int64
}

// rbCounted is a rueidis client counting its round trips: each Do or
// DoMulti (one pipeline) not answered from the client-side cache.
type rbCounted struct {
	rueidis.Client
	n *atomic.Int64
}

func (c rbCounted) Do(ctx context.Context, cmd rueidis.Completed) rueidis.RedisResult {
	c.n.Add(1)
	return c.Client.Do(ctx, cmd)
}

func (c rbCounted) DoMulti(ctx context.Context, cmds ...rueidis.Completed) []rueidis.RedisResult {
	c.n.Add(1)
	return c.Client.DoMulti(ctx, cmds...)
}

func (c rbCounted) DoCache(ctx context.Context, cmd rueidis.Cacheable, ttl time.Duration) rueidis.RedisResult {
	r := c.Client.DoCache(ctx, cmd, ttl)
	if !r.IsCacheHit() {
		c.n.Add(1)
	}
	return r
}

func (c rbCounted) DoMultiCache(ctx context.Context, multi ...rueidis.CacheableTTL) []rueidis.RedisResult {
	rs := c.Client.DoMultiCache(ctx, multi...)
	for _, r := range rs {
		if !r.IsCacheHit() {
			c.n.Add(1) // at most one pipeline: counted once
			break
		}
	}
	return rs
}

// rbBackend is one set of stores for a Service.
type rbBackend struct {
	name     string
	versions gqljwt.VersionStore
	revoked  gqljwt.RevocationStore
	refresh  gqljwt.RefreshStore
	counter  gqljwt.AttemptCounter
}

// rbBackends are the two backends compared: everything in process
// (memstore and the core's in-memory stores) and everything in Redis,
// revocation checks cached as the README recommends (CacheTTL, with the
// Tracking's front cache).
func rbBackends(b *testing.B, c rueidis.Client, tr *redisstore.Tracking, users *memstore.Users) []rbBackend {
	b.Helper()
	prefix := redisstore.Prefix(fmt.Sprintf("bench%d:", time.Now().UnixNano()))
	opts := []redisstore.Option{prefix, redisstore.CacheTTL(time.Second), redisstore.Front(tr)}
	// The user is added through a store of its own, as long before: the
	// Service's store would read Redis for CacheTTL after its own write.
	if _, err := redisstore.NewVersions(c, prefix).Add(context.Background(), "1"); err != nil {
		b.Fatal(err)
	}
	versions := redisstore.NewVersions(c, opts...)
	return []rbBackend{
		{"memstore", users, gqljwt.NewMemoryRevocations(), memstore.NewRefreshTokens(), gqljwt.NewMemoryAttemptCounter()},
		{"redis", versions, redisstore.NewRevocations(c, opts...), redisstore.NewRefreshTokens(c, opts...), redisstore.NewAttemptCounter(c, opts...)},
	}
}

// rbEach starts a Redis and runs bench once per backend, as the
// sub-benchmark label=<backend>.
func rbEach(b *testing.B, label string, bench func(b *testing.B, s *rbServer, users *memstore.Users, be rbBackend)) {
	raw, rc, tr := rbRedis(b)
	s := &rbServer{Server: raw}
	c := rbCounted{Client: rc, n: &s.trips}
	users := rbUsers(b)
	for _, be := range rbBackends(b, c, tr, users) {
		b.Run(label+"="+be.name, func(b *testing.B) { bench(b, s, users, be) })
	}
}

func rbUsers(b *testing.B) *memstore.Users {
	b.Helper()
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "1", Username: "alice", Roles: []string{"ADMIN"}, Active: true}, "pw"); err != nil {
		b.Fatal(err)
	}
	return users
}

func rbService(b *testing.B, users *memstore.Users, be rbBackend, throttle bool, set ...func(*gqljwt.Config)) *gqljwt.Service {
	b.Helper()
	cfg := gqljwt.Config{Secret: rbSecret, Users: users, Versions: be.versions, Revocations: be.revoked, Refresh: be.refresh}
	if throttle {
		cfg.LoginThrottle = gqljwt.NewLoginThrottleWithCounter(be.counter, 0)
	}
	for _, f := range set {
		f(&cfg)
	}
	s, err := gqljwt.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkRedisWarmToken: a token seen before through the whole
// middleware.Verifier (extract, verified-token cache, revocation check,
// token version, context), on each backend. With CacheTTL and Front the
// Redis revocation check is answered from the Tracking's front cache and
// the version from the Service's version cache: no round trip, no call
// into rueidis. Target: redis ≤ 2 × memstore.
func BenchmarkRedisWarmToken(b *testing.B) {
	rbEach(b, "backend", func(b *testing.B, _ *rbServer, users *memstore.Users, be rbBackend) {
		svc := rbService(b, users, be, false)
		u, _ := users.UserByID(context.Background(), "1")
		tok, err := svc.IssueAccessToken(context.Background(), u)
		if err != nil {
			b.Fatal(err)
		}
		h := middleware.Verifier(svc)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if id, err := gqljwt.FromContext(r.Context()); id == nil {
				b.Fatalf("no identity: %v", err)
			}
		}))
		req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		req.Header.Set("Authorization", "Bearer "+tok.Value)
		w := vbWriter{h: http.Header{}}
		h.ServeHTTP(w, req) // seen, and cached
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	})
}

// rbClients is how many clients the concurrent benchmarks run at once.
const rbClients = 16

// parallel16 runs RunParallel with rbClients goroutines whatever
// GOMAXPROCS is.
func parallel16(b *testing.B, body func(*testing.PB)) {
	b.SetParallelism(max(1, rbClients/runtime.GOMAXPROCS(0)))
	b.RunParallel(body)
}

// BenchmarkRedisRefreshRotation: 16 concurrent clients, each refreshing
// its own session through the Service (find the token, re-check the
// user, rotate atomically, sign a new access token), on each backend.
// Target: redis ≥ 10 000 rotations/s on one local node.
func BenchmarkRedisRefreshRotation(b *testing.B) {
	rbEach(b, "backend", func(b *testing.B, s *rbServer, users *memstore.Users, be rbBackend) {
		svc := rbService(b, users, be, false)
		u, _ := users.UserByID(context.Background(), "1")
		rbRoundTrips(b, s, func() {
			parallel16(b, func(pb *testing.PB) {
				ctx := context.Background()
				sess, err := svc.StartSession(ctx, u)
				if err != nil {
					b.Error(err)
					return
				}
				token := sess.RefreshToken
				for pb.Next() {
					next, err := svc.Refresh(ctx, token, gqljwt.RefreshOptions{})
					if err != nil {
						b.Errorf("%v: %v", err, errors.Unwrap(err))
						return
					}
					token = next.RefreshToken
				}
			})
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rotations/s")
	})
}

// rbScripts counts the scripts redis-server ran (EVALSHA and EVAL in
// INFO commandstats, which a script cannot call), a count on the
// server's side of what rbCounted counts on the client's. The other
// top-level commands cannot be told apart there from those the scripts
// run, which commandstats counts too.
func rbScripts(b *testing.B, addr string) int {
	b.Helper()
	info, err := redistest.Do(addr, "INFO commandstats")
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for line := range strings.SplitSeq(info, "\r\n") {
		name, rest, ok := strings.Cut(line, ":calls=")
		switch strings.TrimPrefix(name, "cmdstat_") {
		case "evalsha", "eval":
		default:
			continue
		}
		calls, _, _ := strings.Cut(rest, ",")
		v, err := strconv.Atoi(calls)
		if !ok || err != nil {
			b.Fatalf("commandstats line %q", line)
		}
		n += v
	}
	return n
}

// rbServerCPU is the CPU time redis-server has used (INFO cpu: user and
// system, its main thread and its I/O together), in µs: what each op
// costs on the server's side of the shared CPUs.
func rbServerCPU(b *testing.B, addr string) float64 {
	b.Helper()
	info, err := redistest.Do(addr, "INFO cpu")
	if err != nil {
		b.Fatal(err)
	}
	total := 0.0
	for line := range strings.SplitSeq(info, "\r\n") {
		name, v, _ := strings.Cut(line, ":")
		if name != "used_cpu_sys" && name != "used_cpu_user" {
			continue
		}
		s, err := strconv.ParseFloat(v, 64)
		if err != nil {
			b.Fatalf("INFO cpu line %q", line)
		}
		total += s * 1e6
	}
	return total
}

// rbRoundTrips measures the round trips, scripts and redis-server CPU of
// each op of f.
func rbRoundTrips(b *testing.B, s *rbServer, f func()) {
	b.Helper()
	trips, scripts, cpu := s.trips.Load(), rbScripts(b, s.Addr), rbServerCPU(b, s.Addr)
	b.ReportAllocs()
	b.ResetTimer()
	f()
	b.StopTimer()
	b.ReportMetric(float64(s.trips.Load()-trips)/float64(b.N), "round-trips/op")
	b.ReportMetric(float64(rbScripts(b, s.Addr)-scripts)/float64(b.N), "scripts/op")
	b.ReportMetric((rbServerCPU(b, s.Addr)-cpu)/float64(b.N), "server-µs/op")
}

// BenchmarkRedisLoginThrottle: a login (bcrypt at its lowest cost)
// through the Service with the login throttle's counter on each backend,
// every other store in process. outcome=ok a right password;
// outcome=fail a wrong one (with limits no run reaches: each is checked
// and counted); outcome=locked an unknown name locked out before the
// timer starts: what the check alone costs (target: ≤ 1 round trip).
// Its Redis's traffic is the throttle's alone.
func BenchmarkRedisLoginThrottle(b *testing.B) {
	rbEach(b, "counter", func(b *testing.B, s *rbServer, users *memstore.Users, be rbBackend) {
		local := rbBackend{versions: users, revoked: gqljwt.NewMemoryRevocations(), refresh: memstore.NewRefreshTokens(), counter: be.counter}
		for _, outcome := range []struct {
			name, user, password string
			want                 error
		}{
			{"ok", "alice", "pw", nil},
			{"fail", "alice", "wrong", gqljwt.ErrInvalidCredentials},
			{"locked", "mallory", "pw", gqljwt.ErrTooManyAttempts},
		} {
			b.Run("outcome="+outcome.name, func(b *testing.B) {
				svc := rbService(b, users, local, true, func(c *gqljwt.Config) {
					if outcome.name == "fail" {
						c.MaxLoginFailures, c.MaxAccountFailures = 1<<30, 1<<30
					}
				})
				ctx := context.Background()
				creds := gqljwt.Credentials{Username: outcome.user, Password: outcome.password}
				for range gqljwt.DefaultMaxLoginFailures {
					_, _ = svc.Login(ctx, gqljwt.Credentials{Username: "mallory", Password: "guess"})
				}
				rbRoundTrips(b, s, func() {
					for b.Loop() {
						if _, err := svc.Login(ctx, creds); !errors.Is(err, outcome.want) {
							b.Fatal(err)
						}
					}
				})
			})
		}
	})
}

// rbRotateScript has the shape of redisstore's rotation script (read a
// record and its family, decide, write the successor, extend lifetimes)
// on keys of one slot, for the client comparison: the same script text
// through both clients.
const rbRotateScript = `
local r = redis.call('HMGET', KEYS[2], 'sub', 'ver', 'rot')
if not r[1] then return 'notfound' end
if redis.call('HGET', KEYS[1], 'rev') == '1' then return 'revoked' end
redis.call('HSET', KEYS[2], 'rot', '1', 'ras', ARGV[1])
redis.call('HSET', KEYS[3], 'iat', ARGV[1], 'exp', ARGV[2], 'sub', r[1], 'ver', r[2])
redis.call('PEXPIRE', KEYS[3], 60000)
redis.call('HDEL', KEYS[2], 'rot')
return 'ok'
`

// BenchmarkRedisClient: rueidis against go-redis v9 for the operations
// redisstore makes, 16 concurrent clients on one local node: the
// rotation-shaped script (EVALSHA), a GET, and the per-request
// revocation read (a GET that rueidis serves from its client-side
// cache; go-redis has no such cache and goes to Redis).
func BenchmarkRedisClient(b *testing.B) {
	s, rc, _ := rbRedis(b)
	gc := goredis.NewClient(&goredis.Options{Addr: s.Addr, PoolSize: rbClients})
	b.Cleanup(func() { _ = gc.Close() })
	ctx := context.Background()
	keys := []string{"{f:x}", "{f:x}r:old", "{f:x}r:next"}
	if err := gc.HSet(ctx, keys[0], "rev", "0").Err(); err != nil {
		b.Fatal(err)
	}
	if err := gc.HSet(ctx, keys[1], "sub", "1", "ver", "0").Err(); err != nil {
		b.Fatal(err)
	}
	if err := gc.Set(ctx, "{r:jti}", "0", 0).Err(); err != nil {
		b.Fatal(err)
	}
	rScript := rueidis.NewLuaScript(rbRotateScript)
	gScript := goredis.NewScript(rbRotateScript)
	args := []string{"1700000000", "1700003600"}
	var fails atomic.Int64
	check := func(b *testing.B) {
		if n := fails.Swap(0); n > 0 {
			b.Fatalf("%d operations failed", n)
		}
	}
	ops := []struct {
		name             string
		rueidis, goredis func() error
	}{
		{"op=rotate-script",
			func() error { return rScript.Exec(ctx, rc, keys, args).Error() },
			func() error { return gScript.Run(ctx, gc, keys, args[0], args[1]).Err() }},
		{"op=get",
			func() error { return rc.Do(ctx, rc.B().Get().Key("{r:jti}").Build()).Error() },
			func() error { return gc.Get(ctx, "{r:jti}").Err() }},
		{"op=revocation-read",
			func() error { return rc.DoCache(ctx, rc.B().Get().Key("{r:jti}").Cache(), time.Second).Error() },
			func() error { return gc.Get(ctx, "{r:jti}").Err() }},
	}
	for _, op := range ops {
		for _, cl := range []struct {
			name string
			do   func() error
		}{{"rueidis", op.rueidis}, {"go-redis", op.goredis}} {
			b.Run(op.name+"/client="+cl.name, func(b *testing.B) {
				b.ReportAllocs()
				parallel16(b, func(pb *testing.PB) {
					for pb.Next() {
						if err := cl.do(); err != nil {
							fails.Add(1)
						}
					}
				})
				check(b)
			})
		}
	}
}
