package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/redis/rueidis"
)

// States is a gqljwt.StateStore in Redis: {st:<state>}, set with PX and
// taken with GETDEL, so that exactly one taker gets a state.
type States struct {
	c rueidis.Client
	o options
}

// NewStates returns a StateStore on c. It reads the Prefix and Timeout
// options.
func NewStates(c rueidis.Client, opts ...Option) *States {
	return &States{c: c, o: newOptions(opts)}
}

var _ gqljwt.StateStore = (*States)(nil)

func (s *States) key(state string) string { return s.o.prefix + "{st:" + state + "}" }

// PutState implements gqljwt.StateStore. A ttl under a millisecond keeps
// the state a millisecond: PX refuses zero.
func (s *States) PutState(ctx context.Context, state string, data []byte, ttl time.Duration) error {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	px := max(ttl.Milliseconds(), 1)
	cmd := s.c.B().Set().Key(s.key(state)).Value(rueidis.BinaryString(data)).PxMilliseconds(px).Build()
	if err := s.c.Do(ctx, cmd).Error(); err != nil {
		return fmt.Errorf("redisstore: put OAuth2 state: %w", err)
	}
	return nil
}

// TakeState implements gqljwt.StateStore.
func (s *States) TakeState(ctx context.Context, state string) ([]byte, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	data, err := s.c.Do(ctx, s.c.B().Getdel().Key(s.key(state)).Build()).AsBytes()
	switch {
	case rueidis.IsRedisNil(err):
		return nil, gqljwt.ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("redisstore: take OAuth2 state: %w", err)
	}
	return data, nil
}
