package main

import (
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

var soak = flag.Duration("soak", 0, "run TestSoak for this long (loopback traffic, then goroutine and heap checks)")

// TestSoak runs the demo under mixed traffic (logins, refreshes, guarded
// queries, hostile documents) on loopback for -soak, then drops it and
// checks that its goroutines have stopped and the heap is back at its
// baseline: nothing the server did is left behind. Off by default:
//
//	go test ./examples/server -run TestSoak -v -args -soak 30s
func TestSoak(t *testing.T) {
	if *soak <= 0 {
		t.Skip("soak test: enable with -soak DURATION")
	}
	baseGoroutines, baseHeap := settle()
	func() {
		a, err := newApp(options{secret: testSecret, bcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.router)
		defer srv.Close()
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
		defer client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), *soak)
		defer cancel()
		bodies := []string{
			`{"query":"mutation { tokenAuth(username: \"bob\", password: \"bob-password\") { token refreshToken } }"}`,
			`{"query":"mutation { tokenAuth(username: \"bob\", password: \"wrong\") { token } }"}`,
			`{"query":"{ posts { title } drafts { title } }"}`,
			`{"query":"query { ...A } fragment A on Query { ...A }"}`,
			`[{"query":"{ posts { title } }"},{"query":"{ me { username } }"}]`,
		}
		for _, h := range hostileRequests() {
			bodies = append(bodies, h.body)
		}
		var sent atomic.Int64
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; ctx.Err() == nil; i++ {
					req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/graphql", strings.NewReader(bodies[i%len(bodies)]))
					req.Header.Set("Content-Type", "application/json")
					req.RemoteAddr = "127.0.0.1:1"
					resp, err := client.Do(req)
					if err != nil {
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					sent.Add(1)
				}
			}()
		}
		wg.Wait()
		t.Logf("%v: %d requests", *soak, sent.Load())
	}()
	goroutines, heap := settle()
	t.Logf("goroutines %d -> %d, heap %d KiB -> %d KiB", baseGoroutines, goroutines, baseHeap>>10, heap>>10)
	if goroutines > baseGoroutines+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines left behind:\n%s", goroutines-baseGoroutines, buf[:runtime.Stack(buf, true)])
	}
	if heap > baseHeap+4<<20 {
		t.Errorf("heap %d KiB after, %d KiB before", heap>>10, baseHeap>>10)
	}
}

// settle lets finalizers stop the caches' janitors and returns the number
// of goroutines and the live heap once they stop moving.
func settle() (int, uint64) {
	var m runtime.MemStats
	for range 10 {
		runtime.GC()
		time.Sleep(50 * time.Millisecond)
	}
	runtime.ReadMemStats(&m)
	return runtime.NumGoroutine(), m.HeapAlloc
}
