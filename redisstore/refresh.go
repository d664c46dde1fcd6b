package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/internal/unixnano"
	"github.com/patrickmn/go-cache"
	"github.com/redis/rueidis"
)

// refreshRetention is how long a refresh record outlives its ExpiresAt,
// as memstore's do: a late client is told its token expired rather than
// that it is unknown.
const refreshRetention = 24 * time.Hour

// extendLua is shared by the scripts. extend lengthens a key's lifetime
// to px and never shortens it, so that a family's state and a subject's
// index outlive the longest record they cover. A family's state also
// keeps that deadline by the store's clock (dl, unix µs): familyRevoked
// judges a family whose deadline has passed as gone, so that the store's
// clock, not only Redis's, decides that a family outlives its records.
const extendLua = `
local function extend(k, px)
  local t = redis.call('PTTL', k)
  if t < tonumber(px) then redis.call('PEXPIRE', k, px) end
end
local function extendFamily(k, dl, px)
  local d = redis.call('HGET', k, 'dl')
  if not d or tonumber(d) < tonumber(dl) then redis.call('HSET', k, 'dl', dl) end
  extend(k, px)
end
local function familyRevoked(k, now)
  local f = redis.call('HMGET', k, 'rev', 'dl')
  return not f[1] or f[1] == '1' or not f[2] or tonumber(f[2]) <= tonumber(now)
end
`

// subjectScript adds a family to its subject's index, a sorted set
// scored by each family's deadline (unix µs, by the store's clock), and
// drops the families whose deadline has passed: the index holds no more
// than the subject's live families. KEYS: the index. ARGV: family,
// deadline, now (unix µs), lifetime in ms.
var subjectScript = rueidis.NewLuaScript(extendLua + `
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
extend(KEYS[1], ARGV[4])
return 1
`)

// createScript stores a login's record in its family. KEYS: family state,
// record. ARGV: subject, version, iat, exp (unix ns), lifetime in ms,
// deadline (unix µs).
var createScript = rueidis.NewLuaScript(extendLua + `
if redis.call('EXISTS', KEYS[2]) == 1 then return 'exists' end
if redis.call('EXISTS', KEYS[1]) == 0 then
  -- The state's existence is what counts: a family without one reads as
  -- revoked. Its records hold the subject and version.
  redis.call('HSET', KEYS[1], 'rev', '0')
end
redis.call('HSET', KEYS[2], 'iat', ARGV[3], 'exp', ARGV[4], 'sub', ARGV[1], 'ver', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
extendFamily(KEYS[1], ARGV[6], ARGV[5])
return 'ok'
`)

// readRecordLua reads a record and its family's revocation together. A
// family whose state is gone, or past its deadline, reads as revoked:
// losing state must fail closed.
const readRecordLua = `
local function readRecord(fk, rk, now)
  local r = redis.call('HMGET', rk, 'iat', 'exp', 'sub', 'ver', 'rot', 'ras', 'ran')
  if not r[1] then return false end
  for i = 1, 7 do if not r[i] then r[i] = '' end end
  r[8] = '0'
  if familyRevoked(fk, now) then r[8] = '1' end
  return r
end
`

// getScript reads a record of a known family. KEYS: family state,
// record. ARGV: now (unix µs). It only reads: rueidis may retry it.
var getScript = rueidis.NewLuaScriptRetryable(extendLua + readRecordLua + `
return readRecord(KEYS[1], KEYS[2], ARGV[1])
`)

// findScript is lookup and getScript in one round trip, on a single
// node only: the record's keys, in its family's slot, are named from the
// index's value, which a script on Redis Cluster may not do. It returns
// getScript's reply and the index's value. KEYS: the hash's index. ARGV:
// now (unix µs), the prefix, the hash. It only reads, so rueidis may
// retry it after a dropped connection, as it does the GET it replaces.
var findScript = rueidis.NewLuaScriptRetryable(extendLua + readRecordLua + `
local v = redis.call('GET', KEYS[1])
if not v then return false end
local cut = string.find(v, '\0', 1, true)
if not cut then return {v} end
local fk = ARGV[2] .. '{f:' .. string.sub(v, 1, cut - 1) .. '}'
local r = readRecord(fk, fk .. 'r:' .. ARGV[3], ARGV[1])
if not r then return false end
r[9] = v
return r
`)

