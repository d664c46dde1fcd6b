package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/jwtauth/v5"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/handler"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/gqljwt/gqljwt/middleware"
)

// End to end over loopback HTTP: the same GraphQL schema (hello, public;
// me, the caller's subject, refused without one) served by chi with three
// verifiers in front, each in a server process of its own on one core
// (GOMAXPROCS=1), loaded by this process:
//
//	go test -run '^$' -bench HTTPEndToEnd -benchtime 1x
//
// gqljwt is middleware.Verifier with directives.Guard on me's resolver
// (not directives.Apply over the schema, whose own cost on unguarded
// fields is not the verifier's); jwtauth is
// jwtauth.Verifier with me reading jwtauth.FromContext; golang-jwt is
// vbGolangJWTVerifier with me reading its claims. Three loads: one token
// seen before ("warm"), a token never sent before in every request
// ("fresh", from the pool of pre-issued tokens), no token ({ hello },
// "anonymous"). Rounds interleave every server and load; each run is
// e2eRequests requests from e2eClients connections. Reported per server
// and load: requests per second and the server's CPU time per request
// (all its threads, from /proc), min/median/max over the rounds, and the
// ratios the targets name.

const (
	e2eServerEnv = "GQLJWT_BENCH_SERVER"
	// e2eProfileEnv, when set to a directory, makes every server write
	// there its CPU profile (<server>.pprof), its live heap at the end
	// (<server>.heap.pprof) and its GC trace (<server>.gctrace), to
	// compare where the time of a load goes; e2eLoadsEnv, a
	// comma-separated list of load names, runs only those loads.
	e2eProfileEnv = "GQLJWT_BENCH_PROFILE"
	e2eLoadsEnv   = "GQLJWT_BENCH_LOADS"
	e2eCPUEnv     = "GQLJWT_BENCH_SERVER_CPU"
	e2eClients    = 4
)

// TestE2EServer is the server process of BenchmarkHTTPEndToEnd: it runs
// only when the benchmark starts it, with the verifier to serve in
// GQLJWT_BENCH_SERVER, prints its address and serves until stdin closes.
func TestE2EServer(t *testing.T) {
	kind := os.Getenv(e2eServerEnv)
	if kind == "" {
		t.Skip("started by BenchmarkHTTPEndToEnd only")
	}
	if cpu, err := strconv.Atoi(os.Getenv(e2eCPUEnv)); err == nil {
		pinServer(cpu)
	}
	h := e2eHandler(t, kind)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv(e2eProfileEnv); dir != "" {
		f, err := os.Create(filepath.Join(dir, kind+".pprof"))
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
			runtime.GC() // the heap profile then shows what is live at the end
			if hf, err := os.Create(filepath.Join(dir, kind+".heap.pprof")); err == nil {
				_ = pprof.Lookup("heap").WriteTo(hf, 0)
				_ = hf.Close()
			}
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			fmt.Fprintf(os.Stderr, "%s server: %d GCs, GC CPU %.1f%%, heap in use %d KiB, goroutines %d\n",
				kind, m.NumGC, 100*m.GCCPUFraction, m.HeapInuse>>10, runtime.NumGoroutine())
		}()
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Println(ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = srv.Close()
}

// e2eHandler is the server kind serves: the schema of e2eServe behind
// that verifier.
func e2eHandler(t testing.TB, kind string) http.Handler {
	switch kind {
	case "gqljwt":
		guard := func(me graphql.FieldResolveFn) graphql.FieldResolveFn {
			return directives.Guard(directives.Authenticated(), me)
		}
		return e2eServe(t, middleware.Verifier(vbService(t, 0)), guard, func(ctx context.Context) (string, bool) {
			if id, err := gqljwt.FromContext(ctx); err == nil {
				return id.Subject, true
			}
			return "", false
		})
	case "jwtauth":
		return e2eServe(t, jwtauth.Verifier(vbJWTAuth()), nil, func(ctx context.Context) (string, bool) {
			_, claims, err := jwtauth.FromContext(ctx)
			sub, _ := claims["sub"].(string)
			return sub, err == nil && sub != ""
		})
	case "golang-jwt":
		return e2eServe(t, vbGolangJWTVerifier, nil, func(ctx context.Context) (string, bool) {
			if c, _ := ctx.Value(vbClaimsKey{}).(*vbClaims); c != nil {
				return c.Subject, true
			}
			return "", false
		})
	}
	t.Fatalf("unknown server %q", kind)
	return nil
}

// e2eServe is the schema every server serves, behind verifier: me answers
// the subject that subject finds, or an error without one; guard, when
// not nil, wraps me's resolver (gqljwt's directives guard).
func e2eServe(t testing.TB, verifier func(http.Handler) http.Handler, guard func(graphql.FieldResolveFn) graphql.FieldResolveFn, subject func(context.Context) (string, bool)) http.Handler {
	me := func(p graphql.ResolveParams) (any, error) {
		sub, ok := subject(p.Context)
		if !ok {
			return nil, fmt.Errorf("unauthenticated")
		}
		return sub, nil
	}
	if guard != nil {
		me = guard(me)
	}
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{
		Name: "Query",
		Fields: graphql.Fields{
			"hello": &graphql.Field{Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return "world", nil }},
			"me":    &graphql.Field{Type: graphql.String, Resolve: me},
		},
	})})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(verifier)
	r.Handle("/graphql", handler.New(&handler.Config{Schema: &schema}))
	return r
}

