// Package redistest starts redis-servers of a test's own, on free
// loopback ports in temporary directories, for the tests of the Redis
// backend and of the demo on it: a single node (Start), one that keeps
// its data across a restart (StartPersistent), a Redis Cluster
// (StartCluster), and a loopback proxy a test can cut (NewProxy).
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds the start of one redis-server, and clusterTimeout
// that of a whole cluster, creation included: a test that cannot get its
// servers fails instead of hanging.
const (
	startTimeout   = 10 * time.Second
	clusterTimeout = 30 * time.Second
)

// Server is a redis-server of a test's own.
type Server struct {
	// Addr is its loopback address.
	Addr string
	bin  string
	args []string
	dir  string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts a redis-server on a free loopback port, in a temporary
// directory and without persistence, and stops it when the test ends.
// Nothing depends on port 6379, where a system service may listen.
// Without the binary the test is skipped, loudly; under CI it fails.
func Start(t testing.TB) *Server {
	t.Helper()
	return startWith(t, "--save", "", "--appendonly", "no")
}

// StartPersistent is Start with every write appended to the AOF and
// fsynced before it is answered (appendfsync always): what the server
// acknowledged survives Stop and Restart.
func StartPersistent(t testing.TB) *Server {
	t.Helper()
	return startWith(t, "--save", "", "--appendonly", "yes", "--appendfsync", "always")
}

func startWith(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := binary(t, "redis-server")
	var last error
	// A port found free may be taken before redis-server binds it: try
	// another.
	for range 5 {
		s, err := start(t, bin, freePort, args...)
		if err == nil {
			return s
		}
		last = err
	}
	t.Fatalf("redis-server did not start: %v", last)
	return nil
}

// binary finds a Redis tool, or skips the test loudly (fails under CI).
func binary(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		msg := name + " is not on PATH: the Redis backend is NOT TESTED (install Debian's redis-server package)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	return bin
}

// freePort is a loopback port the kernel calls free.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs redis-server with args on a port from port, in a
// temporary directory, and waits for it to answer.
func start(t testing.TB, bin string, port func() (int, error), args ...string) (*Server, error) {
	p, err := port()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), bin: bin, dir: t.TempDir(),
		args: append([]string{"--port", strconv.Itoa(p), "--bind", "127.0.0.1", "--daemonize", "no"}, args...),
	}
	t.Cleanup(s.Stop)
	if err := s.run(); err != nil {
		return nil, err
	}
	return s, nil
}

// run starts the process and waits until it answers PING.
func (s *Server) run() error {
	log, err := os.OpenFile(filepath.Join(s.dir, "redis.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin, append(s.args, "--dir", s.dir)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			out, _ := os.ReadFile(log.Name())
			return fmt.Errorf("redis-server exited: %s", out)
		default:
		}
		// PING answers LOADING while an AOF is read back: not ready.
		if reply, err := Do(s.Addr, "PING"); err == nil && reply == "PONG" {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	return errors.New("redis-server does not answer PING")
}

// Do sends one inline command to addr on a connection of its own and
// returns the reply: a status or bulk string as it is, an error reply as
// an error. It bounds the whole exchange to a second.
func Do(addr, command string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(c, command+"\r\n"); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	switch {
	case line == "":
		return "", errors.New("empty reply")
	case line[0] == '+' || line[0] == ':':
		return line[1:], nil
	case line[0] == '-':
		return "", errors.New(line[1:])
	case line[0] == '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("reply %q", line)
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return "", err
		}
		return string(b[:n]), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

// Signal sends sig to the server (SIGSTOP to freeze it, say).
func (s *Server) Signal(sig os.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.Process.Signal(sig)
}

// Stop kills the server and waits for it to exit; stopping twice is fine.
// Kill, not a shutdown: the server gets no chance to save, as in a crash.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Restart starts a stopped server again, on the same port and in the same
// directory: a StartPersistent server comes back with its data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	var err error
	// The port was ours a moment ago; another process may take it in
	// between, which nothing here can prevent: retry briefly, then fail.
	for range 5 {
		if err = s.run(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("redis-server did not restart on %s: %v", s.Addr, err)
}

// Cluster is a Redis Cluster of a test's own: masters only, every slot
// assigned, cluster_state:ok on every node.
type Cluster struct {
	// Addrs are the masters' loopback addresses, the client's seeds.
	Addrs   []string
	Servers []*Server
}

// clusterPort is a port p for a cluster node, with p and its cluster bus
// port p+10000 free. Ephemeral ports may have no room for the bus above
// them, so these come from 20000-29999.
func clusterPort() (int, error) {
	for range 50 {
		p := 20000 + rand.IntN(10000)
		a, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		b, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p+10000)))
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return p, nil
	}
	return 0, errors.New("no free port pair for a cluster node")
}

// StartCluster starts masters redis-servers with cluster mode on, joins
// them with redis-cli --cluster create (no replicas), and waits until
// every node reports cluster_state:ok with all 16384 slots served, within
// a bounded time. The servers stop when the test ends.
func StartCluster(t testing.TB, masters int) *Cluster {
	t.Helper()
	bin, cli := binary(t, "redis-server"), binary(t, "redis-cli")
	deadline := time.Now().Add(clusterTimeout)
	c := &Cluster{}
	for range masters {
		var s *Server
		var err error
		for range 5 {
			if s, err = start(t, bin, clusterPort, "--save", "", "--appendonly", "no",
				"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("cluster node did not start: %v", err)
		}
		c.Servers, c.Addrs = append(c.Servers, s), append(c.Addrs, s.Addr)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	args := append(append([]string{"--cluster", "create"}, c.Addrs...), "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, addr := range c.Addrs {
		for {
			info, err := Do(addr, "CLUSTER INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_slots_ok:16384") &&
				strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(masters)+"\r") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s not ready within %s: %q, %v", addr, clusterTimeout, info, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return c
}

// Proxy is a loopback TCP proxy to a server, which a test cuts to part a
// client from Redis while Redis itself runs on for the others.
type Proxy struct {
	// Addr is the address clients dial instead of the server's.
	Addr   string
	target string
	l      net.Listener
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]struct{}
}

// NewProxy starts a proxy to target, closed when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: l.Addr().String(), target: target, l: l, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() { l.Close(); p.Cut() })
	return p
}

func (p *Proxy) serve() {
	for {
		in, err := p.l.Accept()
		if err != nil {
			return
		}
		go p.forward(in)
	}
}

// forward pipes one connection both ways, unless the proxy is cut.
func (p *Proxy) forward(in net.Conn) {
	out, err := net.DialTimeout("tcp", p.target, time.Second)
	if err != nil {
		in.Close()
		return
	}
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		in.Close()
		out.Close()
		return
	}
	p.conns[in], p.conns[out] = struct{}{}, struct{}{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		dst.Close()
		src.Close()
	}
	wg.Add(2)
	go pipe(out, in)
	go pipe(in, out)
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, in)
	delete(p.conns, out)
	p.mu.Unlock()
}

// Cut closes every connection through the proxy and closes new ones as
// they come: the client behind it has lost Redis.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
}

// Restore lets new connections through again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}
