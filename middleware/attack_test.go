package middleware_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/handler"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/gqljwt/gqljwt/middleware"
)

// attackEnv is the stack a deployment runs: chi, middleware.Verifier and
// graphql-go's handler, with Query.me guarded by directives.Apply.
type attackEnv struct {
	name string
	r    http.Handler
}

func newAttackEnv(t testing.TB, name string, auth *gqljwt.Service) *attackEnv {
	t.Helper()
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
			"hello": {Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return "world", nil }},
			"me": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
				id, err := gqljwt.FromContext(p.Context)
				if err != nil {
					return nil, err
				}
				return id.Subject, nil
			}},
		}}),
		Directives: directives.Directives(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := directives.Apply(&schema, map[string]directives.Rule{"Query.me": directives.Authenticated()}); err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(middleware.Verifier(auth))
	r.Handle("/graphql", handler.New(&handler.Config{Schema: &schema}))
	return &attackEnv{name: name, r: r}
}

// me sends { me } with the token as a bearer token, in process: the
// corpus holds tokens (newlines, NUL) that an HTTP client would refuse to
// send but that the middleware must still handle.
func (e *attackEnv) me(token string) (int, string) {
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ me }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header["Authorization"] = []string{"Bearer " + token}
	rec := httptest.NewRecorder()
	e.r.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// attackBody is the exact response to { me } for a wanted outcome.
func attackBody(want string) string {
	if want == "OK" {
		return `{"data":{"me":"u1"}}`
	}
	return `{"data":{"me":null},"errors":[{"message":"Unauthorized","locations":[{"line":1,"column":3}],"path":["me"],"extensions":{"code":"UNAUTHENTICATED","reason":"` + want + `"}}]}`
}

// attackCategories are the kinds of attack each algorithm's corpus must
// hold, so that a shrinking generator cannot pass unnoticed.
var attackCategories = []string{
	"alg-none", "alg-switch", "b64", "claims", "control", "crit", "embedded-key", "format",
	"json-serialization", "key-confusion", "kid-injection", "signature", "tampered",
}

// TestAttackCorpus replays testdata/attacks/corpus.json through the real
// middleware of a service of each algorithm: not one forged or malformed
// token may be accepted, each must leave the guarded field UNAUTHENTICATED
// with the corpus's reason, twice (the second time past the verified-token
// cache), and the controls must pass before and after.
func TestAttackCorpus(t *testing.T) {
	keys := loadAttackKeys(t, false)
	b, err := os.ReadFile(attackCorpus)
	if err != nil {
		t.Fatalf("%v (generate it with -update-attacks)", err)
	}
	var cases []attackCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	envs := map[string]*attackEnv{}
	for _, alg := range attackAlgs {
		envs[alg] = newAttackEnv(t, alg, attackService(t, keys, alg))
	}
	count := map[string]map[string]int{} // alg -> category -> cases
	attacks := 0
	runControls := func(when string) {
		t.Helper()
		for _, c := range cases {
			if c.Want != "OK" {
				continue
			}
			if code, body := envs[c.Alg].me(c.Token); code != http.StatusOK || body != attackBody("OK") {
				t.Fatalf("%s, control %s/%s: %d %s", when, c.Alg, c.Name, code, body)
			}
		}
	}
	runControls("before the attacks")
	for _, c := range cases {
		env, ok := envs[c.Alg]
		if !ok {
			t.Fatalf("case %s/%s: algorithm %q", c.Category, c.Name, c.Alg)
		}
		if count[c.Alg] == nil {
			count[c.Alg] = map[string]int{}
		}
		count[c.Alg][c.Category]++
		if c.Want != "OK" {
			attacks++
		}
		want := attackBody(c.Want)
		for _, pass := range []string{"first", "second"} {
			code, body := env.me(c.Token)
			if code != http.StatusOK || body != want {
				accepted := ""
				if strings.Contains(body, `"me":"`) {
					accepted = "ACCEPTED: "
				}
				t.Errorf("%s%s %s/%s, %s request: %d %s\nwant %s", accepted, c.Alg, c.Category, c.Name, pass, code, body, want)
				break
			}
		}
	}
	runControls("after the attacks")

	if attacks < 450 {
		t.Errorf("the corpus holds %d attacks, want at least 450", attacks)
	}
	var summary []string
	for _, alg := range attackAlgs {
		for _, cat := range attackCategories {
			if count[alg][cat] == 0 {
				t.Errorf("%s: no case of category %s", alg, cat)
			}
		}
		cats := make([]string, 0, len(count[alg]))
		for cat, n := range count[alg] {
			cats = append(cats, fmt.Sprintf("%s %d", cat, n))
		}
		sort.Strings(cats)
		summary = append(summary, alg+": "+strings.Join(cats, ", "))
	}
	t.Logf("%d attacks, %d cases:\n%s", attacks, len(cases), strings.Join(summary, "\n"))
}

