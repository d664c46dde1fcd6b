package gqljwt

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// countingVersions answers every subject's version v and counts the reads.
type countingVersions struct {
	v     uint64
	reads int
}

func (c *countingVersions) TokenVersion(context.Context, string) (uint64, error) {
	c.reads++
	return c.v, nil
}

func (c *countingVersions) BumpTokenVersion(context.Context, string) (uint64, error) {
	c.v++
	return c.v, nil
}

// TestVersionCacheEntries: a held version is served until it expires and
// read again after; distinct subjects have distinct entries; a bump
// forgets only its subject's.
func TestVersionCacheEntries(t *testing.T) {
	vc := NewVersionCache(time.Hour)
	store := &countingVersions{v: 3}
	read := func(subject string, want uint64, wantReads int) {
		t.Helper()
		v, err := vc.version(context.Background(), store, subject, time.Now())
		if err != nil || v != want || store.reads != wantReads {
			t.Fatalf("version(%q) = %d, %v after %d reads; want %d after %d", subject, v, err, store.reads, want, wantReads)
		}
	}
	read("u1", 3, 1)
	read("u1", 3, 1) // held
	read("u2", 3, 2) // another subject, another entry
	store.v = 4
	read("u1", 3, 2) // held: a bump behind the cache's back waits for the TTL
	vc.bumped("u1")
	read("u1", 4, 3)
	read("u2", 3, 3) // u1's bump left u2 alone

	// An expired entry is not served.
	k, sh := vc.shard("u2")
	sh.m[k] = versionEntry{v: 3, expires: time.Now().Add(-time.Nanosecond).UnixNano()}
	read("u2", 4, 4)
}

// TestVersionCacheSweep: an insert drops the expired entries once the
// sweep is due, and only then.
func TestVersionCacheSweep(t *testing.T) {
	vc := NewVersionCache(time.Hour)
	sh := &vc.shards[0]
	past, future := time.Now().Add(-time.Second).UnixNano(), time.Now().Add(time.Hour).UnixNano()
	sh.m[versionKey{0, 1}] = versionEntry{v: 1, expires: past}
	sh.m[versionKey{0, 2}] = versionEntry{v: 2, expires: future}
	sh.add(versionKey{0, 3}, versionEntry{v: 3, expires: future}, time.Hour)
	if _, ok := sh.m[versionKey{0, 1}]; ok || len(sh.m) != 2 {
		t.Fatalf("after the due sweep: %v, want the expired entry gone and two left", sh.m)
	}
	if wait := time.Duration(sh.sweep - time.Now().UnixNano()); wait < 59*time.Second || wait > time.Minute {
		t.Fatalf("next sweep in %v, want a minute (the TTL, at most a minute)", wait)
	}
	sh.m[versionKey{0, 1}] = versionEntry{v: 1, expires: past}
	sh.add(versionKey{0, 4}, versionEntry{v: 4, expires: future}, time.Hour)
	if _, ok := sh.m[versionKey{0, 1}]; !ok || len(sh.m) != 4 {
		t.Fatalf("before the next sweep is due: %v, want the expired entry still held", sh.m)
	}
}

// TestVersionCacheBounded: a full shard takes no new subject but still
// updates a held one.
func TestVersionCacheBounded(t *testing.T) {
	vc := NewVersionCache(time.Hour)
	sh := &vc.shards[0]
	future := time.Now().Add(time.Hour).UnixNano()
	for i := range defaultVersionCacheSize / versionShards {
		sh.m[versionKey{0, uint64(i)}] = versionEntry{v: 1, expires: future}
	}
	sh.add(versionKey{1, 0}, versionEntry{v: 9, expires: future}, time.Hour)
	if _, ok := sh.m[versionKey{1, 0}]; ok {
		t.Fatal("a full shard took a new subject")
	}
	sh.add(versionKey{0, 0}, versionEntry{v: 9, expires: future}, time.Hour)
	if e := sh.m[versionKey{0, 0}]; e.v != 9 {
		t.Fatalf("a held subject in a full shard: %+v, want version 9", e)
	}
}

// TestVersionCacheHoldsNoPointers: the entries the garbage collector would
// otherwise mark in every cycle are pointer-free, and a subject's string is
// not kept alive by its entry.
func TestVersionCacheHoldsNoPointers(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[versionKey](), reflect.TypeFor[versionEntry]()} {
		if hasPointers(typ) {
			t.Errorf("%v holds a pointer", typ)
		}
	}
	vc := NewVersionCache(time.Hour)
	store := &countingVersions{v: 1}
	collected := make(chan struct{})
	func() {
		subject := fmt.Sprintf("user-%d", 12345) // on the heap, not a constant
		p := unsafe.StringData(subject)
		runtime.AddCleanup(p, func(ch chan struct{}) { close(ch) }, collected)
		if _, err := vc.version(context.Background(), store, subject, time.Now()); err != nil {
			t.Fatal(err)
		}
	}()
	for range 10 {
		runtime.GC()
		select {
		case <-collected:
			runtime.KeepAlive(vc)
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("the cache keeps the subject's string alive")
}

// hasPointers reports whether a value of typ holds a pointer the garbage
// collector follows.
func hasPointers(typ reflect.Type) bool {
	switch typ.Kind() {
	case reflect.Array:
		return typ.Len() > 0 && hasPointers(typ.Elem())
	case reflect.Struct:
		for i := range typ.NumField() {
			if hasPointers(typ.Field(i).Type) {
				return true
			}
		}
		return false
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	}
	return true
}

// atomicVersions answers every subject's version from one counter, which
// a bump moves on; safe for concurrent use.
type atomicVersions struct{ v atomic.Uint64 }

func (a *atomicVersions) TokenVersion(context.Context, string) (uint64, error) {
	return a.v.Load(), nil
}

func (a *atomicVersions) BumpTokenVersion(context.Context, string) (uint64, error) {
	return a.v.Add(1), nil
}

// TestVersionCacheConcurrent: readers, inserts and bumps of many subjects
// at once (run under -race); once a bump through the cache has returned,
// no read of that subject answers an older version.
func TestVersionCacheConcurrent(t *testing.T) {
	vc := NewVersionCache(time.Hour)
	store := &atomicVersions{}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				subject := fmt.Sprintf("user-%d", (g*7+i)%50)
				if g%4 == 0 && i%10 == 0 {
					v, _ := store.BumpTokenVersion(context.Background(), subject)
					vc.bumped(subject)
					if got, err := vc.version(context.Background(), store, subject, time.Now()); err != nil || got < v {
						errs <- fmt.Errorf("after the bump to %d, %s read %d, %v", v, subject, got, err)
						return
					}
					continue
				}
				if _, err := vc.version(context.Background(), store, subject, time.Now()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// add is addLocked under the shard's lock, as version calls it.
func (sh *versionShard) add(k versionKey, e versionEntry, ttl time.Duration) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.addLocked(k, e, ttl)
}
