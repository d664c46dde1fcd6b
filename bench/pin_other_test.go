//go:build !linux

package bench

// pinApart pins nothing off Linux.
func pinApart() (cpu int, restore func()) { return -1, func() {} }

// pinServer pins nothing off Linux.
func pinServer(int) {}
