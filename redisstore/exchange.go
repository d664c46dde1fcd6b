package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/redis/rueidis"
)

// deadlineStep is what a rotation rounds its family's deadline up to, in
// the family's state and in its subject's index: a session that rotates
// every few minutes then moves both once an hour, not on every rotation
// (two writes and two lifetime checks of the family, four commands on the
// subject's index). The family and its index entry outlive its longest
// record by less than a step more; the records keep their own lifetimes.
const deadlineStep = time.Hour

// exchangeLua is RefreshExchanger.Exchange's decision and rotation on a
// record and its family: readRecord's reads, the Service's checks and
// rotationLua's judgement and writes in one pass, the record read once. It returns
// getScript's reply, the decision (ok, revoked, reused, expired,
// claimed) and the family's stored fields; false for a record unknown or
// past its retention. claim, if given, is the successor's hash index,
// written (NX) only once the rotation is decided.
//
// Times of the ns records are compared as whole seconds and the
// nanoseconds within them, exact where Lua's doubles are not.
// ARGV: rotationLua's, then the family's rounded deadline (unix
// µs), the store's now (unix µs), the retention's cut (s, ns: a record
// whose exp is not after it is gone), the family's lifetime in ms (to the
// rounded deadline).
const exchangeLua = extendLua + rotationLua + `
local function split(ns)
  return tonumber(string.sub(ns, 1, -10)) or 0, tonumber(string.sub(ns, -9))
end
local function earlier(s1, n1, s2, n2)
  s1, n1 = tonumber(s1), tonumber(n1)
  return s1 < s2 or (s1 == s2 and n1 < n2)
end
local function exchange(fk, rk, nk, claim, claimValue)
  local r = redis.call('HMGET', rk, 'iat', 'exp', 'sub', 'ver', 'rot', 'ras', 'ran')
  if not r[1] then return false end
  local es, en = split(r[2])
  if not earlier(ARGV[9], ARGV[10], es, en) then return false end
  for i = 1, 7 do if not r[i] then r[i] = '' end end
  local f = redis.call('HMGET', fk, 'rev', 'dl', 'sdl')
  if not f[1] or f[1] == '1' or not f[2] or tonumber(f[2]) <= tonumber(ARGV[8]) then
    r[8], r[9] = '1', 'revoked'
    return r, f
  end
  r[8] = '0'
  if r[5] == '1' and reused(fk, r[6], r[7]) then
    r[9] = 'reused'
    return r, f
  end
  if not earlier(ARGV[1], ARGV[2], es, en) then
    r[9] = 'expired'
    return r, f
  end
  if claim and not redis.call('SET', claim, claimValue, 'NX', 'PX', ARGV[6]) then
    r[9] = 'claimed'
    return r, f
  end
  succeed(rk, r[5] == '1', nk, r[3], r[4])
  if tonumber(f[2]) < tonumber(ARGV[7]) then
    redis.call('HSET', fk, 'dl', ARGV[7])
    extend(fk, ARGV[11])
  end
  r[9] = 'ok'
  return r, f
end
`

// exchangeScript is Exchange on Redis Cluster, in the family's slot: the
// successor's hash index and the subject's index are written before it.
// KEYS: family state, record, next record. ARGV: exchangeLua's.
var exchangeScript = rueidis.NewLuaScript(exchangeLua + `
local r = exchange(KEYS[1], KEYS[2], KEYS[3])
return r
`)

// exchangeIndexedScript is Exchange in one round trip, on a single node
// only: it finds the record's family from the hash's index, as
// findScript, writes the successor's hash index once the rotation is
// decided, and puts the family in its subject's index when the family's
// rounded deadline has moved past what the index was given (sdl in the
// family's state). It adds the family to getScript's reply. KEYS: the
// hash's index, the successor's. ARGV: exchangeLua's, then the prefix,
// the hash, the successor's hash.
var exchangeIndexedScript = rueidis.NewLuaScript(exchangeLua + `
local v = redis.call('GET', KEYS[1])
if not v then return false end
local cut = string.find(v, '\0', 1, true)
if not cut then return {v} end
local family = string.sub(v, 1, cut - 1)
local fk = ARGV[12] .. '{f:' .. family .. '}'
local r, f = exchange(fk, fk .. 'r:' .. ARGV[13], fk .. 'r:' .. ARGV[14], KEYS[2], v)
if not r then return false end
r[10] = family
if r[9] == 'ok' and (not f[3] or tonumber(f[3]) < tonumber(ARGV[7])) then
  local sk = ARGV[12] .. '{s:' .. string.sub(v, cut + 1) .. '}'
  redis.call('ZADD', sk, 'GT', ARGV[7], family)
  redis.call('ZREMRANGEBYSCORE', sk, '-inf', ARGV[8])
  extend(sk, ARGV[11])
  redis.call('HSET', fk, 'sdl', ARGV[7])
end
return r
`)

