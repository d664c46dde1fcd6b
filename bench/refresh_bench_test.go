package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
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
// refresh token's hash, re-check the user, rotate atomically in
// memstore and sign a new access token. Target: ≥ 50k rotations/s,
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
// tokens for five seconds. The million expire, by the store's clock, as
// the window opens; the store sweeps them within it (SweepInterval of
// 4 s, at most 64 sessions dropped a write), under its lock.
//
// It reports two things apart. The stall a store sweep causes: the
// longest housekeeping step, timed inside the store (RefreshStats.MaxStep;
// target ≤ 10 ms). And what a whole request sees, whatever the cause:
// each operation's p50, p99 and max, beside the window's GC pauses
// (/sched/pauses/total/gc:seconds), the time goroutines waited to run
// (/sched/latencies:seconds), both as bucket bounds of runtime/metrics
// histograms, the GC's CPU and assists, and each rotation's on-CPU time
// (the thread's clock, Linux), which leaves out the time its thread
// waited for a CPU, a step's wall time does not. Before the window it logs
// the heap the collector must scan (/gc/scan/heap:bytes) with the store
// alone and with the token cache too.
//
//	go test -run '^$' -bench RefreshSweepLatency -benchtime 1x -v
func BenchmarkRefreshSweepLatency(b *testing.B) {
	n := cbScale(1_000_000)
	ctx := context.Background()
	window := 5 * time.Second
	if os.Getenv("CI") == "true" {
		window = time.Second
	}
	// REFRESH_SWEEP_CONTROL=1 is the control run: the same heap, but the
	// first million live on, so the window sweeps nothing; what stalls
	// there is not the sweep.
	control := os.Getenv("REFRESH_SWEEP_CONTROL") == "1"
	for b.Loop() {
		// The store's clock runs with the wall clock, plus an offset the
		// setup moves an hour and a minute on once everything is stored:
		// the dead expire an hour after the setup starts, so that none is
		// swept before the window, and all are expired when it opens.
		var offset atomic.Int64
		clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		s := memstore.NewRefreshTokens(memstore.SweepInterval(window*4/5), memstore.Clock(clock))
		start := clock()
		for i := range 2 * n {
			rec := rbRecord(rbHash(i, 0), clock())
			if i < n && !control {
				rec.ExpiresAt = start.Add(time.Hour)
			}
			rec.Family, rec.Subject = rbFamily(i), rbSubject(i)
			if err := s.Create(ctx, rec); err != nil {
				b.Fatal(err)
			}
		}
		storeScan := gcScan()
		svc := cbService(b, n)
		for i := range n {
			if _, err := svc.Verify(ctx, cbForge(i)); err != nil {
				b.Fatal(err)
			}
		}
		withCache := gcScan()
		b.Logf("GC-scannable heap: store alone %d MB in %d objects; with %d cached tokens %d MB in %d objects",
			storeScan.scan>>20, storeScan.objects, n, withCache.scan>>20, withCache.objects)
		b.ReportMetric(float64(storeScan.scan)/(1<<20), "store-scan-MB")
		b.ReportMetric(float64(withCache.scan)/(1<<20), "scan-MB")
		offset.Store(int64(time.Hour + time.Minute))
		before := heapInUse()
		st0 := s.Stats() // resets MaxStep: the window's worst step only
		m0 := readRBMetrics()
		lat := make([][]time.Duration, 4) // rotate, verify, per goroutine
		cpu := make([][]time.Duration, 2) // rotate's on-CPU time, per goroutine
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Locked to its thread, so that the thread's CPU clock is
				// this goroutine's: a rotation's CPU time is its own work
				// (and any GC assist it is made to do), not the time it
				// waited for a CPU.
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				r := rand.New(rand.NewPCG(uint64(g), 7))
				gens := map[int]int{}
				for deadline := time.Now().Add(window); time.Now().Before(deadline); {
					i := n + 2*r.IntN(n/2) + g // a live session of this goroutine's
					now := clock()
					next := rbHash(i, gens[i]+1)
					c0, _ := threadCPU()
					t0 := time.Now()
					err := s.Rotate(ctx, rbHash(i, gens[i]), rbRecord(next, now), now, 30*time.Second)
					lat[2*g] = append(lat[2*g], time.Since(t0))
					if c1, ok := threadCPU(); ok {
						cpu[g] = append(cpu[g], c1-c0)
					}
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
		m1 := readRBMetrics()
		st := s.Stats()
		for k, name := range []string{"rotate", "verify"} {
			all := append(append([]time.Duration{}, lat[k]...), lat[k+2]...)
			slices.Sort(all)
			p := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))].Microseconds()) }
			b.ReportMetric(p(0.5), name+"-p50-µs")
			b.ReportMetric(p(0.99), name+"-p99-µs")
			b.ReportMetric(p(1), name+"-max-µs")
			b.Logf("%s: %d ops, p50 %.0f µs, p99 %.0f µs, max %.0f µs", name, len(all), p(0.5), p(0.99), p(1))
		}
		if all := append(append([]time.Duration{}, cpu[0]...), cpu[1]...); len(all) > 0 {
			slices.Sort(all)
			p := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))].Microseconds()) }
			b.ReportMetric(p(1), "rotate-cpu-max-µs")
			b.Logf("rotate on-CPU time (thread clock, 1 µs resolution at best): p50 %.0f µs, p99 %.0f µs, max %.0f µs", p(0.5), p(0.99), p(1))
		}
		b.ReportMetric(float64(st.MaxStep.Microseconds()), "sweep-step-max-µs")
		b.Logf("store housekeeping in the window: %d steps, %d sessions dropped (%d left), %.1f ms in all (mean %.0f µs), longest step %d µs",
			st.Steps-st0.Steps, st.Dropped-st0.Dropped, st.Sessions, (st.StepTime-st0.StepTime).Seconds()*1e3,
			float64((st.StepTime-st0.StepTime).Microseconds())/float64(max(st.Steps-st0.Steps, 1)), st.MaxStep.Microseconds())
		pauses, sched := m1.pauses.minus(m0.pauses), m1.sched.minus(m0.sched)
		b.ReportMetric(pauses.max()*1e3, "gc-pause-max-ms")
		b.ReportMetric(sched.max()*1e3, "sched-wait-max-ms")
		b.Logf("GC in the window: %d cycles, %d pauses (p99 ≤ %.2f ms, max ≤ %.2f ms), GC CPU %.2f s of which assists %.2f s",
			m1.cycles-m0.cycles, pauses.total(), pauses.quantile(0.99)*1e3, pauses.max()*1e3,
			m1.gcCPU-m0.gcCPU, m1.assist-m0.assist)
		b.Logf("run-queue wait in the window: %d goroutine starts, p99 ≤ %.2f ms, max ≤ %.2f ms",
			sched.total(), sched.quantile(0.99)*1e3, sched.max()*1e3)
		after := heapInUse()
		b.ReportMetric(float64(int64(before)-int64(after))/(1<<20), "swept-MB")
		b.Logf("heap %d MB before the window, %d MB after: the sweep gave back %d MB", before>>20, after>>20, (int64(before)-int64(after))>>20)
		runtime.KeepAlive(s)
		runtime.KeepAlive(svc)
	}
}

