package gqljwt

import "time"

// NewMemoryRevocationsAt is NewMemoryRevocations on the clock now, for the
// conformance suite. It is not public: serving a Service, the store must
// keep the wall clock, which RevocationStore deadlines follow.
func NewMemoryRevocationsAt(now func() time.Time) RevocationStore { return newMemoryRevocations(now) }
