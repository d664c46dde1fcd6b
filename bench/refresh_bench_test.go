package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// rbHash is the Hash of session i's token after gen rotations, made on
// demand so that the benchmark holds none of them.
func rbHash(i, gen int) string { return "h" + strconv.Itoa(i) + "." + strconv.Itoa(gen) }

// rbFamily is session i's family ID, 22 characters as gqljwt's are.
func rbFamily(i int) string { return fmt.Sprintf("fam-%018d", i) }

// rbClock is a store clock the benchmark moves.
type rbClock struct{ now atomic.Int64 }

func (c *rbClock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *rbClock) Advance(d time.Duration) { c.now.Add(int64(d)) }
func newRBClock(t time.Time) *rbClock      { c := &rbClock{}; c.now.Store(t.UnixNano()); return c }
func rbSubject(i int) string               { return "user-" + strconv.Itoa(i/4) } // four sessions a user
func rbRecord(hash string, now time.Time) gqljwt.RefreshRecord {
	return gqljwt.RefreshRecord{Hash: hash, IssuedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour)}
}

// BenchmarkRefreshSessionMemory: the heap memstore holds per live session
// after M rotations of each of N sessions (100 000, or REFRESH_SESSIONS),
// every 15 minutes (past the 30 s grace). Target: ≤ 300 B/session whatever
// M.
//
//	go test -run '^$' -bench RefreshSessionMemory -benchtime 1x
func BenchmarkRefreshSessionMemory(b *testing.B) {
	n, rounds := cbScale(100_000), []int{0, 1, 10, 100}
	if v, err := strconv.Atoi(os.Getenv("REFRESH_SESSIONS")); err == nil && v > 0 {
		n = v // REFRESH_SESSIONS=1000000 for a million
	}
	if os.Getenv("CI") == "true" {
		rounds = rounds[:3]
	}
	for _, m := range rounds {
		b.Run(fmt.Sprintf("rotations=%d", m), func(b *testing.B) {
			var perSession float64
			for b.Loop() {
				clock := newRBClock(cbNow)
				before := heapInUse()
				s := memstore.NewRefreshTokens(memstore.Clock(clock.Now))
				ctx := context.Background()
				for i := range n {
					rec := rbRecord(rbHash(i, 0), clock.Now())
					rec.Family, rec.Subject, rec.TokenVersion = rbFamily(i), rbSubject(i), 1
					if err := s.Create(ctx, rec); err != nil {
						b.Fatal(err)
					}
				}
				for gen := 1; gen <= m; gen++ {
					for i := range n {
						// Rotations spread over the 15 minutes, as the
						// store's sweep sees them.
						clock.Advance(15 * time.Minute / time.Duration(n))
						if err := s.Rotate(ctx, rbHash(i, gen-1), rbRecord(rbHash(i, gen), clock.Now()), clock.Now(), 30*time.Second); err != nil {
							b.Fatal(err)
						}
					}
				}
				perSession = float64(heapInUse()-before) / float64(n)
				// Past the grace the token just rotated is forgotten: the
				// Service, knowing it by its tag, takes it for reuse
				// (storetest.RefreshService checks that end to end).
				clock.Advance(time.Minute)
				if m > 0 {
					if err := s.Rotate(ctx, rbHash(0, m-1), rbRecord("x", clock.Now()), clock.Now(), 30*time.Second); !errors.Is(err, gqljwt.ErrNotFound) {
						b.Fatalf("the rotated token past its grace: %v, want it forgotten", err)
					}
				}
				runtime.KeepAlive(s)
			}
			b.ReportMetric(perSession, "B/session")
		})
	}
}

