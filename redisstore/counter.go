package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/redis/rueidis"
)

// counterSlack keeps a count in Redis a little past its deadline, so that
// a caller's clock running slightly behind Redis's still finds it.
const counterSlack = time.Minute

// incrementScript adds to a count that is live at now, or starts one from
// zero, and moves its deadline; deadlines are unix microseconds, exact in
// Lua's doubles. KEYS: the count. ARGV: delta, now (µs), deadline (µs),
// lifetime in ms.
var incrementScript = rueidis.NewLuaScript(`
local e = redis.call('HGET', KEYS[1], 'e')
local n
if e and tonumber(e) > tonumber(ARGV[2]) then
  n = redis.call('HINCRBY', KEYS[1], 'n', ARGV[1])
else
  redis.call('HSET', KEYS[1], 'n', ARGV[1])
  n = tonumber(ARGV[1])
end
redis.call('HSET', KEYS[1], 'e', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return n
`)

// AttemptCounter is a gqljwt.AttemptCounter in Redis: {a:<key>}, a hash
// of the count (n) and its deadline (e), judged at the now of each call;
// Redis's own expiry only reclaims the key, a minute after the deadline
// by Redis's clock.
type AttemptCounter struct {
	c rueidis.Client
	o options
}

// NewAttemptCounter returns an AttemptCounter on c, for
// gqljwt.NewLoginThrottleWithCounter. It reads the Prefix and Timeout
// options.
func NewAttemptCounter(c rueidis.Client, opts ...Option) *AttemptCounter {
	return &AttemptCounter{c: c, o: newOptions(opts)}
}

var _ gqljwt.AttemptCounter = (*AttemptCounter)(nil)

func (s *AttemptCounter) key(k string) string { return s.o.prefix + "{a:" + k + "}" }

// Increment implements gqljwt.AttemptCounter.
func (s *AttemptCounter) Increment(ctx context.Context, key string, delta int64, now time.Time, ttl time.Duration) (int64, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	// Redis's lifetime is ttl from when the call reaches it, whatever now
	// says: now may be a test's clock, years off.
	px := max((ttl + counterSlack).Milliseconds(), 1)
	n, err := incrementScript.Exec(ctx, s.c, []string{s.key(key)}, []string{
		strconv.FormatInt(delta, 10), strconv.FormatInt(now.UnixMicro(), 10),
		strconv.FormatInt(micros(now.Add(ttl)), 10), strconv.FormatInt(px, 10),
	}).AsInt64()
	if err != nil {
		return 0, fmt.Errorf("redisstore: count attempt: %w", err)
	}
	return n, nil
}

// Get implements gqljwt.AttemptCounter.
func (s *AttemptCounter) Get(ctx context.Context, key string, now time.Time) (int64, time.Time, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	f, err := s.c.Do(ctx, s.c.B().Hmget().Key(s.key(key)).Field("n", "e").Build()).ToArray()
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("redisstore: read attempts: %w", err)
	}
	if len(f) != 2 || f[0].IsNil() || f[1].IsNil() {
		return 0, time.Time{}, nil
	}
	n, err := f[0].AsInt64()
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("redisstore: read attempts: %w", err)
	}
	e, err := f[1].AsInt64()
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("redisstore: read attempts: %w", err)
	}
	if now.UnixMicro() >= e {
		return 0, time.Time{}, nil
	}
	return n, time.UnixMicro(e), nil
}

// Reset implements gqljwt.AttemptCounter.
func (s *AttemptCounter) Reset(ctx context.Context, key string) error {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	if err := s.c.Do(ctx, s.c.B().Del().Key(s.key(key)).Build()).Error(); err != nil {
		return fmt.Errorf("redisstore: reset attempts: %w", err)
	}
	return nil
}
