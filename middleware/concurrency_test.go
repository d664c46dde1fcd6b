package middleware_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/middleware"
)

// TestConcurrentRequests runs many clients at once against one server and
// one Service (run it with -race): shared tokens, per-client tokens, tokens
// revoked mid-way by their own client and a shared token revoked mid-way by
// another goroutine. Every answer is checked exactly:
//   - a token never revoked is always 200 with its own subject;
//   - a client that revokes its own token gets 200 before and 401
//     TOKEN_REVOKED after, exactly at the switch;
//   - clients of the shared revoked token see 200s, then only 401s (never
//     200 again once refused), and 401 after the revocation is known done.
func TestConcurrentRequests(t *testing.T) {
	auth := newService(t, gqljwt.Config{})
	srv := newServer(t, newRouter(t, middleware.Strict(auth)))
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}

	const (
		rounds     = 12
		revokeAt   = 6
		sharedKeep = 6  // clients of the shared, never revoked token
		sharedGone = 6  // clients of the shared token revoked by someone else
		own        = 16 // clients with their own token; the odd ones revoke it
	)
	keep := issue(t, auth, "shared-keep")
	gone := issue(t, auth, "shared-gone")

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	meOK := func(sub string) string { return `{"data":{"me":"` + sub + `"}}` }
	revokedBody := bodyReason("TOKEN_REVOKED")
	query := func(tok string) reply {
		return do(t, client, srv.URL, request{path: "/graphql", query: "{ me }", header: bearer(tok)})
	}
	revoke := func(tok string) {
		id, err := auth.Verify(context.Background(), tok)
		if err != nil {
			fail("Verify before revoking: %v", err)
			return
		}
		if err := auth.RevokeAccessToken(context.Background(), id); err != nil {
			fail("RevokeAccessToken: %v", err)
		}
	}

	for i := 0; i < sharedKeep; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				if got := query(keep); got.status != 200 || got.body != meOK("shared-keep") {
					fail("shared-keep client %d round %d: %d %q", i, r, got.status, got.body)
				}
			}
		}()
	}

	goneStarted := make(chan struct{}, sharedGone)
	goneRevoked := make(chan struct{})
	for i := 0; i < sharedGone; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			refused := false
			for r := 0; r < rounds; r++ {
				got := query(gone)
				switch {
				case got.status == 200 && got.body == meOK("shared-gone") && !refused:
				case got.status == 401 && got.body == revokedBody:
					refused = true
				default:
					fail("shared-gone client %d round %d (refused before: %v): %d %q", i, r, refused, got.status, got.body)
				}
				if r == 0 {
					goneStarted <- struct{}{}
				}
			}
			<-goneRevoked
			if got := query(gone); got.status != 401 || got.body != revokedBody {
				fail("shared-gone client %d after revocation: %d %q", i, got.status, got.body)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < sharedGone; i++ {
			<-goneStarted // every client was served at least once
		}
		revoke(gone)
		close(goneRevoked)
	}()

	for i := 0; i < own; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sub := fmt.Sprintf("own-%02d", i)
			tok := issue(t, auth, sub)
			revokes := i%2 == 1
			for r := 0; r < rounds; r++ {
				if revokes && r == revokeAt {
					revoke(tok)
				}
				got := query(tok)
				wantStatus, wantBody := 200, meOK(sub)
				if revokes && r >= revokeAt {
					wantStatus, wantBody = 401, revokedBody
				}
				if got.status != wantStatus || got.body != wantBody {
					fail("%s round %d: %d %q, want %d %q", sub, r, got.status, got.body, wantStatus, wantBody)
				}
			}
		}()
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	// Afterwards: the revoked shared token stays refused, the other is fine.
	checkReply(t, "shared-gone at the end", query(gone), 401, revokedBody, nil)
	checkReply(t, "shared-keep at the end", query(keep), 200, meOK("shared-keep"), nil)
}
