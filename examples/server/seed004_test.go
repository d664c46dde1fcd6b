package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// column is where the field name of the operation's first selection
// starts, 1-based, on the operation's second line: the location graphql-go
// reports for an error of that field.
func column(t *testing.T, op, field string) int {
	t.Helper()
	lines := strings.Split(op, "\n")
	if len(lines) < 2 || !strings.Contains(lines[1], field) {
		t.Fatalf("%q is not on the second line of %q", field, op)
	}
	return strings.Index(lines[1], field) + 1
}

// Seed 004: the DE API's login and refreshToken mutations sent verbatim
// to /de, and its documented error bodies.
func TestSeed004DE(t *testing.T) {
	doc := seed(t, "004")
	s := newServer(t, options{})
	const path = "/de"
	login := operation(t, doc, "mutation Login(", 0)
	refreshOp := operation(t, doc, "mutation Refresh(", 0)

	r := s.post(path, login, map[string]any{"email": "alice@example.com", "password": "alice-password"})
	token, refresh := r.str("data", "login", "token"), r.str("data", "login", "refreshToken")
	if !jsonEqual(t, r.raw, `{"data": {"login": {"token": "`+token+`", "refreshToken": "`+refresh+`", "expiresIn": 3600}}}`) || token == "" || refresh == "" {
		t.Fatalf("login: %s", r.raw)
	}
	// The documented response starts the same way: an HS256 JWT.
	if !strings.HasPrefix(token, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.") {
		t.Errorf("token header differs from the documented one: %s", token)
	}
	cfg := s.app.services[path].Settings()
	if cfg.AccessTTL != time.Hour || cfg.RefreshTTL != 7*24*time.Hour {
		t.Errorf("lifetimes %v / %v, want 1 h / 7 d", cfg.AccessTTL, cfg.RefreshTTL)
	}

	// Refresh when the access token expires.
	r = s.post(path, refreshOp, map[string]any{"refreshToken": refresh})
	newToken, newRefresh := r.str("data", "refreshToken", "token"), r.str("data", "refreshToken", "refreshToken")
	if !jsonEqual(t, r.raw, `{"data": {"refreshToken": {"token": "`+newToken+`", "refreshToken": "`+newRefresh+`", "expiresIn": 3600}}}`) ||
		newToken == "" || newRefresh == refresh {
		t.Fatalf("refresh: %s", r.raw)
	}

	// Invalid credentials: the documented body. The documented location is
	// column 3, the client's indentation; the seed's own text indents the
	// field by 4, so the location of the verbatim operation is column 5.
	want := operation(t, doc, "{\n  \"errors\": [\n    {\n      \"message\": \"Incorrect email or password\"", 0)
	want = strings.Replace(want, `"column": 3`, `"column": `+strconv.Itoa(column(t, login, "login(")), 1)
	r = s.post(path, login, map[string]any{"email": "alice@example.com", "password": "wrong"})
	if r.raw != compact(t, want) {
		t.Errorf("invalid credentials:\n got %s\nwant %s", r.raw, want)
	}

	// Missing variable: the documented body, exactly.
	want = operation(t, doc, "{\n  \"errors\": [\n    {\n      \"message\": \"Variable", 0)
	r = s.post(path, login, map[string]any{"email": "alice@example.com"})
	if r.raw != compact(t, want) {
		t.Errorf("missing variable, byte for byte (whitespace aside):\n got %s\nwant %s", r.raw, compact(t, want))
	}

	// A forged refresh token: "invalid signature".
	want = operation(t, doc, "{\n  \"errors\": [\n    {\n      \"message\": \"invalid signature\"", 0)
	want = strings.Replace(want, `"column": 3`, `"column": `+strconv.Itoa(column(t, refreshOp, "refreshToken(")), 1)
	forged := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ2YWx1ZSI6IntcOjEyMDAwLFw.forged"
	r = s.post(path, refreshOp, map[string]any{"refreshToken": forged})
	if r.raw != compact(t, want) {
		t.Errorf("forged refresh token:\n got %s\nwant %s", r.raw, want)
	}

	// Roles and scopes decide what a caller may do; forbidden requests get
	// authorization errors.
	r = s.post(path, `{ adminStats { posts } }`, nil, "Authorization", "Bearer "+newToken)
	if r.get("data", "adminStats", "posts") == nil {
		t.Errorf("admin: %s", r.raw)
	}
	r = s.post(path, login, map[string]any{"email": "carol@example.com", "password": "carol-password"})
	carol := r.str("data", "login", "token")
	r = s.post(path, `mutation { createPost(title: "x") { id } }`, nil, "Authorization", "Bearer "+carol)
	if r.str("errors", 0, "extensions", "code") != "FORBIDDEN" {
		t.Errorf("viewer creating a post: %s", r.raw)
	}
}

// compact is a documented JSON body without its whitespace.
func compact(t *testing.T, doc string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
