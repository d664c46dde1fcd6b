package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// e2eDir holds the Node scripts the browser and client tests run, with
// their package.json; .ci/run installs their modules with npm ci.
const e2eDir = "e2e"

// requireTool skips the test, loudly, when a tool it needs is missing, and
// fails it under CI, where .ci/run installs every tool.
func requireTool(t *testing.T, missing string) {
	t.Helper()
	msg := missing + ": this test is NOT RUN (.ci/run installs it: apt-get install chromium, npm ci in examples/server/e2e)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED: " + msg)
}

// nodeScript returns the node binary, once node and the e2e folder's
// modules are there.
func nodeScript(t *testing.T, modules ...string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		requireTool(t, "node is not on PATH")
	}
	for _, m := range modules {
		if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", m, "package.json")); err != nil {
			requireTool(t, "the npm module "+m+" is not installed in examples/server/e2e")
		}
	}
	return node
}

// runNode runs an e2e script with args, bounded in time, and returns what
// it printed; the test fails when the script does.
func runNode(t *testing.T, node, script string, timeout time.Duration, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Dir = e2eDir
	cmd.Env = append(os.Environ(), env...)
	// A browser left behind by a killed script must not hold the output
	// pipe, and the test, open.
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("node %s:\n%s", script, out)
	if err != nil {
		t.Fatalf("node %s: %v", script, err)
	}
	return string(out)
}

// artifactsDir is where a test leaves what a person may want to look at
// (screenshots): $ARTIFACTS when set, else the test's temporary folder.
func artifactsDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("ARTIFACTS"); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			t.Fatal(err)
		}
		return abs
	}
	return t.TempDir()
}
