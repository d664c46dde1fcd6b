package redisstore

import (
	"context"
	"errors"
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
// by Redis's clock. It is also a gqljwt.AttemptBatcher, which the login
// throttle then uses instead: each step of an attempt is one script over
// the attempt's keys, {t:<id>} (see Admit and Finish).
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

// attemptLua is what the two steps of a login attempt share: a key of
// the attempt, {t:<id>}, is one hash of its four counts, each a count
// (<c>n) and its deadline (<c>e, unix µs): b the checks under way, f the
// failures, l the lock, v the lockout level. ARGV[1] is now (µs), ARGV[2]
// the checks' lifetime (µs), ARGV[3] Redis's slack (ms).
const attemptLua = `
local now, busy, slack = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local function str(x) return string.format('%.0f', x) end
local function get(k, c)
  local v = redis.call('HMGET', k, c .. 'n', c .. 'e')
  if v[2] and tonumber(v[2]) > now then return tonumber(v[1]), tonumber(v[2]) end
  return 0, 0
end
local function put(k, c, n, life)
  redis.call('HSET', k, c .. 'n', str(n), c .. 'e', str(now + life))
  return n
end
local function add(k, c, d, life) return put(k, c, get(k, c) + d, life) end
local function del(k, c) redis.call('HDEL', k, c .. 'n', c .. 'e') end
-- keep lets Redis reclaim k slack after its last count's deadline.
local function keep(k)
  local last = 0
  for _, c in ipairs({'b', 'f', 'l', 'v'}) do
    local _, e = get(k, c)
    if e > last then last = e end
  end
  if last == 0 then redis.call('DEL', k)
  else redis.call('PEXPIRE', k, math.floor((last - now) / 1000) + slack) end
end
`

// admitScript is AttemptBatcher.Admit over KEYS. ARGV[3+i]: key i's
// limit. It returns 1 when it took a place on every key, or 0 and each
// key's failures, checks under way and lock deadline (0: none).
var admitScript = rueidis.NewLuaScript(attemptLua + `
local st, room = {0}, 1
for i, k in ipairs(KEYS) do
  local f, b = get(k, 'f'), get(k, 'b')
  local l, le = get(k, 'l')
  if l > 0 or f + b >= tonumber(ARGV[3 + i]) then room = 0 end
  st[3 * i - 1], st[3 * i], st[3 * i + 1] = f, b, l > 0 and le or 0
end
if room == 0 then return st end
for _, k in ipairs(KEYS) do add(k, 'b', 1, busy); keep(k) end
return {1}
`)

// finishScript is AttemptBatcher.Finish over KEYS. ARGV[4]: the outcome
// (s, f or a); ARGV[5], ARGV[6]: the lifetime of failures and the first
// lockout (µs); ARGV[7]: failures already taken from the client's keys
// (those in another slot, on Cluster); ARGV[6+2i], ARGV[7+2i]: key i's
// limit and 1 for a client key. It returns the most failures a client
// key held and the length of each lockout begun (µs, 0: none).
var finishScript = rueidis.NewLuaScript(attemptLua + `
local outcome, remember, window = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local own = tonumber(ARGV[7])
local res = {0}
for i, k in ipairs(KEYS) do res[i + 1] = 0 end
if outcome == 's' then
  for i, k in ipairs(KEYS) do
    if ARGV[7 + 2 * i] == '1' then
      local f = get(k, 'f')
      if f > own then own = f end
      del(k, 'f'); del(k, 'v')
    end
  end
  if own > 0 then
    for i, k in ipairs(KEYS) do
      if ARGV[7 + 2 * i] ~= '1' then
        local f = get(k, 'f')
        put(k, 'f', f - math.min(own, f), remember)
      end
    end
  end
elseif outcome == 'f' then
  for i, k in ipairs(KEYS) do
    if add(k, 'f', 1, remember) >= tonumber(ARGV[6 + 2 * i]) and get(k, 'l') == 0 then
      local level = add(k, 'v', 1, remember)
      local d = window
      for _ = 2, level do
        if d >= remember then break end
        d = d * 2
      end
      d = math.min(d, remember)
      put(k, 'v', level, d + remember)
      put(k, 'l', 1, d)
      del(k, 'f')
      res[i + 1] = d
    end
  end
end
res[1] = own
for _, k in ipairs(KEYS) do add(k, 'b', -1, busy); keep(k) end
return res
`)

var _ gqljwt.AttemptBatcher = (*AttemptCounter)(nil)

func (s *AttemptCounter) attemptKey(id string) string { return s.o.prefix + "{t:" + id + "}" }

// slotted reports whether the keys of one attempt may live in different
// slots, where one script cannot take them all: on Redis Cluster each key
// of an attempt gets its own script, sent together (one round trip to
// each node, in parallel).
func (s *AttemptCounter) slotted(keys []gqljwt.AttemptKey) bool {
	return len(keys) > 1 && s.c.Mode() == rueidis.ClientModeCluster
}

func attemptHead(now time.Time, l gqljwt.AttemptLifetimes) []string {
	return []string{strconv.FormatInt(now.UnixMicro(), 10), strconv.FormatInt(l.Busy.Microseconds(), 10),
		strconv.FormatInt(counterSlack.Milliseconds(), 10)}
}

// Admit implements gqljwt.AttemptBatcher: one EVALSHA on a single node;
// on Cluster one per key, in one round trip, and when some key had no
// room a second round trip gives back the places taken on the others.
func (s *AttemptCounter) Admit(ctx context.Context, keys []gqljwt.AttemptKey, now time.Time, l gqljwt.AttemptLifetimes) (bool, []gqljwt.AttemptState, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	exec := func(ks []gqljwt.AttemptKey) rueidis.LuaExec {
		e := rueidis.LuaExec{Args: attemptHead(now, l)}
		for _, k := range ks {
			e.Keys = append(e.Keys, s.attemptKey(k.ID))
			e.Args = append(e.Args, strconv.FormatInt(k.Limit, 10))
		}
		return e
	}
	var groups [][]gqljwt.AttemptKey
	if s.slotted(keys) {
		for i := range keys {
			groups = append(groups, keys[i:i+1])
		}
	} else {
		groups = [][]gqljwt.AttemptKey{keys}
	}
	execs := make([]rueidis.LuaExec, len(groups))
	for i, g := range groups {
		execs[i] = exec(g)
	}
	var (
		states   []gqljwt.AttemptState
		admitted = true
		taken    []gqljwt.AttemptKey
		failed   error
	)
	for i, r := range admitScript.ExecMulti(ctx, s.c, execs...) {
		v, err := r.AsIntSlice()
		if err == nil && (len(v) == 0 || v[0] == 0 && len(v) != 1+3*len(groups[i])) {
			err = fmt.Errorf("reply of %d values", len(v))
		}
		if err != nil {
			failed = err
			continue
		}
		if v[0] == 1 {
			taken = append(taken, groups[i]...)
			states = append(states, make([]gqljwt.AttemptState, len(groups[i]))...)
			continue
		}
		admitted = false
		for j := range groups[i] {
			st := gqljwt.AttemptState{Failures: v[1+3*j], Busy: v[2+3*j]}
			if e := v[3+3*j]; e > 0 {
				st.LockedUntil = time.UnixMicro(e)
			}
			states = append(states, st)
		}
	}
	if failed == nil && admitted {
		return true, nil, nil
	}
	if len(taken) > 0 {
		if _, err := s.finish(ctx, taken, gqljwt.AttemptAbandoned, now, l); err != nil && failed == nil {
			failed = err
		}
	}
	if failed != nil {
		return false, nil, fmt.Errorf("redisstore: admit attempt: %w", failed)
	}
	return false, states, nil
}

// Finish implements gqljwt.AttemptBatcher: one EVALSHA on a single node;
// on Cluster one per key, in one round trip, and for a success a first
// one before for the client's keys, whose failures the others lose.
func (s *AttemptCounter) Finish(ctx context.Context, keys []gqljwt.AttemptKey, o gqljwt.AttemptOutcome, now time.Time, l gqljwt.AttemptLifetimes) ([]time.Duration, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	return s.finish(ctx, keys, o, now, l)
}

func (s *AttemptCounter) finish(ctx context.Context, keys []gqljwt.AttemptKey, o gqljwt.AttemptOutcome, now time.Time, l gqljwt.AttemptLifetimes) ([]time.Duration, error) {
	outcome := map[gqljwt.AttemptOutcome]string{gqljwt.AttemptSucceeded: "s", gqljwt.AttemptFailed: "f"}[o]
	if outcome == "" {
		outcome = "a"
	}
	locks := make([]time.Duration, len(keys))
	// run sends one script per group of key indexes and returns the most
	// failures a client key held.
	run := func(groups [][]int, own int64) (int64, error) {
		execs := make([]rueidis.LuaExec, len(groups))
		for i, g := range groups {
			e := rueidis.LuaExec{Args: append(attemptHead(now, l), outcome,
				strconv.FormatInt(l.Remember.Microseconds(), 10), strconv.FormatInt(l.Window.Microseconds(), 10),
				strconv.FormatInt(own, 10))}
			for _, j := range g {
				client := "0"
				if keys[j].Client {
					client = "1"
				}
				e.Keys = append(e.Keys, s.attemptKey(keys[j].ID))
				e.Args = append(e.Args, strconv.FormatInt(keys[j].Limit, 10), client)
			}
			execs[i] = e
		}
		var errs []error
		for i, r := range finishScript.ExecMulti(ctx, s.c, execs...) {
			v, err := r.AsIntSlice()
			if err == nil && len(v) != 1+len(groups[i]) {
				err = fmt.Errorf("reply of %d values", len(v))
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			own = max(own, v[0])
			for n, j := range groups[i] {
				locks[j] = time.Duration(v[1+n]) * time.Microsecond
			}
		}
		return own, errors.Join(errs...)
	}
	var err error
	switch {
	case !s.slotted(keys):
		all := make([]int, len(keys))
		for i := range all {
			all[i] = i
		}
		_, err = run([][]int{all}, 0)
	case o == gqljwt.AttemptSucceeded:
		var clients, others [][]int
		for i, k := range keys {
			if k.Client {
				clients = append(clients, []int{i})
			} else {
				others = append(others, []int{i})
			}
		}
		// The shared keys lose the failures the client's held, read
		// first; when that read failed they lose none, but still get
		// their places back.
		own, err1 := run(clients, 0)
		if err1 != nil {
			own = 0
		}
		_, err2 := run(others, own)
		err = errors.Join(err1, err2)
	default:
		groups := make([][]int, len(keys))
		for i := range keys {
			groups[i] = []int{i}
		}
		_, err = run(groups, 0)
	}
	if err != nil {
		return locks, fmt.Errorf("redisstore: finish attempt: %w", err)
	}
	return locks, nil
}
