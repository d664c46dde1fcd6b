package bench

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/maypok86/otter/v2"
)

// The two bounded caches the verified-token cache could be built on,
// measured with the shape of its entries (a 24-byte key, a 48-byte value
// holding an 80-byte string) before choosing one:
//
//	go test -run '^$' -bench 'CacheLib' -benchtime 1x
//
// bytes/entry is the heap held per entry at 100k entries; hit% the hit
// ratio under a Zipf load over 1M keys with room for 100k; get-ns a hit;
// 2-readers-ns/round the time of one hit each by two goroutines at once.

type cacheLibKey [3]uint64

// cacheLibValue has the size of a cachedIdentity: a string and four words.
type cacheLibValue struct {
	text string
	a    [4]int64
}

type cacheLib interface {
	get(k cacheLibKey) bool
	add(k cacheLibKey, v cacheLibValue)
}

type otterLib struct {
	c *otter.Cache[cacheLibKey, cacheLibValue]
}

func (o otterLib) get(k cacheLibKey) bool             { _, ok := o.c.GetIfPresent(k); return ok }
func (o otterLib) add(k cacheLibKey, v cacheLibValue) { o.c.Set(k, v) }

type lruLib struct {
	c *lru.Cache[cacheLibKey, cacheLibValue]
}

func (l lruLib) get(k cacheLibKey) bool             { _, ok := l.c.Get(k); return ok }
func (l lruLib) add(k cacheLibKey, v cacheLibValue) { l.c.Add(k, v) }

func newCacheLibs(size int) map[string]func() cacheLib {
	return map[string]func() cacheLib{
		"otter": func() cacheLib {
			// As the verified-token cache uses it: bounded by size, no
			// expiry policy (each hit checks its entry's time).
			return otterLib{otter.Must(&otter.Options[cacheLibKey, cacheLibValue]{MaximumSize: size})}
		},
		"golang-lru": func() cacheLib {
			c, err := lru.New[cacheLibKey, cacheLibValue](size)
			if err != nil {
				panic(err)
			}
			return lruLib{c}
		},
	}
}

func cacheLibEntry(i int) (cacheLibKey, cacheLibValue) {
	return cacheLibKey{uint64(i), uint64(i) * 7, 3}, cacheLibValue{text: string(make([]byte, 80)), a: [4]int64{int64(i)}}
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// heapObjects is the number of live heap objects after a collection.
func heapObjects() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapObjects
}

func BenchmarkCacheLib(b *testing.B) {
	entries, distinct := cbScale(100_000), cbScale(1_000_000)
	for name, mk := range newCacheLibs(entries) {
		b.Run(name, func(b *testing.B) {
			var perEntry, hitRatio, getNs, parallelNs float64
			for b.Loop() {
				before := heapInUse()
				c := mk()
				for i := range entries {
					c.add(cacheLibEntry(i))
				}
				perEntry = float64(heapInUse()-before) / float64(entries)
				runtime.KeepAlive(c)

				z := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.01, 1, uint64(distinct-1))
				c = mk()
				hits, n := 0, 2_000_000
				for range n {
					i := int(z.Uint64())
					k, v := cacheLibEntry(i)
					if c.get(k) {
						hits++
					} else {
						c.add(k, v)
					}
				}
				hitRatio = 100 * float64(hits) / float64(n)
				k, _ := cacheLibEntry(1)
				start := time.Now()
				for range 1_000_000 {
					c.get(k)
				}
				getNs = float64(time.Since(start).Nanoseconds()) / 1e6
				// Two readers at once, as two cores serving requests.
				var wg sync.WaitGroup
				start = time.Now()
				for g := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						k, _ := cacheLibEntry(g + 1)
						for range 1_000_000 {
							c.get(k)
						}
					}()
				}
				wg.Wait()
				parallelNs = float64(time.Since(start).Nanoseconds()) / 1e6
			}
			b.ReportMetric(perEntry, "bytes/entry")
			b.ReportMetric(hitRatio, "hit%")
			b.ReportMetric(getNs, "get-ns")
			b.ReportMetric(parallelNs, "2-readers-ns/round")
		})
	}
}
