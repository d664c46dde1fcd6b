package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

var testSecret = []byte("quick-start-test-secret-0123456789")

// quickStartSection is the README's "## Quick start" section.
func quickStartSection(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	from := strings.Index(s, "\n## Quick start\n")
	if from < 0 {
		t.Fatal("README has no Quick start section")
	}
	s = s[from+1:]
	if to := strings.Index(s, "\n## "); to >= 0 {
		s = s[:to]
	}
	return s
}

// TestREADMEShowsTheProgram: the README shows main.go as it is, so that
// what users paste is what CI builds and these tests run.
func TestREADMEShowsTheProgram(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(quickStartSection(t), "```go\n"+string(src)+"```\n") {
		t.Error("README's quick start does not show examples/quickstart/main.go as it is")
	}
}

func post(t *testing.T, url, body string, headers ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestQuickStart: the program over real HTTP, with exact answers: a login,
// the guarded fields with and without its token, a refresh, and a weak
// secret refused at start-up.
func TestQuickStart(t *testing.T) {
	t.Parallel() // bcrypt at its default cost, slow under -race
	if _, err := newRouter([]byte("too-short")); err == nil || err.Error() != "gqljwt: signing key: HS256 secret is 9 bytes, at least 32 are required" {
		t.Errorf("a short secret: %v", err)
	}
	h, err := newRouter(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	const jsonCT = "application/json"
	status, login := post(t, srv.URL, `{"query": "mutation { tokenAuth(username: \"ann\", password: \"ann-password\") { token refreshToken } }"}`, "Content-Type", jsonCT)
	var pair struct {
		Data struct {
			TokenAuth struct{ Token, RefreshToken string }
		}
	}
	if err := json.Unmarshal([]byte(login), &pair); status != 200 || err != nil || pair.Data.TokenAuth.Token == "" || pair.Data.TokenAuth.RefreshToken == "" {
		t.Fatalf("login: %d %s", status, login)
	}
	cases := []struct {
		name, body, token string
		status            int
		want              string
	}{
		{"guarded fields with the token", `{"query": "{ me drafts }"}`, pair.Data.TokenAuth.Token, 200, `{"data":{"drafts":["a draft"],"me":"ann"}}`},
		{"me without a token", `{"query": "{ me }"}`, "", 200,
			`{"data":{"me":null},"errors":[{"message":"Unauthorized","locations":[{"line":1,"column":3}],"path":["me"],"extensions":{"code":"UNAUTHENTICATED"}}]}`},
		{"drafts with a bad token", `{"query": "{ drafts }"}`, "x.y.z", 200,
			`{"data":{"drafts":null},"errors":[{"message":"Unauthorized","locations":[{"line":1,"column":3}],"path":["drafts"],"extensions":{"code":"UNAUTHENTICATED","reason":"TOKEN_INVALID"}}]}`},
		{"wrong password", `{"query": "mutation { tokenAuth(username: \"ann\", password: \"nope\") { token } }"}`, "", 200,
			`{"data":{"tokenAuth":null},"errors":[{"message":"Please enter valid credentials","locations":[{"line":1,"column":12}],"path":["tokenAuth"],"extensions":{"code":"INVALID_CREDENTIALS"}}]}`},
	}
	for _, c := range cases {
		headers := []string{"Content-Type", jsonCT}
		if c.token != "" {
			headers = append(headers, "Authorization", "Bearer "+c.token)
		}
		if status, got := post(t, srv.URL, c.body, headers...); status != c.status || got != c.want+"\n" && got != c.want {
			t.Errorf("%s: %d %s\nwant %d %s", c.name, status, got, c.status, c.want)
		}
	}
	status, refreshed := post(t, srv.URL, `{"query": "mutation($t: String!) { refreshToken(refreshToken: $t) { token } }", "variables": {"t": "`+pair.Data.TokenAuth.RefreshToken+`"}}`, "Content-Type", jsonCT)
	var fresh struct {
		Data struct{ RefreshToken struct{ Token string } }
	}
	if err := json.Unmarshal([]byte(refreshed), &fresh); status != 200 || err != nil || fresh.Data.RefreshToken.Token == "" {
		t.Fatalf("refresh: %d %s", status, refreshed)
	}
	if _, got := post(t, srv.URL, `{"query": "{ me }"}`, "Content-Type", jsonCT, "Authorization", "Bearer "+fresh.Data.RefreshToken.Token); got != `{"data":{"me":"ann"}}` {
		t.Errorf("me with the refreshed token: %s", got)
	}
}

// TestREADMERecipes runs every curl recipe of the README's quick start,
// as written, against the program, and compares what curl prints with the
// output the README shows ("…" standing for a token). TOKEN and REFRESH
// hold the tokens the last answer carried, as the README asks the reader
// to do.
func TestREADMERecipes(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl is not installed; .ci/run installs it")
		}
		t.Skip("SKIPPED LOUDLY: curl is not installed, the README's recipes are not run (CI installs it)")
	}
	h, err := newRouter(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	type recipe struct{ command, output string }
	var recipes []recipe
	blocks := regexp.MustCompile("(?s)```console\n(.*?)```\n").FindAllStringSubmatch(quickStartSection(t), -1)
	for _, b := range blocks {
		lines := strings.Split(strings.TrimSuffix(b[1], "\n"), "\n")
		for i := 0; i < len(lines); {
			if !strings.HasPrefix(lines[i], "$ ") {
				t.Fatalf("console block line %q is neither a command nor its output", lines[i])
			}
			cmd := strings.TrimPrefix(lines[i], "$ ")
			for i++; strings.HasSuffix(cmd, `\`) && i < len(lines); i++ {
				cmd += "\n" + lines[i]
			}
			var out []string
			for ; i < len(lines) && !strings.HasPrefix(lines[i], "$ "); i++ {
				out = append(out, lines[i])
			}
			recipes = append(recipes, recipe{cmd, strings.Join(out, "\n")})
		}
	}
	if len(recipes) < 5 {
		t.Fatalf("%d recipes found in the README's quick start, want 5 or more", len(recipes))
	}
	env := map[string]string{}
	for _, r := range recipes {
		if !strings.Contains(r.command, "localhost:8080") {
			t.Fatalf("recipe %q does not call localhost:8080", r.command)
		}
		cmd := exec.Command("sh", "-c", strings.ReplaceAll(r.command, "localhost:8080", host))
		cmd.Env = append(os.Environ(), "TOKEN="+env["TOKEN"], "REFRESH="+env["REFRESH"])
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", r.command, err)
		}
		pattern := "^" + strings.ReplaceAll(regexp.QuoteMeta(r.output), "…", "[A-Za-z0-9_.-]+") + "\n?$"
		if !regexp.MustCompile(pattern).Match(got) {
			t.Errorf("%s\n got %s\nwant %s", r.command, got, r.output)
		}
		// The tokens of a login or a refresh go into TOKEN and REFRESH.
		var answer struct {
			Data map[string]struct{ Token, RefreshToken string }
		}
		if json.Unmarshal(got, &answer) == nil {
			for _, pair := range answer.Data {
				if pair.Token != "" {
					env["TOKEN"], env["REFRESH"] = pair.Token, pair.RefreshToken
				}
			}
		}
	}
	if env["TOKEN"] == "" {
		t.Error("no recipe logged in")
	}
}