// rotationLua is what Rotate's and Exchange's scripts share: judging a
// second use of a rotated record, and writing a successor. Their ARGV
// start alike: now (s), now (ns within the second), grace (ns), next's
// iat, exp (unix ns), next's lifetime in ms.
//
// Times are seconds and nanoseconds apart, so that the grace is judged
// exactly: Lua numbers are doubles, too coarse for unix nanoseconds.
// Without a grace a rotated token is reuse whatever the times: a
// concurrent caller's now may precede the winner's RotatedAt, and
// now < RotatedAt+0 would let it through as a second winner. A reuse
// revokes the family fk.
const rotationLua = `
local function reused(fk, ras, ran)
  local grace = tonumber(ARGV[3])
  local age = (tonumber(ARGV[1]) - tonumber(ras)) * 1e9 + (tonumber(ARGV[2]) - tonumber(ran))
  if grace <= 0 or not (age < grace) then
    redis.call('HSET', fk, 'rev', '1')
    return true
  end
  return false
end
local function succeed(rk, rotated, nk, sub, ver)
  if not rotated then redis.call('HSET', rk, 'rot', '1', 'ras', ARGV[1], 'ran', ARGV[2]) end
  redis.call('HSET', nk, 'iat', ARGV[4], 'exp', ARGV[5], 'sub', sub, 'ver', ver)
  redis.call('PEXPIRE', nk, ARGV[6])
end
`

// rotateLua is the whole rotation decision of RefreshStore.Rotate.
// KEYS: family state, old record, next record. ARGV: rotationLua's, then
// next's deadline, now (unix µs).
const rotateLua = rotationLua + `
local function rotate()
  local r = redis.call('HMGET', KEYS[2], 'sub', 'ver', 'rot', 'ras', 'ran')
  if not r[1] then return 'notfound' end
  if familyRevoked(KEYS[1], ARGV[8]) then return 'revoked' end
  if redis.call('EXISTS', KEYS[3]) == 1 then return 'exists' end
  if r[3] and reused(KEYS[1], r[4], r[5]) then return 'reused' end
  succeed(KEYS[2], r[3], KEYS[3], r[1], r[2])
  extendFamily(KEYS[1], ARGV[7], ARGV[6])
  return 'ok'
end
`

// rotateScript is the rotation alone, for Redis Cluster.
var rotateScript = rueidis.NewLuaScript(extendLua + rotateLua + `
return rotate()
`)

// rotateIndexedScript is rotateScript and the two index writes before it
// in one round trip, on a single node only: the indexes are in other
// slots. Being atomic, it writes them only when the rotation is made.
// KEYS: rotateScript's, the successor's hash index, the subject's index.
// ARGV: rotateScript's, the index's value, the family.
var rotateIndexedScript = rueidis.NewLuaScript(extendLua + rotateLua + `
if redis.call('EXISTS', KEYS[4]) == 1 then return 'claimed' end
local status = rotate()
if status ~= 'ok' then return status end
redis.call('SET', KEYS[4], ARGV[9], 'PX', ARGV[6])
redis.call('ZADD', KEYS[5], 'GT', ARGV[7], ARGV[10])
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', ARGV[8])
extend(KEYS[5], ARGV[6])
return 'ok'
`)

