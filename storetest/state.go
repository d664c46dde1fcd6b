package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

// StateStore checks a gqljwt.StateStore against its contract: what is put
// comes back once, to exactly one of concurrent takers, and an unknown
// state is ErrNotFound. (Expiry is the store's own, by the wall clock, and
// is not checked here: it would need a sleep.) newStore returns an empty
// store.
func StateStore(t *testing.T, newStore func(t *testing.T) gqljwt.StateStore) {
	ctx := context.Background()
	t.Run("TakeOnce", func(t *testing.T) {
		s := newStore(t)
		data := []byte("binding+verifier")
		if err := s.PutState(ctx, "st-1", data, time.Minute); err != nil {
			t.Fatal(err)
		}
		data[0] = 'X' // the store keeps its own copy
		got, err := s.TakeState(ctx, "st-1")
		if err != nil || !bytes.Equal(got, []byte("binding+verifier")) {
			t.Fatalf("TakeState = %q, %v", got, err)
		}
		if _, err := s.TakeState(ctx, "st-1"); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Errorf("a second take: %v, want ErrNotFound", err)
		}
		if _, err := s.TakeState(ctx, "never-put"); !errors.Is(err, gqljwt.ErrNotFound) {
			t.Errorf("an unknown state: %v, want ErrNotFound", err)
		}
	})
	t.Run("ConcurrentTakes", func(t *testing.T) {
		s := newStore(t)
		if err := s.PutState(ctx, "st-2", []byte("d"), time.Minute); err != nil {
			t.Fatal(err)
		}
		errs := make([]error, goroutines)
		parallel(goroutines, func(i int) { _, errs[i] = s.TakeState(ctx, "st-2") })
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, gqljwt.ErrNotFound):
				t.Fatalf("taker %d: %v", i, err)
			}
		}
		if wins != 1 {
			t.Errorf("%d takers got the state, want exactly 1", wins)
		}
	})
}
