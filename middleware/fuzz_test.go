package middleware_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/jwtauth/v5"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/middleware"
)

// fuzzNow is the fixed clock of FuzzExtract's service. Fuzzing runs the
// target in several processes, so the seeded tokens must be identical in
// each: they are signed from fixed claims, as gqljwt issues them.
var fuzzNow = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

func forgeHS256(key []byte, sub, jti string, iatOffset time.Duration) string {
	iat := fuzzNow.Add(iatOffset).Unix()
	claims := `{"exp":` + strconv.FormatInt(iat+900, 10) + `,"iat":` + strconv.FormatInt(iat, 10) + `,"jti":"` + jti +
		`","origIat":` + strconv.FormatInt(iat, 10) + `,"sid":"` + sessionID(jti) + `","sub":"` + sub + `","typ":"access"}`
	in := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// FuzzExtract sends arbitrary Authorization, query and Cookie values
// through RedactQueryToken and a Verifier with every extractor. It must
// never panic, never authenticate anything but one of the two valid tokens
// (not the revoked, expired or foreign ones), always leave exactly one of
// identity and error, keep jwtauth's view consistent, and always redact the
// query token.
func FuzzExtract(f *testing.F) {
	auth := newService(f, gqljwt.Config{Now: func() time.Time { return fuzzNow }})
	valid := map[string]string{
		forgeHS256(secret, "u1", "j1", 0):            "u1",
		forgeHS256(secret, "u2", "j2", -time.Minute): "u2",
	}
	for tok, sub := range valid {
		if id, err := auth.Verify(context.Background(), tok); err != nil || id.Subject != sub {
			f.Fatalf("seed token for %s: %v", sub, err)
		}
	}
	revoked := forgeHS256(secret, "u3", "j3", 0)
	id, err := auth.Verify(context.Background(), revoked)
	if err != nil {
		f.Fatal(err)
	}
	if err := auth.RevokeAccessToken(context.Background(), id); err != nil {
		f.Fatal(err)
	}
	expired := forgeHS256(secret, "u4", "j4", -time.Hour)
	foreign := forgeHS256(otherSecret, "u1", "j1", 0)
	var good string
	for tok := range valid {
		good = tok
		break
	}

	type seen struct {
		id       *gqljwt.Identity
		err      error
		jwtTok   bool
		jwtErr   error
		rawQuery string
	}
	var last seen
	probe := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		last.id, last.err = gqljwt.FromContext(r.Context())
		tok, _, jerr := jwtauth.FromContext(r.Context())
		last.jwtTok, last.jwtErr = tok != nil, jerr
		last.rawQuery = r.URL.RawQuery
	})
	h := middleware.RedactQueryToken("jwt")(middleware.Verifier(auth,
		middleware.FromHeader("JWT"), middleware.FromQuery("jwt"), middleware.FromCookie("jwt"))(probe))

	for _, tok := range []string{good, revoked, expired, foreign, "", "a.b.c", good[:len(good)-1]} {
		f.Add("Bearer "+tok, "", "")
		f.Add("bearer  "+tok, "", "")
		f.Add("JWT "+tok, "", "")
		f.Add("", "jwt="+tok, "")
		f.Add("", "a=1&jwt="+url.QueryEscape(tok)+"&jwt=x", "")
		f.Add("", "", "jwt="+tok)
		f.Add("Basic Zm9vOmJhcg==", "jwt="+tok, "jwt="+tok)
	}
	f.Add("Bearer", "x=%zz", "jwt=")
	f.Add("", "x=%zz;jwt="+good, "")
	f.Add("Bearer\t"+good, "jwt", `jwt="`+good+`"`)
	f.Add(strings.Repeat("Bearer ", 100), strings.Repeat("&", 100), strings.Repeat(";", 100))

	f.Fuzz(func(t *testing.T, authz, rawQuery, cookie string) {
		r := &http.Request{
			Method:     http.MethodGet,
			URL:        &url.URL{Path: "/graphql", RawQuery: rawQuery},
			RequestURI: "/graphql?" + rawQuery,
			Header:     http.Header{},
			Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		}
		r = r.WithContext(context.Background())
		if authz != "" {
			r.Header["Authorization"] = []string{authz}
		}
		if cookie != "" {
			r.Header["Cookie"] = []string{cookie}
		}
		last = seen{}
		h.ServeHTTP(nopWriter{}, r)

		if (last.id == nil) == (last.err == nil) {
			t.Fatalf("identity %v and error %v: want exactly one", last.id, last.err)
		}
		if last.id != nil {
			sub, ok := valid[last.id.Token]
			if !ok || last.id.Subject != sub {
				t.Fatalf("authenticated %q (subject %q), which is not a valid token", last.id.Token, last.id.Subject)
			}
			if !last.jwtTok || last.jwtErr != nil {
				t.Fatalf("jwtauth sees token=%v err=%v for an authenticated request", last.jwtTok, last.jwtErr)
			}
		} else {
			switch gqljwt.CodeOf(last.err) {
			case gqljwt.CodeUnauthenticated, gqljwt.CodeTokenInvalid, gqljwt.CodeTokenExpired, gqljwt.CodeTokenRevoked:
			default:
				t.Fatalf("unexpected error %v", last.err)
			}
			if last.jwtTok || last.jwtErr != last.err {
				t.Fatalf("jwtauth sees token=%v err=%v, want no token and %v", last.jwtTok, last.jwtErr, last.err)
			}
		}
		// The header is tried first: an exact Bearer header decides.
		if sub, ok := valid[strings.TrimPrefix(authz, "Bearer ")]; ok && strings.HasPrefix(authz, "Bearer ") {
			if last.id == nil || last.id.Subject != sub {
				t.Fatalf("valid Bearer header not authenticated: %v", last.err)
			}
		}
		if authz == "" && rawQuery == "" && cookie == "" && !errorsIsNoToken(last.err) {
			t.Fatalf("no credentials at all, but error %v", last.err)
		}
		// Redaction: downstream never sees the query token.
		values, perr := url.ParseQuery(rawQuery)
		switch {
		case rawQuery == "":
		case perr != nil:
			if last.rawQuery != middleware.Redacted {
				t.Fatalf("unparsable query %q passed on as %q", rawQuery, last.rawQuery)
			}
		case values.Has("jwt"):
			after, err := url.ParseQuery(last.rawQuery)
			if err != nil || len(after["jwt"]) != 1 || after["jwt"][0] != middleware.Redacted {
				t.Fatalf("query %q passed on as %q", rawQuery, last.rawQuery)
			}
		}
	})
}

func errorsIsNoToken(err error) bool { return errors.Is(err, jwtauth.ErrNoTokenFound) }

// nopWriter is a ResponseWriter that discards everything.
type nopWriter struct{}

func (nopWriter) Header() http.Header         { return http.Header{} }
func (nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (nopWriter) WriteHeader(int)             {}

// sessionID makes a sid of the shape gqljwt issues (22 canonical base64url
// characters) from seed.
func sessionID(seed string) string {
	return (seed + strings.Repeat("A", 22))[:21] + "A"
}
