package unixnano

import (
	"math"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 123456789, time.UTC)
	for _, c := range []struct {
		name   string
		in     time.Time
		n      int64
		wantBk time.Time
	}{
		{"an ordinary time, to the nanosecond", now, now.UnixNano(), now},
		{"the epoch", time.Unix(0, 0), 0, time.Unix(0, 0)},
		{"the zero time", time.Time{}, Zero, time.Time{}},
		{"after 2262: the latest", now.AddDate(300, 0, 0), math.MaxInt64, time.Unix(0, math.MaxInt64)},
		{"before 1678: the earliest", time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), Zero + 1, time.Unix(0, Zero+1)},
	} {
		n := Of(c.in)
		if n != c.n || n == Unused {
			t.Errorf("%s: Of = %d, want %d (never Unused)", c.name, n, c.n)
		}
		if back := Time(n); !back.Equal(c.wantBk) || back.IsZero() != c.wantBk.IsZero() {
			t.Errorf("%s: Time(Of) = %v, want %v", c.name, back, c.wantBk)
		}
	}
}
