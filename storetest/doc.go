// Package storetest checks that a backend keeps the gqljwt store contracts
// the Service's security rests on: atomic rotation with exactly one
// winner, reuse detection and its grace, revocation of families and
// subjects, lifetimes judged by the store's clock, atomic token-version
// bumps and counts, single-use OAuth2 states. Run it from the backend's
// own tests:
//
//	func TestConformance(t *testing.T) {
//		newStore := func(t *testing.T, clock func() time.Time) gqljwt.RefreshStore {
//			return mybackend.NewRefreshStore(client, mybackend.Clock(clock))
//		}
//		storetest.RefreshStore(t, newStore)
//		storetest.RefreshService(t, newStore)
//	}
//
// RefreshService runs a real gqljwt.Service over the store: what a store
// may leave to the Service (a rotated record dropped after its grace,
// whose reuse the Service recognises by the token's tag) is checked end
// to end there.
//
// Each check builds a fresh store with the factory it is given, which must
// make the store keep time by clock: the suite moves that clock instead
// of sleeping, and starts it years before the wall clock, so a store that
// reads the wall clock instead drops what it must keep and fails. The
// factory may call t.Cleanup to release what it made. A shared backend
// must give each store its own key space (a prefix per call), or checks
// would see each other's records.
package storetest

import (
	"sync"
	"time"
)

// start is where every check's clock starts: long before any wall clock
// the suite will run under, so that a record living an hour from it has
// long expired by the wall clock.
var start = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: start} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// goroutines is how many concurrent calls the atomicity checks make.
const goroutines = 100

// parallel runs f(i) for i in [0, n) at once and waits for all of them.
func parallel(n int, f func(i int)) {
	var ready, done sync.WaitGroup
	ready.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Wait()
			f(i)
		}()
	}
	ready.Done()
	done.Wait()
}
