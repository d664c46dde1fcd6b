// Package memstore is the embedded, in-process backend of gqljwt: a
// UserStore with bcrypt password hashes and a RefreshStore whose sessions
// hold no pointer the garbage collector would have to mark. It needs no
// service, which makes it the default of the example server and of tests;
// it keeps nothing across restarts and is not shared between instances,
// so production deployments with several instances use a shared backend
// behind the same interfaces. Its stores pass the contract checks of
// package storetest (memstore's own tests run them), and the zero value
// of each is an empty, working store.
package memstore