// wycheproofPath is the root package's copy of Wycheproof's vectors.
const wycheproofPath = "../testdata/wycheproof/json_web_signature_test.json"

// TestWycheproofThroughMiddleware sends every Wycheproof JWS vector through
// the middleware of a service holding each key of the file that gqljwt can
// hold (whatever the key's JWK says it is for: a deployment that
// configured an encryption key must still be safe). None may be accepted:
// the valid ones are JWSs, not JWTs of ours; each is TOKEN_INVALID.
func TestWycheproofThroughMiddleware(t *testing.T) {
	b, err := os.ReadFile(wycheproofPath)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		TestGroups []struct {
			Comment string          `json:"comment"`
			Private json.RawMessage `json:"private"`
			Tests   []struct {
				TcID    int    `json:"tcId"`
				Comment string `json:"comment"`
				JWS     string `json:"jws"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var envs []*attackEnv
	seen := map[string]bool{}
	for _, g := range v.TestGroups {
		cfg, ok := wycheproofConfig(t, g.Private)
		if !ok || seen[string(g.Private)] {
			continue
		}
		seen[string(g.Private)] = true
		s, err := gqljwt.New(cfg)
		if err != nil {
			t.Fatalf("group %s: %v", g.Comment, err)
		}
		envs = append(envs, newAttackEnv(t, g.Comment+"/"+cfg.SigningKey.ID, s))
	}
	if len(envs) < 7 {
		t.Fatalf("only %d services hold Wycheproof keys", len(envs))
	}
	want := attackBody("TOKEN_INVALID")
	n := 0
	for _, g := range v.TestGroups {
		for _, tc := range g.Tests {
			for _, e := range envs {
				n++
				if code, body := e.me(tc.JWS); code != http.StatusOK || body != want {
					t.Errorf("tcId %d (%s/%s) on the %s service: %d %s", tc.TcID, g.Comment, tc.Comment, e.name, code, body)
				}
			}
		}
	}
	t.Logf("%d requests: every Wycheproof vector through %d services", n, len(envs))
}

// wycheproofConfig is the Config of a service holding a Wycheproof key,
// when gqljwt can hold it: a secret of 32 bytes or more (HS256), an RSA
// key of 2048 bits or more (RS256), a P-256 key (ES256).
func wycheproofConfig(t *testing.T, raw json.RawMessage) (gqljwt.Config, bool) {
	t.Helper()
	var kid struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &kid); err != nil {
		t.Fatal(err)
	}
	key, err := jwk.ParseKey(raw)
	if err != nil {
		return gqljwt.Config{}, false // ES521, a name jwx refuses
	}
	var k any
	if err := jwk.Export(key, &k); err != nil {
		t.Fatal(err)
	}
	cfg := gqljwt.Config{SigningKey: gqljwt.Key{ID: kid.Kid}, Now: func() time.Time { return attackNow }}
	switch k := k.(type) {
	case []byte:
		cfg.Algorithm, cfg.SigningKey.Secret = gqljwt.HS256, k
	case *rsa.PrivateKey:
		cfg.Algorithm, cfg.SigningKey.Private = gqljwt.RS256, k
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return gqljwt.Config{}, false
		}
		cfg.Algorithm, cfg.SigningKey.Private = gqljwt.ES256, k
	default:
		return gqljwt.Config{}, false
	}
	return cfg, true
}
