package bench

import (
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// pinApart gives the servers of BenchmarkHTTPEndToEnd a CPU of their own:
// it moves every thread of this process (the load) off the last CPU it
// may run on, and returns that CPU for the servers (pinServer), and a
// function that gives this process its CPUs back. On one CPU, or when
// GQLJWT_BENCH_PIN=0, nothing is pinned (cpu -1): the load and the server
// then share the CPUs the scheduler picks, which moved one run's ratios
// from the next by tens of per cent.
func pinApart() (cpu int, restore func()) {
	var all unix.CPUSet
	if os.Getenv("GQLJWT_BENCH_PIN") == "0" || unix.SchedGetaffinity(0, &all) != nil || all.Count() < 2 {
		return -1, func() {}
	}
	for c := 1023; c >= 0; c-- {
		if all.IsSet(c) {
			cpu = c
			break
		}
	}
	load := all
	load.Clear(cpu)
	pinThreads(&load)
	return cpu, func() { pinThreads(&all) }
}

// pinServer runs the calling process (a server) on cpu only.
func pinServer(cpu int) {
	var one unix.CPUSet
	one.Set(cpu)
	pinThreads(&one)
}

// pinThreads sets the affinity of every thread of this process. New
// threads inherit the affinity of the thread that makes them, so setting
// every thread there is now covers the ones to come.
func pinThreads(set *unix.CPUSet) {
	tasks, _ := filepath.Glob("/proc/self/task/*")
	for _, t := range tasks {
		if tid, err := strconv.Atoi(filepath.Base(t)); err == nil {
			_ = unix.SchedSetaffinity(tid, set)
		}
	}
}