// revokeFamilyScript marks a family revoked. A family without state has
// no record left to revoke (and a lost state reads as revoked anyway), so
// it creates none. KEYS: family state.
var revokeFamilyScript = rueidis.NewLuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'rev', '1') end
return 1
`)

// RefreshTokens is a gqljwt.RefreshStore in Redis.
//
// A family's state and all its records share the family's hash tag, so
// that each decision (create, rotate, revoke) is one script on one slot.
// Two indexes live elsewhere, since their callers know no family: the
// record's hash finds its family ({h:<hash>}), and a subject finds its
// families ({s:<subject>}, scored by their deadlines, so that it sheds
// the families that have expired). They are written before the family's script
// and so never miss a record: a crash in between leaves at most an index
// entry pointing at a record that does not exist, which reads as unknown.
//
// Records are kept a day past their ExpiresAt, by the store's clock; a
// family's state and its place in the subject's index as long as its
// longest record.
type RefreshTokens struct {
	c rueidis.Client
	o options
	// found remembers, briefly, the family and subject of the hashes
	// looked up: the Service's Get and the Rotate that follows it look up
	// the same hash, and a hash's index never changes once written (a
	// record gone since is found gone by the script).
	found *cache.Cache
}

// lookupMemory is how long a hash's family is remembered: long enough
// for the Rotate after a Get, short enough to hold little.
const lookupMemory = 10 * time.Second

// NewRefreshTokens returns a RefreshStore on c. It reads the Prefix,
// Timeout and Clock options.
func NewRefreshTokens(c rueidis.Client, opts ...Option) *RefreshTokens {
	return &RefreshTokens{c: c, o: newOptions(opts), found: cache.New(lookupMemory, time.Minute)}
}

var _ gqljwt.RefreshStore = (*RefreshTokens)(nil)

func (s *RefreshTokens) familyKey(family string) string { return s.o.prefix + "{f:" + family + "}" }
func (s *RefreshTokens) recordKey(family, hash string) string {
	return s.familyKey(family) + "r:" + hash
}
func (s *RefreshTokens) hashKey(hash string) string       { return s.o.prefix + "{h:" + hash + "}" }
func (s *RefreshTokens) subjectKey(subject string) string { return s.o.prefix + "{s:" + subject + "}" }

// indexValue is what {h:<hash>} holds. Families are the Service's random
// base64url IDs, so the first NUL ends the family.
func indexValue(family, subject string) string { return family + "\x00" + subject }

func ms(v int64) string { return strconv.FormatInt(v, 10) }

// nanos is t as a record keeps it (see unixnano: clamped where UnixNano
// wraps, the zero time kept apart).
func nanos(t time.Time) string { return strconv.FormatInt(unixnano.Of(t), 10) }

// Create implements gqljwt.RefreshStore.
func (s *RefreshTokens) Create(ctx context.Context, rec gqljwt.RefreshRecord) error {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	keep := rec.ExpiresAt.Add(refreshRetention)
	life := s.o.lifetime(keep)
	px, dl := ms(life), ms(micros(keep))
	// The subject's index first: RevokeSubject must find every family
	// that has a record.
	if err := s.index(ctx, rec.Subject, rec.Family, dl, px); err != nil {
		return fmt.Errorf("redisstore: create refresh token: %w", err)
	}
	if err := s.claimHash(ctx, rec.Hash, indexValue(rec.Family, rec.Subject), life); err != nil {
		return err
	}
	status, err := createScript.Exec(ctx, s.c,
		[]string{s.familyKey(rec.Family), s.recordKey(rec.Family, rec.Hash)},
		[]string{rec.Subject, strconv.FormatUint(rec.TokenVersion, 10), nanos(rec.IssuedAt), nanos(rec.ExpiresAt), px, dl}).ToString()
	if err != nil {
		return fmt.Errorf("redisstore: create refresh token: %w", err)
	}
	if status != "ok" {
		return fmt.Errorf("redisstore: create refresh token: record %s %s", rec.Hash, status)
	}
	return nil
}

// index puts family in subject's index until dl (unix µs), and sheds the
// families expired by the store's clock.
func (s *RefreshTokens) index(ctx context.Context, subject, family, dl, px string) error {
	return subjectScript.Exec(ctx, s.c, []string{s.subjectKey(subject)}, []string{family, dl, s.nowMicros(), px}).Error()
}

// nowMicros is the store's now in unix µs, as the scripts compare it.
func (s *RefreshTokens) nowMicros() string { return ms(s.o.now().UnixMicro()) }

// claimHash writes a record's hash index, refusing a hash already in use:
// a duplicate is a bug, and must not overwrite anything.
func (s *RefreshTokens) claimHash(ctx context.Context, hash, value string, px int64) error {
	err := s.c.Do(ctx, s.c.B().Set().Key(s.hashKey(hash)).Value(value).Nx().PxMilliseconds(px).Build()).Error()
	switch {
	case rueidis.IsRedisNil(err):
		return fmt.Errorf("redisstore: refresh token hash %s already stored", hash)
	case err != nil:
		return fmt.Errorf("redisstore: store refresh token: %w", err)
	}
	return nil
}

// lookup finds the family and subject of hash; ErrNotFound for an
// unknown hash.
func (s *RefreshTokens) lookup(ctx context.Context, hash string) (family, subject string, err error) {
	if x, ok := s.found.Get(hash); ok {
		v := x.([2]string)
		return v[0], v[1], nil
	}
	v, err := s.c.Do(ctx, s.c.B().Get().Key(s.hashKey(hash)).Build()).ToString()
	switch {
	case rueidis.IsRedisNil(err):
		return "", "", gqljwt.ErrNotFound
	case err != nil:
		return "", "", fmt.Errorf("redisstore: look up refresh token: %w", err)
	}
	return s.remember(hash, v)
}

// remember parses the index value v of hash and remembers it.
func (s *RefreshTokens) remember(hash, v string) (family, subject string, err error) {
	family, subject, ok := strings.Cut(v, "\x00")
	if !ok {
		return "", "", fmt.Errorf("redisstore: malformed refresh token index %q", v)
	}
	s.found.SetDefault(hash, [2]string{family, subject})
	return family, subject, nil
}

// single reports whether the store's Redis is one node, where a script
// may take keys of several slots: then Get and Rotate are one round trip
// each (findScript, rotateIndexedScript); on Redis Cluster they take the
// steps of slots one by one.
func (s *RefreshTokens) single() bool { return s.c.Mode() != rueidis.ClientModeCluster }

// Get implements gqljwt.RefreshStore.
func (s *RefreshTokens) Get(ctx context.Context, hash string) (gqljwt.RefreshRecord, error) {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	var (
		family string
		f      []string
		err    error
	)
	if _, known := s.found.Get(hash); !known && s.single() {
		f, err = findScript.Exec(ctx, s.c, []string{s.hashKey(hash)}, []string{s.nowMicros(), s.o.prefix, hash}).AsStrSlice()
		if err == nil {
			if len(f) != 9 {
				return gqljwt.RefreshRecord{}, fmt.Errorf("redisstore: malformed refresh token index for %s", hash)
			}
			if family, _, err = s.remember(hash, f[8]); err != nil {
				return gqljwt.RefreshRecord{}, err
			}
			f = f[:8]
		}
	} else {
		if family, _, err = s.lookup(ctx, hash); err != nil {
			return gqljwt.RefreshRecord{}, err
		}
		f, err = getScript.Exec(ctx, s.c, []string{s.familyKey(family), s.recordKey(family, hash)}, []string{s.nowMicros()}).AsStrSlice()
	}
	switch {
	case rueidis.IsRedisNil(err):
		return gqljwt.RefreshRecord{}, gqljwt.ErrNotFound
	case err != nil:
		return gqljwt.RefreshRecord{}, fmt.Errorf("redisstore: get refresh token: %w", err)
	}
	rec, err := parseRecord(hash, family, f)
	if err != nil {
		return gqljwt.RefreshRecord{}, err
	}
	// Redis keeps the key by its own clock; the contract is judged by the
	// store's.
	if !s.o.now().Before(rec.ExpiresAt.Add(refreshRetention)) {
		return gqljwt.RefreshRecord{}, gqljwt.ErrNotFound
	}
	return rec, nil
}

// parseRecord decodes getScript's reply: iat, exp, sub, ver, rot, ras,
// ran, revoked.
func parseRecord(hash, family string, f []string) (gqljwt.RefreshRecord, error) {
	if len(f) != 8 {
		return gqljwt.RefreshRecord{}, fmt.Errorf("redisstore: malformed refresh record %s", hash)
	}
	var bad error
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil && bad == nil {
			bad = fmt.Errorf("redisstore: malformed refresh record %s: %w", hash, err)
		}
		return n
	}
	ver, err := strconv.ParseUint(f[3], 10, 64)
	if err != nil {
		return gqljwt.RefreshRecord{}, fmt.Errorf("redisstore: malformed refresh record %s: %w", hash, err)
	}
	rec := gqljwt.RefreshRecord{
		Hash: hash, Family: family, Subject: f[2], TokenVersion: ver,
		IssuedAt: unixnano.Time(num(f[0])), ExpiresAt: unixnano.Time(num(f[1])),
		Rotated: f[4] == "1", Revoked: f[7] == "1",
	}
	if rec.Rotated {
		rec.RotatedAt = time.Unix(num(f[5]), num(f[6]))
	}
	return rec, bad
}

// Rotate implements gqljwt.RefreshStore. The decision is rotateScript's;
// the steps before it only write the successor's index, which is removed
// again when the script refuses the rotation.
func (s *RefreshTokens) Rotate(ctx context.Context, oldHash string, next gqljwt.RefreshRecord, now time.Time, grace time.Duration) error {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	family, subject, err := s.lookup(ctx, oldHash)
	if err != nil {
		return err
	}
	keep := next.ExpiresAt.Add(refreshRetention)
	life := s.o.lifetime(keep)
	px, dl := ms(life), ms(micros(keep))
	keys := []string{s.familyKey(family), s.recordKey(family, oldHash), s.recordKey(family, next.Hash)}
	args := []string{
		strconv.FormatInt(now.Unix(), 10), strconv.Itoa(now.Nanosecond()), strconv.FormatInt(int64(grace), 10),
		nanos(next.IssuedAt), nanos(next.ExpiresAt), px, dl, s.nowMicros(),
	}
	if s.single() {
		status, err := rotateIndexedScript.Exec(ctx, s.c, append(keys, s.hashKey(next.Hash), s.subjectKey(subject)),
			append(args, indexValue(family, subject), family)).ToString()
		if err != nil {
			return fmt.Errorf("redisstore: rotate refresh token: %w", err)
		}
		return rotateStatus(status, next.Hash, func(why error) error { return why })
	}
	if err := s.indexSuccessor(ctx, family, subject, next.Hash, dl, px, life); err != nil {
		return err
	}
	status, err := rotateScript.Exec(ctx, s.c, keys, args).ToString()
	if err != nil {
		// The script may have run: the index stays, and reads as the
		// record's if it did, as unknown if not.
		return fmt.Errorf("redisstore: rotate refresh token: %w", err)
	}
	return rotateStatus(status, next.Hash, func(why error) error { return s.unclaim(ctx, next.Hash, why) })
}

// indexSuccessor writes, before a rotation on Redis Cluster, the
// successor's hash index, and the family's place in the subject's index
// until dl (lifetime px) for as long as the successor lives: sent
// together, one round trip (rueidis pipelines concurrent calls on one
// connection).
func (s *RefreshTokens) indexSuccessor(ctx context.Context, family, subject, hash, dl, px string, life int64) error {
	var indexErr error
	indexed := make(chan struct{})
	go func() {
		defer close(indexed)
		indexErr = s.index(ctx, subject, family, dl, px)
	}()
	claimErr := s.claimHash(ctx, hash, indexValue(family, subject), life)
	<-indexed
	switch {
	case claimErr != nil:
		return claimErr
	case indexErr != nil:
		return s.unclaim(ctx, hash, fmt.Errorf("redisstore: rotate refresh token: %w", indexErr))
	}
	return nil
}

// rotateStatus turns a rotation script's status into Rotate's answer;
// refused passes each refusal through, to remove the successor's index
// where it was written before the script.
func rotateStatus(status, next string, refused func(error) error) error {
	switch status {
	case "ok":
		return nil
	case "notfound":
		return refused(gqljwt.ErrNotFound)
	case "revoked":
		return refused(gqljwt.ErrRefreshRevoked)
	case "reused":
		return refused(gqljwt.ErrRefreshReused)
	case "expired":
		return refused(gqljwt.ErrRefreshExpired)
	case "claimed":
		return fmt.Errorf("redisstore: refresh token hash %s already stored", next)
	default:
		return refused(fmt.Errorf("redisstore: rotate refresh token: successor %s %s", next, status))
	}
}

// unclaim removes the index of a successor that was not stored, and
// returns why. Failing to is harmless (an index without its record reads
// as an unknown token) and is not reported over the refusal.
func (s *RefreshTokens) unclaim(ctx context.Context, hash string, why error) error {
	_ = s.c.Do(ctx, s.c.B().Del().Key(s.hashKey(hash)).Build()).Error()
	return why
}

// RevokeFamily implements gqljwt.RefreshStore.
func (s *RefreshTokens) RevokeFamily(ctx context.Context, family string) error {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	if err := revokeFamilyScript.Exec(ctx, s.c, []string{s.familyKey(family)}, nil).Error(); err != nil {
		return fmt.Errorf("redisstore: revoke refresh family: %w", err)
	}
	return nil
}

// RevokeSubject implements gqljwt.RefreshStore: it revokes each live
// family of the subject's index, pipelined. A family created after the
// index was read is a login that came after the revocation.
func (s *RefreshTokens) RevokeSubject(ctx context.Context, subject string) error {
	ctx, cancel := s.o.withTimeout(ctx)
	defer cancel()
	cmd := s.c.B().Zrange().Key(s.subjectKey(subject)).Min("(" + s.nowMicros()).Max("+inf").Byscore().Build()
	families, err := s.c.Do(ctx, cmd).AsStrSlice()
	if err != nil {
		return fmt.Errorf("redisstore: revoke subject: %w", err)
	}
	if len(families) == 0 {
		return nil
	}
	execs := make([]rueidis.LuaExec, len(families))
	for i, f := range families {
		execs[i] = rueidis.LuaExec{Keys: []string{s.familyKey(f)}}
	}
	for _, r := range revokeFamilyScript.ExecMulti(ctx, s.c, execs...) {
		if err := r.Error(); err != nil {
			return fmt.Errorf("redisstore: revoke subject: %w", err)
		}
	}
	return nil
}