var _ gqljwt.RefreshExchanger = (*RefreshTokens)(nil)

// Exchange implements gqljwt.RefreshExchanger: one script, one round
// trip, on a single node; on Redis Cluster the lookup of the hash's
// family, the successor's two indexes, and the family's script (three).
func (s *RefreshTokens) Exchange(ctx context.Context, oldHash string, next gqljwt.RefreshRecord, now time.Time, grace time.Duration) (gqljwt.RefreshRecord, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	storeNow := s.o.now()
	life := s.o.lifetime(next.ExpiresAt.Add(refreshRetention))
	// The family's deadline, rounded up to a step of the store's clock.
	dl := micros(next.ExpiresAt.Add(refreshRetention))
	step := deadlineStep.Microseconds()
	dl = (dl + step - 1) / step * step
	cut := storeNow.Add(-refreshRetention)
	args := []string{
		strconv.FormatInt(now.Unix(), 10), strconv.Itoa(now.Nanosecond()), strconv.FormatInt(int64(grace), 10),
		nanos(next.IssuedAt), nanos(next.ExpiresAt), ms(life), ms(dl), ms(storeNow.UnixMicro()),
		strconv.FormatInt(cut.Unix(), 10), strconv.Itoa(cut.Nanosecond()), ms(s.o.lifetime(time.UnixMicro(dl))),
	}
	var (
		family string
		f      []string
		err    error
	)
	if s.single() {
		f, err = exchangeIndexedScript.Exec(ctx, s.c, []string{s.hashKey(oldHash), s.hashKey(next.Hash)},
			append(args, s.o.prefix, oldHash, next.Hash)).AsStrSlice()
		switch {
		case rueidis.IsRedisNil(err):
			return gqljwt.RefreshRecord{}, gqljwt.ErrNotFound
		case err != nil:
			return gqljwt.RefreshRecord{}, fmt.Errorf("redisstore: exchange refresh token: %w", err)
		case len(f) != 10:
			return gqljwt.RefreshRecord{}, fmt.Errorf("redisstore: malformed refresh token index for %s", oldHash)
		}
		family = f[9]
	} else if family, f, err = s.exchangeCluster(ctx, oldHash, next, args, life); err != nil {
		return gqljwt.RefreshRecord{}, err
	}
	rec, err := parseRecord(oldHash, family, f[:8])
	if err != nil {
		return gqljwt.RefreshRecord{}, err
	}
	if err := rotateStatus(f[8], next.Hash, func(why error) error { return why }); err != nil {
		return rec, err
	}
	return rec, nil
}

// exchangeCluster is Exchange's steps on Redis Cluster, as Rotate's: the
// family from the hash's index, the successor's indexes (removed again
// when the script refuses), then the family's script. It returns the
// family and the script's reply; ErrNotFound for a record unknown.
func (s *RefreshTokens) exchangeCluster(ctx context.Context, oldHash string, next gqljwt.RefreshRecord, args []string, life int64) (string, []string, error) {
	family, subject, err := s.lookup(ctx, oldHash)
	if err != nil {
		return "", nil, err
	}
	if err := s.indexSuccessor(ctx, family, subject, next.Hash, args[6], args[10], life); err != nil {
		return "", nil, err
	}
	f, err := exchangeScript.Exec(ctx, s.c,
		[]string{s.familyKey(family), s.recordKey(family, oldHash), s.recordKey(family, next.Hash)}, args).AsStrSlice()
	switch {
	case rueidis.IsRedisNil(err):
		return "", nil, s.unclaim(ctx, next.Hash, gqljwt.ErrNotFound)
	case err != nil:
		// The script may have run: the index stays, and reads as the
		// record's if it did, as unknown if not.
		return "", nil, fmt.Errorf("redisstore: exchange refresh token: %w", err)
	case len(f) != 9:
		return "", nil, fmt.Errorf("redisstore: malformed refresh record %s", oldHash)
	case f[8] != "ok":
		_ = s.unclaim(ctx, next.Hash, nil)
	}
	return family, f, nil
}
