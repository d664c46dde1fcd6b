// Package bench holds gqljwt's benchmarks. It is a module of its own so
// that the peers it measures against (golang-jwt, ...) stay out of
// gqljwt's go.mod.
package bench
