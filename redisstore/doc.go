// Package redisstore keeps gqljwt's shared state in Redis, through
// github.com/redis/rueidis, so that several instances of a service share
// one truth: refresh tokens, revocations, token versions, login-attempt
// counts, OAuth2 states and linked identities. The core package never
// imports it.
//
// The stores pass the storetest conformance suites against a real
// redis-server. What must be atomic is decided inside Redis, by a Lua
// script or a single command, never by a read followed by a write from
// Go. Every key a script touches carries the same hash tag, so that the
// scripts also run on Redis Cluster; operations whose keys live in
// different slots are split into steps whose order keeps the contract
// even if the process dies between them (see RefreshTokens).
//
// Every operation runs under a bounded timeout (Timeout, default
// DefaultTimeout). A Redis error or a timeout is returned as an error,
// which the Service turns into AUTH_UNAVAILABLE: when Redis cannot
// answer, nothing is granted.
//
// With CacheTTL, the reads every request makes (Revocations.IsRevoked)
// and every refresh makes (Versions.TokenVersion) go through rueidis's
// client-side cache, and with Front through a Tracking's front cache
// before it; Redis pushes an invalidation of each cached key that
// changes, which empties both, so that a revocation made through another
// instance is seen as soon as the push arrives (well within 100 ms on a
// healthy network; CacheTTL bounds how long a lost push could hide it).
// A dropped connection empties both caches: the reads then fail, closed,
// until the client reconnects.
//
// Key layout, after the prefix (Prefix, default DefaultPrefix):
//
//	{f:<family>}           hash: a refresh family's state (its revoked flag, its deadline)
//	{f:<family>}r:<hash>   hash: one refresh record, in its family's slot
//	{h:<hash>}             string: "<family>\x00<subject>", finds a record by hash
//	{s:<subject>}          sorted set: the subject's refresh families, by deadline (unix µs)
//	{r:<key>}              string: a revocation's deadline (unix µs)
//	{v:<subject>}          hash: a user's token version (v), deleted flag (d), revoked-secret flag (s)
//	{a:<key>}              hash: an attempt count and its deadline (unix µs)
//	{t:<id>}               hash: a login-throttle key's four counts and their deadlines (AttemptBatcher's steps)
//	{st:<state>}           string: an OAuth2 state's data
//	{i:<identity>}         string: the user a linked identity belongs to
//	{iu:<user>}            set: the user's linked identities
//
// The prefix must not contain '{' or '}': Redis takes the first braces of
// a key as its hash tag, and the scripts need it to be theirs.
package redisstore
