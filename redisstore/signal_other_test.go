//go:build !unix

package redisstore_test

import "os"

// Elsewhere a process cannot be frozen: os.Process.Signal refuses any
// signal but Kill, and TestTimeout skips.
var (
	syscallStop = os.Interrupt
	syscallCont = os.Interrupt
)
