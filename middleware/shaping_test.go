package middleware_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/middleware"
	"golang.org/x/crypto/bcrypt"
)

func TestRewrite(t *testing.T) {
	tests := []struct {
		name, contentType, body, want string
	}{
		{"json", "application/json; charset=utf-8", `{"data":{"n":12345678901234567890}}`, `{"ok":true,"data":{"n":12345678901234567890}}`},
		{"errors", "application/json", `{"data":null,"errors":[{"message":"x"}]}`, `{"ok":false,"errors":[{"message":"x"}],"data":null}`},
		{"protocol members in documented order", "application/json",
			`{"data":{"login":null},"errors":[{"extensions":{"code":"C"},"path":["login"],"zeta":1,"locations":[{"column":3,"line":2}],"message":"m"}]}`,
			`{"ok":false,"errors":[{"message":"m","locations":[{"line":2,"column":3}],"path":["login"],"extensions":{"code":"C"},"zeta":1}],"data":{"login":null}}`},
		{"application data keeps its order and bytes", "application/json",
			`{"data":{"zeta":"<b>&amp;</b>","alpha":1.50,"u":"\u00e9","list":[{"b":1,"a":"\u003c"}]},"extensions":{"z":1,"a":2}}`,
			`{"ok":true,"data":{"zeta":"<b>&amp;</b>","alpha":1.50,"u":"\u00e9","list":[{"b":1,"a":"\u003c"}]},"extensions":{"z":1,"a":2}}`},
		{"html passes", "text/html", `<html>{"not":"json"}</html>`, `<html>{"not":"json"}</html>`},
		{"broken json passes", "application/json", `{"data":`, `{"data":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := middleware.Rewrite(func(body map[string]any) {
				errs, _ := body["errors"].([]any)
				body["ok"] = len(errs) == 0
			})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.Header().Set("X-Kept", "yes")
				w.WriteHeader(http.StatusTeapot)
				_, _ = io.WriteString(w, tt.body)
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
			if rec.Code != http.StatusTeapot || rec.Header().Get("X-Kept") != "yes" {
				t.Errorf("status %d, headers %v", rec.Code, rec.Header())
			}
			if got := rec.Body.String(); got != tt.want {
				t.Errorf("body %s, want %s", got, tt.want)
			}
			if rec.Header().Get("Content-Length") != strconv.Itoa(len(tt.want)) {
				t.Errorf("Content-Length %q for %d bytes", rec.Header().Get("Content-Length"), len(tt.want))
			}
		})
	}
}

func TestMaxBodySize(t *testing.T) {
	var read string
	h := middleware.MaxBodySize(10)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		read = string(b)
		if err != nil {
			http.Error(w, "cut", http.StatusBadRequest)
		}
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Post(srv.URL, "application/json", strings.NewReader("0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || read != "0123456789" {
		t.Errorf("10 bytes: %d %q", resp.StatusCode, read)
	}

	resp, err = http.Post(srv.URL, "application/json", strings.NewReader("0123456789x"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge ||
		string(body) != `{"errors":[{"message":"Request body too large","extensions":{"code":"BAD_USER_INPUT"}}]}`+"\n" {
		t.Errorf("11 bytes declared: %d %s", resp.StatusCode, body)
	}

	// Chunked: no length declared; the reader is cut at the limit.
	pr, pw := io.Pipe()
	go func() { _, _ = io.WriteString(pw, strings.Repeat("x", 100)); pw.Close() }()
	req, _ := http.NewRequest("POST", srv.URL, pr)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || len(read) > 10 {
		t.Errorf("chunked: %d, handler read %d bytes", resp.StatusCode, len(read))
	}
}

func TestSlidingRefresh(t *testing.T) {
	var mu sync.Mutex
	now := time.Now().Truncate(time.Second)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "1", Username: "alice", Active: true}, "pw"); err != nil {
		t.Fatal(err)
	}
	auth, err := gqljwt.New(gqljwt.Config{Secret: []byte("sliding-secret-0123456789abcdef-0123"), Users: users, Now: clock,
		AccessTTL: time.Hour, RefreshTTL: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	h := middleware.Verifier(auth)(middleware.SlidingRefresh(auth, 10*time.Minute, "")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, _ := gqljwt.FromContext(r.Context()); id != nil {
			_, _ = io.WriteString(w, id.Subject)
		}
	})))
	u, _ := users.UserByID(context.Background(), "1")
	sess, err := auth.StartSession(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	call := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	if rec := call(sess.Access.Value); rec.Header().Get("Authorization") != "" || rec.Body.String() != "1" {
		t.Fatalf("fresh token renewed: %v", rec.Header())
	}
	if rec := call(""); rec.Header().Get("Authorization") != "" {
		t.Fatalf("anonymous request got a token")
	}
	advance(55 * time.Minute)
	rec := call(sess.Access.Value)
	renewed := strings.TrimPrefix(rec.Header().Get("Authorization"), "Bearer ")
	if renewed == "" || renewed == sess.Access.Value || rec.Header().Get("Access-Control-Expose-Headers") != "Authorization" {
		t.Fatalf("no renewal near expiry: %v", rec.Header())
	}
	id, err := auth.Verify(context.Background(), renewed)
	if err != nil || !id.ExpiresAt.Equal(now.Add(time.Hour)) || !id.OriginalIssuedAt.Equal(sess.Access.IssuedAt) {
		t.Fatalf("renewed token: %+v %v", id, err)
	}
	// The session's refresh window (2 h from login) bounds the sliding.
	advance(time.Hour)
	rec = call(renewed)
	again := strings.TrimPrefix(rec.Header().Get("Authorization"), "Bearer ")
	if again == "" {
		t.Fatalf("no renewal at 1h55: %v", rec.Header())
	}
	advance(time.Hour)
	if rec := call(again); rec.Header().Get("Authorization") != "" {
		t.Fatalf("renewed past the refresh window: %v", rec.Header())
	}
}

// TestRenewalBehindCORSExposesOnce: CORS lists Authorization among the
// exposed headers already; a renewal in it does not list it again.
func TestRenewalBehindCORSExposesOnce(t *testing.T) {
	users := memstore.NewUsers(memstore.BcryptCost(bcrypt.MinCost))
	if err := users.Add(gqljwt.User{ID: "1", Username: "alice", Active: true}, "pw"); err != nil {
		t.Fatal(err)
	}
	auth, err := gqljwt.New(gqljwt.Config{Secret: []byte("sliding-secret-0123456789abcdef-0123"), Users: users})
	if err != nil {
		t.Fatal(err)
	}
	cors, err := middleware.CORS(middleware.CORSOptions{Origins: []string{"https://app.example"}})
	if err != nil {
		t.Fatal(err)
	}
	h := cors(middleware.Verifier(auth)(middleware.RenewHeader(auth, "authorization")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))))
	u, _ := users.UserByID(context.Background(), "1")
	sess, err := auth.StartSession(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Authorization", "Bearer "+sess.Access.Value)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Header().Values("Access-Control-Expose-Headers"); rec.Header().Get("Authorization") == "" || len(got) != 1 || got[0] != "Authorization" {
		t.Errorf("Authorization %q, Access-Control-Expose-Headers %q", rec.Header().Get("Authorization"), got)
	}
}
