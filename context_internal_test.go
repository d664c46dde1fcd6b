package gqljwt

import (
	"testing"
	"unsafe"
)

// TestContextNodeSize: the node of a verified request, allocated on every
// request, stays within the allocator's 576-byte size class (see
// verifiedContext); growing Identity or the box past it costs every
// request 64 bytes more, which should be a decision, not an accident.
func TestContextNodeSize(t *testing.T) {
	if n := unsafe.Sizeof(verifiedContext{}); n > 576 {
		t.Errorf("verifiedContext is %d bytes, over the 576-byte size class", n)
	}
}