// e2eServer is a running server process.
type e2eServer struct {
	name  string
	url   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func startE2EServer(b *testing.B, name string, cpu int) *e2eServer {
	cmd := exec.Command(os.Args[0], "-test.run", "^TestE2EServer$", "-test.v=false")
	cmd.Env = append(os.Environ(), e2eServerEnv+"="+name, "GOMAXPROCS=1", e2eCPUEnv+"="+strconv.Itoa(cpu))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if dir := os.Getenv(e2eProfileEnv); dir != "" {
		// The server's GC trace, one line per cycle, goes to a file of
		// its own: which of them spends what on marking.
		f, err := os.Create(filepath.Join(dir, name+".gctrace"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close() // the child holds its own descriptor
		cmd.Stderr = f
		cmd.Env = append(cmd.Env, "GODEBUG=gctrace=1")
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("%s server: %v", name, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return &e2eServer{name: name, url: "http://" + strings.TrimSpace(addr) + "/graphql", cmd: cmd, stdin: stdin}
}

func (s *e2eServer) stop() { _ = s.stdin.Close(); _ = s.cmd.Wait() }

// cpu is the CPU time the server's threads have used.
func (s *e2eServer) cpu(b *testing.B) time.Duration {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", s.cmd.Process.Pid))
	if err != nil || len(tasks) == 0 {
		b.Skipf("no /proc schedstat: %v", err)
	}
	var ns int64
	for _, t := range tasks {
		raw, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that just ended
		}
		v, _ := strconv.ParseInt(strings.Fields(string(raw))[0], 10, 64)
		ns += v
	}
	return time.Duration(ns)
}

// e2eLoad is one load: the Authorization value of request i (nil: none)
// and the body.
type e2eLoad struct {
	name   string
	body   string
	bearer func(i int) string
}

// run sends n requests of load from e2eClients connections and returns
// the wall time and the server's CPU time.
func (s *e2eServer) run(b *testing.B, client *http.Client, load e2eLoad, n int) (wall, cpu time.Duration) {
	var next sync.Mutex
	sent := 0
	var failed error
	cpu0, t0 := s.cpu(b), time.Now()
	var wg sync.WaitGroup
	for range e2eClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				i := sent
				sent++
				next.Unlock()
				if i >= n {
					return
				}
				req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(load.body))
				req.Header.Set("Content-Type", "application/json")
				if load.bearer != nil {
					req.Header.Set("Authorization", load.bearer(i))
				}
				resp, err := client.Do(req)
				if err == nil {
					var body []byte
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && (resp.StatusCode != http.StatusOK || strings.Contains(string(body), "errors")) {
						err = fmt.Errorf("%s %s: %d %s", s.name, load.name, resp.StatusCode, body)
					}
				}
				if err != nil {
					next.Lock()
					failed = err
					next.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	wall, cpu = time.Since(t0), s.cpu(b)-cpu0
	if failed != nil {
		b.Fatal(failed)
	}
	return wall, cpu
}

func BenchmarkHTTPEndToEnd(b *testing.B) {
	tokens, _ := vbTokens(b)
	rounds, requests := 9, 3000
	if os.Getenv("CI") == "true" {
		rounds, requests = 1, 200
	}
	if rounds*requests > len(tokens) {
		b.Fatal("the pool cannot give every fresh request a token of its own")
	}
	cpu, unpin := pinApart()
	defer unpin()
	if cpu >= 0 {
		b.Logf("servers on CPU %d, the load on the others", cpu)
	}
	names := []string{"gqljwt", "jwtauth", "golang-jwt"}
	var servers []*e2eServer
	for _, name := range names {
		servers = append(servers, startE2EServer(b, name, cpu))
	}
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: e2eClients}, Timeout: 10 * time.Second}
	// The fresh tokens of round r are tokens[r*requests:], the same ones
	// for every server, and no server sees one twice.
	round := 0
	loads := []e2eLoad{
		{"warm", `{"query":"{ me }"}`, func(int) string { return "Bearer " + tokens[0] }},
		{"fresh", `{"query":"{ me }"}`, func(i int) string { return "Bearer " + tokens[round*requests+i] }},
		{"anonymous", `{"query":"{ hello }"}`, nil},
	}
	warmUp := []e2eLoad{loads[0], loads[2]}
	if only := os.Getenv(e2eLoadsEnv); only != "" {
		loads = slices.DeleteFunc(loads, func(l e2eLoad) bool { return !slices.Contains(strings.Split(only, ","), l.name) })
	}
	type key struct{ server, load string }
	// rps and cpuPer hold every run; the paired ratios, gqljwt's run
	// against the other server's run of the same load in the same round
	// (back to back), cancel the drift that moves whole rounds.
	rps, cpuPer := map[key][]float64{}, map[key][]float64{}
	pairedRPS, pairedCPU := map[key][]float64{}, map[key][]float64{}
	for b.Loop() {
		for _, s := range servers { // warm-up: the warm token is seen, connections open
			for _, load := range warmUp {
				s.run(b, client, load, 50)
			}
		}
		for round = range rounds {
			for _, load := range loads {
				this := map[string][2]float64{}
				for k := range servers {
					s := servers[(k+round)%len(servers)] // each round starts with another server
					wall, cpu := s.run(b, client, load, requests)
					id := key{s.name, load.name}
					r, c := float64(requests)/wall.Seconds(), float64(cpu.Microseconds())/float64(requests)
					rps[id] = append(rps[id], r)
					cpuPer[id] = append(cpuPer[id], c)
					this[s.name] = [2]float64{r, c}
				}
				for _, other := range names[1:] {
					id := key{other, load.name}
					pairedRPS[id] = append(pairedRPS[id], this["gqljwt"][0]/this[other][0])
					pairedCPU[id] = append(pairedCPU[id], this["gqljwt"][1]/this[other][1])
				}
			}
		}
	}
	med := func(v []float64) float64 {
		if len(v) == 0 {
			return math.NaN() // a load not run
		}
		v = slices.Clone(v)
		slices.Sort(v)
		return v[len(v)/2]
	}
	spread := func(v []float64) string {
		if len(v) == 0 {
			return "not run"
		}
		v = slices.Clone(v)
		slices.Sort(v)
		return fmt.Sprintf("%.2f× (%.2f–%.2f)", v[len(v)/2], v[0], v[len(v)-1])
	}
	for _, load := range loads {
		for _, name := range names {
			id := key{name, load.name}
			r, c := slices.Clone(rps[id]), slices.Clone(cpuPer[id])
			slices.Sort(r)
			slices.Sort(c)
			b.Logf("%-10s %-9s req/s min %6.0f median %6.0f max %6.0f | CPU µs/req min %5.1f median %5.1f max %5.1f",
				name, load.name, r[0], med(r), r[len(r)-1], c[0], med(c), c[len(c)-1])
			b.ReportMetric(med(r), name+"-"+load.name+"-req/s")
			b.ReportMetric(med(c), name+"-"+load.name+"-cpu-µs/req")
		}
	}
	target := map[key]string{
		{"jwtauth", "warm"}: "≥ 1.2×", {"golang-jwt", "fresh"}: "≥ 1.0×",
		{"jwtauth", "anonymous"}: "≥ 0.98×", {"golang-jwt", "anonymous"}: "≥ 0.98×",
	}
	for _, load := range loads {
		for _, other := range names[1:] {
			id := key{other, load.name}
			t := target[id]
			if t == "" {
				t = "no target"
			}
			b.Logf("%-9s gqljwt/%-10s throughput %s, CPU per request %s, paired within a round, median (min–max) of %d rounds; target %s",
				load.name, other, spread(pairedRPS[id]), spread(pairedCPU[id]), len(pairedRPS[id]), t)
		}
	}
}
