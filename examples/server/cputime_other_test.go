//go:build !unix

package main

import (
	"testing"
	"time"
)

// cpuTime is zero where getrusage is missing: the CPU bounds are not
// checked there, the refusals and their codes still are.
func cpuTime(*testing.T) time.Duration { return 0 }
