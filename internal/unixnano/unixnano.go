// Package unixnano converts the stores' times to Unix nanoseconds and
// back. time.Time.UnixNano wraps outside the years an int64 of
// nanoseconds holds (1678 to 2262): a refresh token expiring in 300 years
// would come out expired two centuries ago, and the store would forget
// the session at once. Of clamps instead, and keeps the zero time apart.
package unixnano

import (
	"math"
	"time"
)

// Zero is the zero time.Time, which UnixNano cannot give.
const Zero = math.MinInt64 + 1

// Unused is never returned by Of: a store may use it to mean "no time"
// (memstore: a token not rotated) without confusing it with any time it
// was given, the zero time included.
const Unused = math.MinInt64

var earliest, latest = time.Unix(0, Zero+1), time.Unix(0, math.MaxInt64)

// Of is t in Unix nanoseconds, clamped to what an int64 holds; Zero for
// the zero time.
func Of(t time.Time) int64 {
	switch {
	case t.IsZero():
		return Zero
	case t.Before(earliest):
		return Zero + 1
	case t.After(latest):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// Time is the time of Of's n: the zero time for Zero.
func Time(n int64) time.Time {
	if n == Zero {
		return time.Time{}
	}
	return time.Unix(0, n)
}
