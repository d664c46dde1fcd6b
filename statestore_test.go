package gqljwt_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

func TestMemoryStates(t *testing.T) {
	ctx := context.Background()
	for name, s := range map[string]gqljwt.StateStore{"constructor": gqljwt.NewMemoryStates(), "zero value": &gqljwt.MemoryStates{}} {
		if err := s.PutState(ctx, "st", []byte("data"), time.Minute); err != nil {
			t.Fatal(err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				data, err := s.TakeState(ctx, "st")
				switch {
				case err == nil && string(data) == "data":
					wins.Add(1)
				case !errors.Is(err, gqljwt.ErrNotFound):
					t.Errorf("%s: %v", name, err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%s: %d takers got the state, want exactly 1", name, wins.Load())
		}
		if _, err := s.TakeState(ctx, "unknown"); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Errorf("%s: unknown state: %v", name, err)
		}
		if err := s.PutState(ctx, "short", []byte("x"), time.Nanosecond); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakeState(ctx, "short"); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Errorf("%s: expired state: %v", name, err)
		}
	}
}
