//go:build unix

package redisstore_test

import "syscall"

// SIGSTOP and SIGCONT freeze and thaw redis-server: a server that holds
// its connections and answers nothing.
const (
	syscallStop = syscall.SIGSTOP
	syscallCont = syscall.SIGCONT
)