// BenchmarkRefreshSweepLatency: 1M live sessions in memstore, 1M more
// expired for its sweep to drop, and 1M tokens in the verified-token
// cache; then two goroutines rotate refresh tokens and verify cached
// tokens for five seconds. The store runs on the wall clock, as go-cache
// reclaims by it, and sweeps all its shards within the window
// (SweepInterval of 4 s, a shard every 4 ms, at the next write), so that
// the window sees every expired session dropped, under the store's lock.
// Reports each operation's latency, p50, p99 and max, and the heap the
// sweep gave back. Target: no request over 10 ms on a sweep.
//
//	go test -run '^$' -bench RefreshSweepLatency -benchtime 1x
func BenchmarkRefreshSweepLatency(b *testing.B) {
	n := cbScale(1_000_000)
	ctx := context.Background()
	window := 5 * time.Second
	if os.Getenv("CI") == "true" {
		window = time.Second
	}
	// REFRESH_SWEEP_CONTROL=1 is the control run: the same heap, but the
	// first million live an hour, so the window sweeps nothing; what stalls
	// there is not the sweep (the garbage collector's assists, the VM).
	// CI, which runs every benchmark once to see that it runs, takes the
	// control run too: the real one waits out go-cache's minute of
	// reclaim slack first.
	control := os.Getenv("REFRESH_SWEEP_CONTROL") == "1" || os.Getenv("CI") == "true"
	for b.Loop() {
		s := memstore.NewRefreshTokens(memstore.SweepInterval(window * 4 / 5))
		// The dead first: expired a second after they are stored, and
		// kept by go-cache a minute longer (its reclaim slack), which the
		// setup below waits out.
		var lastDead time.Time
		for i := range 2 * n {
			now := time.Now()
			rec := rbRecord(rbHash(i, 0), now)
			if i < n && !control {
				rec.ExpiresAt = now.Add(time.Second)
			}
			rec.Family, rec.Subject = rbFamily(i), rbSubject(i)
			if err := s.Create(ctx, rec); err != nil {
				b.Fatal(err)
			}
			if i == n-1 {
				lastDead = now
			}
		}
		// Expired a second after, reclaimable a minute after that.
		deadline := lastDead.Add(time.Second + time.Minute + time.Second)
		var reads atomic.Int64
		svc := cbService(b, n, &reads)
		for i := range n {
			if _, err := svc.Verify(ctx, cbForge(i)); err != nil {
				b.Fatal(err)
			}
		}
		if !control {
			time.Sleep(time.Until(deadline))
		}
		before := heapInUse()
		lat := make([][]time.Duration, 4) // rotate, verify, per goroutine
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(g), 7))
				gens := map[int]int{}
				for deadline := time.Now().Add(window); time.Now().Before(deadline); {
					i := n + 2*r.IntN(n/2) + g // a live session of this goroutine's
					now := time.Now()
					next := rbHash(i, gens[i]+1)
					t0 := time.Now()
					err := s.Rotate(ctx, rbHash(i, gens[i]), rbRecord(next, now), now, 30*time.Second)
					lat[2*g] = append(lat[2*g], time.Since(t0))
					if err != nil {
						panic(err)
					}
					gens[i]++
					tok := cbForge(r.IntN(n))
					t0 = time.Now()
					if _, err := svc.Verify(ctx, tok); err != nil {
						panic(err)
					}
					lat[2*g+1] = append(lat[2*g+1], time.Since(t0))
				}
			}()
		}
		wg.Wait()
		for k, name := range []string{"rotate", "verify"} {
			all := append(append([]time.Duration{}, lat[k]...), lat[k+2]...)
			slices.Sort(all)
			p := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))].Microseconds()) }
			b.ReportMetric(p(0.5), name+"-p50-µs")
			b.ReportMetric(p(0.99), name+"-p99-µs")
			b.ReportMetric(p(1), name+"-max-µs")
			b.Logf("%s: %d ops, p50 %.0f µs, p99 %.0f µs, max %.0f µs", name, len(all), p(0.5), p(0.99), p(1))
		}
		after := heapInUse()
		b.ReportMetric(float64(int64(before)-int64(after))/(1<<20), "swept-MB")
		b.Logf("heap %d MB before the window, %d MB after: the sweep gave back %d MB", before>>20, after>>20, (int64(before)-int64(after))>>20)
		runtime.KeepAlive(s)
		runtime.KeepAlive(svc)
	}
}
