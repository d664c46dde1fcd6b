package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, u string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// TestGraphiQLPage: a browser's GET of any endpoint gets the GraphiQL page
// under its CSP, whose scripts and styles are served from the binary with
// their content types; API clients' GETs still reach GraphQL, and a URL's
// query string never reaches the page.
func TestGraphiQLPage(t *testing.T) {
	s := newServer(t, options{})
	assets := regexp.MustCompile(`(?:src|href)="(/graphiql/[^"]+)"`)
	for _, ep := range s.app.endpoints {
		resp, page := get(t, s.url+ep.path+"?query=%7Bposts%7Btitle%7D%7D&variables=%7B%22password%22%3A%22from-the-url%22%7D", "Accept", browserAccept)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
			resp.Header.Get("Content-Security-Policy") != graphiqlCSP || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: %d %v", ep.path, resp.StatusCode, resp.Header)
		}
		if !strings.Contains(page, `data-endpoint="`+ep.path+`"`) || strings.Contains(page, "from-the-url") || strings.Contains(page, "posts{title}") {
			t.Errorf("%s: page %s", ep.path, page)
		}
		found := assets.FindAllStringSubmatch(page, -1)
		if len(found) != 6 {
			t.Fatalf("%s: assets %v", ep.path, found)
		}
		for _, a := range found {
			resp, body := get(t, s.url+a[1])
			want := "text/javascript; charset=utf-8"
			if strings.HasSuffix(a[1], ".css") {
				want = "text/css; charset=utf-8"
			}
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != want || len(body) == 0 {
				t.Errorf("%s: %d %q", a[1], resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}

		// An API client's GET query, and a browser's with ?raw, run.
		q := "?query=" + url.QueryEscape("{ posts { title } }")
		for _, c := range []struct{ query, accept string }{{q, "application/json"}, {q, ""}, {q + "&raw", browserAccept}} {
			resp, body := get(t, s.url+ep.path+c.query, "Accept", c.accept)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"Hello, gqljwt"`) {
				t.Errorf("%s GET %s (Accept %q): %d %s", ep.path, c.query, c.accept, resp.StatusCode, body)
			}
		}
	}
	for path, want := range map[string]int{
		"/graphiql/LICENSE.graphiql":  http.StatusOK,
		"/graphiql/LICENSE.react":     http.StatusOK,
		"/graphiql/LICENSE.react-dom": http.StatusOK,
		"/graphiql/page.html":         http.StatusNotFound,
		"/graphiql/update.sh":         http.StatusNotFound,
		"/graphiql/VERSIONS":          http.StatusNotFound,
		"/graphiql/..%2fapp.go":       http.StatusNotFound,
		"/graphiql/nothing.js":        http.StatusNotFound,
		"/graphiql/":                  http.StatusNotFound,
	} {
		if resp, _ := get(t, s.url+path); resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestGraphiQLDefaultQueries runs each endpoint's first document as its
// comments tell a user to: Login, then Me with the token in the header
// the comments name.
func TestGraphiQLDefaultQueries(t *testing.T) {
	s := newServer(t, options{})
	scheme := regexp.MustCompile(`\{"Authorization": "(\w+) <`)
	jwt := regexp.MustCompile(`eyJ[\w-]+\.[\w-]+\.[\w-]+`)
	for _, ep := range s.app.endpoints {
		doc := graphiqlQueries[ep.path]
		m := scheme.FindStringSubmatch(doc)
		if m == nil {
			t.Fatalf("%s: no default query, or no Authorization header in it: %q", ep.path, doc)
		}
		login := s.operation(ep.path, doc, "Login")
		// The token is in the body, or (Toggle) in the response header.
		token := jwt.FindString(login.raw)
		if token == "" {
			token = strings.TrimPrefix(login.header.Get("Authorization"), "Bearer ")
		}
		if token == "" || login.get("errors") != nil {
			t.Fatalf("%s: Login: %s", ep.path, login.raw)
		}
		me := s.operation(ep.path, doc, "Me", "Authorization", m[1]+" "+token)
		if !regexp.MustCompile(`"username":"\w+"`).MatchString(me.raw) || me.get("errors") != nil {
			t.Errorf("%s: Me: %s", ep.path, me.raw)
		}
	}
}

// operation POSTs doc as GraphiQL's fetcher does, running operationName.
func (s *server) operation(path, doc, operationName string, headers ...string) *reply {
	s.t.Helper()
	b, _ := json.Marshal(map[string]any{"query": doc, "operationName": operationName})
	req, _ := http.NewRequest(http.MethodPost, s.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return s.send(req)
}

// TestGraphiQLInBrowser loads the GraphiQL page of /graphql and /graphene
// in headless Chromium (e2e/graphiql.mjs): it logs in, puts the token into
// the headers editor, runs me and checks the answer, with every request
// outside the server refused, and leaves a screenshot of each page.
func TestGraphiQLInBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		requireTool(t, "chromium is not on PATH")
	}
	node := nodeScript(t, "playwright-core")
	s := newServer(t, options{})
	dir := artifactsDir(t)
	out := runNode(t, node, "graphiql.mjs", 3*time.Minute, []string{"CHROMIUM=" + chromium}, s.url, dir)
	for _, want := range []string{"/graphql: logged in as alice", "/graphene: logged in as bob"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the script's output", want)
		}
	}
	t.Logf("screenshots in %s", dir)
}