// rbScan is what the collector must scan of the heap, after a collection.
type rbScan struct{ scan, objects uint64 }

func gcScan() rbScan {
	runtime.GC()
	m := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}, {Name: "/gc/heap/objects:objects"}}
	metrics.Read(m)
	return rbScan{m[0].Value.Uint64(), m[1].Value.Uint64()}
}

// rbHist is a runtime/metrics histogram's counts, with its bucket bounds.
type rbHist struct {
	counts  []uint64
	buckets []float64
}

func (h rbHist) minus(o rbHist) rbHist {
	d := rbHist{counts: slices.Clone(h.counts), buckets: h.buckets}
	for i := range d.counts {
		d.counts[i] -= o.counts[i]
	}
	return d
}

func (h rbHist) total() uint64 {
	var t uint64
	for _, c := range h.counts {
		t += c
	}
	return t
}

// quantile is the upper bound of the bucket holding the q-quantile: the
// histograms' buckets are what the runtime gives, so a value is known
// only to within its bucket.
func (h rbHist) quantile(q float64) float64 {
	t := h.total()
	if t == 0 {
		return 0
	}
	var seen uint64
	for i, c := range h.counts {
		if seen += c; float64(seen) >= q*float64(t) {
			return h.buckets[i+1]
		}
	}
	return h.buckets[len(h.buckets)-1]
}

func (h rbHist) max() float64 {
	for i := len(h.counts) - 1; i >= 0; i-- {
		if h.counts[i] > 0 {
			return h.buckets[i+1]
		}
	}
	return 0
}

type rbMetrics struct {
	pauses, sched rbHist
	cycles        uint64
	gcCPU, assist float64
}

func readRBMetrics() rbMetrics {
	m := []metrics.Sample{
		{Name: "/sched/pauses/total/gc:seconds"}, {Name: "/sched/latencies:seconds"},
		{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/cpu/classes/gc/total:cpu-seconds"},
		{Name: "/cpu/classes/gc/mark/assist:cpu-seconds"},
	}
	metrics.Read(m)
	hist := func(v metrics.Value) rbHist {
		h := v.Float64Histogram()
		return rbHist{counts: slices.Clone(h.Counts), buckets: slices.Clone(h.Buckets)}
	}
	return rbMetrics{pauses: hist(m[0].Value), sched: hist(m[1].Value), cycles: m[2].Value.Uint64(),
		gcCPU: m[3].Value.Float64(), assist: m[4].Value.Float64()}
}
