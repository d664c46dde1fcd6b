package main

import (
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gqljwt/gqljwt"
)

// loginCase is one endpoint's password login as its seed documents it.
type loginCase struct {
	path string
	// byEmail: the operation takes an email, not a username.
	byEmail bool
	// code and message of the refusal, in the preset's vocabulary.
	code, message string
	send          func(t *testing.T, s *server, login, password string) *reply
}

// classicTokenAuth is django-graphql-jwt's tokenAuth without input:, as
// /graphene and /graphql take it.
const classicTokenAuth = `mutation TokenAuth($username: String!, $password: String!) {
  tokenAuth(username: $username, password: $password) {
    token
    refreshToken
    user {
      id
    }
  }
}`

// byVars sends the operation op returns with the login and the password
// as variables.
func byVars(path, loginVar string, op func(*testing.T) string) func(*testing.T, *server, string, string) *reply {
	return func(t *testing.T, s *server, login, password string) *reply {
		return s.post(path, op(t), map[string]any{loginVar: login, "password": password})
	}
}

func passwordLogins() []loginCase {
	const invalid, message = "INVALID_CREDENTIALS", "Please enter valid credentials"
	classic := func(*testing.T) string { return classicTokenAuth }
	return []loginCase{
		{path: "/graphql", code: invalid, message: message, send: byVars("/graphql", "username", classic)},
		{path: "/graphene", code: invalid, message: message, send: byVars("/graphene", "username", classic)},
		{path: "/graphene-relay", code: invalid, message: message, send: byVars("/graphene-relay", "username",
			func(t *testing.T) string { return operation(t, seed(t, "000"), "mutation TokenAuth(", 0) })},
		{path: "/service/Auth", code: invalid, message: message,
			send: func(t *testing.T, s *server, login, password string) *reply {
				// The seed's login query carries its credentials inline.
				op := operation(t, seed(t, "001"), "query {\nlogin(", 0)
				op = strings.Replace(op, `"my_api_login_name"`, `"`+login+`"`, 1)
				op = strings.Replace(op, `"my_api_password"`, `"`+password+`"`, 1)
				return s.post("/service/Auth", op, nil)
			}},
		{path: "/wpgraphql", code: invalid, message: "The user could not be logged in.", send: byVars("/wpgraphql", "username",
			func(t *testing.T) string { return wpOperation(t, seed(t, "002"), "mutation loginWithPassword(") })},
		{path: "/toggle", code: invalid, message: message, send: byVars("/toggle", "username",
			func(t *testing.T) string { return operation(t, seed(t, "003"), "query($email:String", 0) })},
		{path: "/de", byEmail: true, code: "INTERNAL_SERVER_ERROR", message: "Incorrect email or password", send: byVars("/de", "email",
			func(t *testing.T) string { return operation(t, seed(t, "004"), "mutation Login(", 0) })},
	}
}

// TestDisabledUserIsNotEnumerable: on every endpoint, dave (disabled)
// with his right password gets the answer alice gets with a wrong one and
// an unknown user gets: same status, same headers, same body. Anything
// else would tell an attacker which accounts exist and which are disabled.
func TestDisabledUserIsNotEnumerable(t *testing.T) {
	for _, c := range passwordLogins() {
		t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
			// A server per endpoint: the throttle counts every failure of
			// the address, and these would add up across endpoints.
			s := newServer(t, options{})
			name := func(u string) string {
				if c.byEmail {
					return u + "@example.com"
				}
				return u
			}
			attempts := []struct {
				what            string
				login, password string
			}{
				{"alice, wrong password", name("alice"), "wrong-password"},
				{"unknown user", name("nobody"), "dave-password"},
				{"dave, disabled, right password", name("dave"), "dave-password"},
			}
			var first *reply
			for _, a := range attempts {
				r := c.send(t, s, a.login, a.password)
				if r.status != http.StatusOK || r.str("errors", 0, "extensions", "code") != c.code || r.str("errors", 0, "message") != c.message {
					t.Errorf("%s: %d %s, want code %s, message %q", a.what, r.status, r.raw, c.code, c.message)
				}
				if strings.Contains(r.raw, "eyJ") || r.header.Get("Authorization") != "" {
					t.Errorf("%s: a token came back: %s %v", a.what, r.raw, r.header)
				}
				if first == nil {
					first = r
					continue
				}
				if r.raw != first.raw {
					t.Errorf("%s answers\n%s\nwhere %s answers\n%s", a.what, r.raw, attempts[0].what, first.raw)
				}
				if got, want := headersBut(r.header, "Date"), headersBut(first.header, "Date"); !maps.EqualFunc(got, want, equalValues) {
					t.Errorf("%s: headers %v, %s: %v", a.what, got, attempts[0].what, want)
				}
			}
			// The right password of an active user still works: the
			// refusals above are not a broken login.
			if r := c.send(t, s, name("carol"), "carol-password"); r.get("errors") != nil {
				t.Errorf("carol: %s", r.raw)
			}
		})
	}
}

func headersBut(h http.Header, skip ...string) http.Header {
	out := h.Clone()
	for _, k := range skip {
		out.Del(k)
	}
	return out
}

func equalValues(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

// TestBannerListsEveryDemoUser: the start-up banner names each demo user,
// says which is disabled, and survives a user without roles.
func TestBannerListsEveryDemoUser(t *testing.T) {
	saved := demoUsers
	t.Cleanup(func() { demoUsers = saved })
	demoUsers = append(slices.Clone(saved), demoUser{gqljwt.User{ID: "9", Username: "norole", Active: true}, "norole-password"})
	out := captureStdout(t, func() { printBanner(&app{}, ":8080") })
	for _, want := range []string{
		"  alice  alice-password   ADMIN   [read:posts write:posts]\n",
		"  dave   dave-password    VIEWER  [read:posts] (disabled: login fails as with a wrong password)\n",
		"  norole norole-password  -       []\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
}

func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = saved }()
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	f()
	w.Close()
	return <-done
}
