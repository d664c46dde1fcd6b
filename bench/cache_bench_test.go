package bench

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

// The verified-token cache's own figures, through Service.Verify:
//
//	go test -run '^$' -bench 'VerifiedCache' -benchtime 1x
//
// BytesPerEntry: the heap a cache of 100k entries holds per entry, after
// 100k distinct tokens: its live objects per entry, the share of the
// tokens it holds (held%), and how long a forced collection takes then.
// Zipf: the hit ratio of a 100k-entry cache under a Zipf load over 1M
// distinct tokens. Under CI=true both run at a tenth of the size.

// cbScale divides the sizes under CI, which runs every benchmark once.
func cbScale(n int) int {
	if os.Getenv("CI") == "true" {
		return n / 10
	}
	return n
}

var cbNow = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

// cbForge signs the token of user i as gqljwt issues it (header, sub, iat,
// exp, jti, typ, origIat, sid, username, roles): cheaper than issuing, so
// that a million distinct tokens can be made on demand.
func cbForge(i int) string {
	n := strconv.Itoa(i)
	var sid, jti [16]byte
	copy(sid[:], "s"+n)
	copy(jti[:], "j"+n)
	iat := strconv.FormatInt(cbNow.Unix(), 10)
	payload := `{"exp":` + strconv.FormatInt(cbNow.Add(time.Hour).Unix(), 10) + `,"iat":` + iat +
		`,"jti":"` + base64.RawURLEncoding.EncodeToString(jti[:]) + `","origIat":` + iat +
		`,"roles":["reader","editor"],"sid":"` + base64.RawURLEncoding.EncodeToString(sid[:]) +
		`","sub":"user-` + n + `","typ":"access","username":"user-` + n + `"}`
	in := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, vbSecret)
	mac.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// cbService verifies cbForge's tokens with a cache of entries, on a clock
// fixed at cbNow.
func cbService(b *testing.B, entries int) *gqljwt.Service {
	s, err := gqljwt.New(gqljwt.Config{Secret: vbSecret, CacheEntries: entries,
		Now: func() time.Time { return cbNow }})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkVerifiedCacheBytesPerEntry(b *testing.B) {
	n := cbScale(100_000)
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = cbForge(i)
	}
	ctx := context.Background()
	var perEntry, objects, held, gcMs float64
	for b.Loop() {
		before, beforeObjects := heapInUse(), heapObjects()
		s := cbService(b, n)
		for _, tok := range tokens {
			if _, err := s.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
		perEntry = float64(heapInUse()-before) / float64(n)
		objects = float64(heapObjects()-beforeObjects) / float64(n)
		start := time.Now()
		runtime.GC()
		gcMs = float64(time.Since(start).Microseconds()) / 1000
		// The cache is set-associative: a token whose bucket is full
		// takes the slot of another.
		held = 100 * float64(s.CacheStats().Entries) / float64(n)
		runtime.KeepAlive(s)
	}
	b.ReportMetric(perEntry, "bytes/entry")
	b.ReportMetric(objects, "objects/entry")
	b.ReportMetric(held, "held%")
	b.ReportMetric(gcMs, "gc-ms")
}

func BenchmarkVerifiedCacheZipf(b *testing.B) {
	distinct, entries, requests := cbScale(1_000_000), cbScale(100_000), cbScale(3_000_000)
	ctx := context.Background()
	var ratio float64
	for b.Loop() {
		s := cbService(b, entries)
		z := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.01, 1, uint64(distinct-1))
		for range requests {
			if _, err := s.Verify(ctx, cbForge(int(z.Uint64()))); err != nil {
				b.Fatal(err)
			}
		}
		misses := s.CacheStats().Misses
		ratio = 100 * float64(uint64(requests)-misses) / float64(requests)
	}
	b.ReportMetric(ratio, "hit%")
	b.Logf("Zipf s=1.01 over %d tokens, %d requests, cache of %d: %.1f %% hits", distinct, requests, entries, ratio)
}
