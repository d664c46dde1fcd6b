package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

// BenchmarkHeldStateGC is what the state a server holds costs the garbage
// collector: each of the HTTPEndToEnd servers, in process, serves
// heldRequests "{ me }" requests with tokens never sent before (which
// fills gqljwt's verified-token and version caches as the fresh load
// does), then ns/op is one full collection with that state live, and
// fastest-gc-µs the fastest of them, steadier on a shared machine. Every
// request of a process pays its share of the cycles, an anonymous one
// too, so a cache that is dear to mark shows up in every load of the
// end-to-end run. Also reported: the heap objects and the scannable heap
// bytes the server added (runtime/metrics), which do not depend on the
// machine's load. The tokens are issued here and dropped before the timed
// collections; run it alone, as other benchmarks keep their token pool
// alive.
//
//	go test -run '^$' -bench HeldStateGC -benchtime 200x
func BenchmarkHeldStateGC(b *testing.B) {
	for _, kind := range []string{"gqljwt", "jwtauth", "golang-jwt"} {
		b.Run(kind, func(b *testing.B) { heldStateGC(b, kind) })
	}
}

// heldRequests is how many fresh tokens the server has seen: twice
// gqljwt's default verified-token cache, as many as HTTPEndToEnd's fresh
// rounds send.
const heldRequests = 20000

func heldStateGC(b *testing.B, kind string) {
	tokens := heldTokens(b)
	objects0, scan0 := heapCounts()
	h := e2eHandler(b, kind)
	for _, tok := range tokens {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ me }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "errors") {
			b.Fatalf("%s: %d %s", kind, w.Code, w.Body)
		}
	}
	objects, scan := heapCounts()
	runtime.KeepAlive(tokens) // live for both counts: the difference is the server's
	tokens = nil
	runtime.GC()
	fastest := time.Hour
	for b.Loop() {
		t0 := time.Now()
		runtime.GC()
		fastest = min(fastest, time.Since(t0))
	}
	b.ReportMetric(float64(fastest.Nanoseconds())/1e3, "fastest-gc-µs")
	b.ReportMetric(float64(objects-objects0), "held-objects")
	b.ReportMetric(float64(scan-scan0)/1024, "held-scan-KiB")
	runtime.KeepAlive(h)
}

// heldTokens issues heldRequests tokens as vbTokens does (user i's token
// i), for this benchmark alone.
func heldTokens(b *testing.B) []string {
	issuer, err := gqljwt.New(gqljwt.Config{Secret: vbSecret, AccessTTL: time.Hour,
		Issuer: vbIssuer, Audience: vbAudience, Versions: vbVersions{}})
	if err != nil {
		b.Fatal(err)
	}
	tokens := make([]string, heldRequests)
	for i := range tokens {
		id := fmt.Sprintf("user-%d", i)
		tok, err := issuer.IssueAccessToken(context.Background(), &gqljwt.User{ID: id, Username: id, Roles: []string{"reader", "editor"}})
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = tok.Value
	}
	return tokens
}

// heapCounts returns the live heap's objects and scannable bytes after a
// full collection.
func heapCounts() (objects, scan int64) {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/objects:objects"}, {Name: "/gc/scan/heap:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64()), int64(s[1].Value.Uint64())
}
