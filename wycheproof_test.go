package gqljwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// wycheproofFile holds Wycheproof's JSON Web Signature vectors; see
// testdata/wycheproof/README.md for their source, licence and how gqljwt
// treats them.
const wycheproofFile = "testdata/wycheproof/json_web_signature_test.json"

type wycheproofVectors struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		Comment string          `json:"comment"`
		Private json.RawMessage `json:"private"`
		Public  json.RawMessage `json:"public"`
		Tests   []struct {
			TcID    int    `json:"tcId"`
			Comment string `json:"comment"`
			JWS     string `json:"jws"`
			Result  string `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

func readWycheproof(t *testing.T) *wycheproofVectors {
	t.Helper()
	b, err := os.ReadFile(wycheproofFile)
	if err != nil {
		t.Fatal(err)
	}
	var v wycheproofVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range v.TestGroups {
		n += len(g.Tests)
	}
	if n != v.NumberOfTests || n != 401 {
		t.Fatalf("%s holds %d vectors, says %d: not the file the README describes", wycheproofFile, n, v.NumberOfTests)
	}
	return &v
}

// wycheproofDeviations are the vectors Wycheproof calls valid that gqljwt
// refuses at the JWS level, on purpose, and why.
var wycheproofDeviations = map[int]string{
	259: "empty payload: a JWT's payload is a JSON object, never empty, so wellFormed refuses empty segments",
	372: "a '?' inside the header segment: not a base64url character (RFC 7515 §2); lenient decoders skip it, gqljwt refuses the token",
	373: "a '?' inside the payload segment: as 372",
}

// wycheproofDefective are invalid vectors whose bytes are those of a valid
// one (their padding was lost upstream), so that no implementation can
// give both results; they get the result of the vector they copy.
var wycheproofDefective = map[int]int{367: 357, 370: 357}

// wycheproofKey turns a vector group's key into the Config of the gqljwt
// service that would hold it, or says why there is none: gqljwt takes raw
// keys of its four algorithms, and a key whose JWK says it is not for
// verifying signatures (use "enc", key_ops without "verify") is one a
// deployment would not configure. As in Wycheproof's own harness, the
// public JWK, when there is one, says what the key is for; the private
// one supplies the key.
func wycheproofKey(private, public json.RawMessage) (Config, string) {
	raw := private
	if public != nil {
		raw = public
	}
	var meta struct {
		Alg    string   `json:"alg"`
		Kid    string   `json:"kid"`
		Use    string   `json:"use"`
		KeyOps []string `json:"key_ops"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return Config{}, err.Error()
	}
	if meta.Use != "" && meta.Use != "sig" {
		return Config{}, "a key for use " + meta.Use
	}
	if meta.KeyOps != nil && !slices.Contains(meta.KeyOps, "verify") {
		return Config{}, "a key without the verify operation"
	}
	switch meta.Alg {
	case "", HS256, RS256, ES256, EdDSA:
	default:
		return Config{}, "a key for " + meta.Alg
	}
	key, err := jwk.ParseKey(private)
	if err != nil {
		return Config{}, err.Error()
	}
	var k any
	if err := jwk.Export(key, &k); err != nil {
		return Config{}, err.Error()
	}
	cfg := Config{SigningKey: Key{ID: meta.Kid}}
	switch k := k.(type) {
	case []byte:
		cfg.Algorithm, cfg.SigningKey.Secret = HS256, k
	case *rsa.PrivateKey:
		cfg.Algorithm, cfg.SigningKey.Private = RS256, k
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return Config{}, "an EC key on " + k.Curve.Params().Name
		}
		cfg.Algorithm, cfg.SigningKey.Private = ES256, k
	default:
		return Config{}, "a key of a type gqljwt does not take"
	}
	if meta.Alg != "" && meta.Alg != cfg.Algorithm {
		return Config{}, "a " + cfg.Algorithm + " key for " + meta.Alg
	}
	return cfg, ""
}

// jwsLevel is gqljwt's verification up to the claims: the compact
// serialization checks, the header (algorithm pin, kid, refused members)
// and the signature, with the pinned algorithm and the key the kid
// selects. jws.Verify stands in for jwtauth's Decode, which also parses
// the payload as claims (Wycheproof payloads are not claims).
func jwsLevel(cfg Config, ring *keyring, token string) bool {
	if !wellFormed(token, cfg.MaxTokenSize) {
		return false
	}
	if _, ok := ring.verifierFor(token); !ok {
		return false
	}
	verifyKey := any(cfg.SigningKey.Secret)
	if cfg.Algorithm != HS256 {
		verifyKey = cfg.SigningKey.Private.Public()
	}
	alg, _ := jwa.LookupSignatureAlgorithm(cfg.Algorithm)
	_, err := jws.Verify([]byte(token), jws.WithKey(alg, verifyKey), jws.WithCompact())
	return err == nil
}

// TestWycheproofJWS runs every Wycheproof JWS vector against the service
// holding its group's key, for the groups whose keys gqljwt takes: each
// must get Wycheproof's result at the JWS level (deviations above), and
// every one, valid or not, is refused by Verify, since none carries
// claims. Vectors of groups for algorithms gqljwt does not support
// (RS384, PS256, ES512, ...) must be refused at the JWS level by every
// service that holds a supported key. Groups of keys not meant for
// signatures reuse the bytes of valid vectors: no service holds their
// keys, so they are not run (the middleware's replay still sends them).
func TestWycheproofJWS(t *testing.T) {
	v := readWycheproof(t)
	type service struct {
		name string
		cfg  Config
		ring *keyring
		svc  *Service
	}
	var services []service
	supported := map[int]int{} // group index -> services index
	notForSignatures := map[int]bool{}
	byID := map[int]string{}
	for i, g := range v.TestGroups {
		for _, tc := range g.Tests {
			byID[tc.TcID] = tc.JWS
		}
		cfg, why := wycheproofKey(g.Private, g.Public)
		if why != "" {
			t.Logf("group %d (%s): not applicable, %s", i, g.Comment, why)
			notForSignatures[i] = strings.Contains(why, "use") || strings.Contains(why, "verify")
			continue
		}
		svc, err := New(cfg)
		if err != nil {
			t.Fatalf("group %d (%s): New: %v", i, g.Comment, err)
		}
		supported[i] = len(services)
		services = append(services, service{name: g.Comment, cfg: svc.cfg, ring: svc.ring.Load(), svc: svc})
	}
	counts := map[string]int{}
	for i, g := range v.TestGroups {
		si, ok := supported[i]
		for _, tc := range g.Tests {
			if notForSignatures[i] {
				counts["key not for signatures, not run"]++
				continue
			}
			if !ok {
				for _, s := range services {
					if jwsLevel(s.cfg, s.ring, tc.JWS) {
						t.Errorf("tcId %d (%s, unsupported key): verified by the %s service", tc.TcID, tc.Comment, s.name)
					}
				}
				counts["not applicable, refused by every service"]++
				continue
			}
			s := services[si]
			got := jwsLevel(s.cfg, s.ring, tc.JWS)
			want := tc.Result == "valid"
			why, deviates := wycheproofDeviations[tc.TcID]
			if copied, defective := wycheproofDefective[tc.TcID]; defective {
				if tc.JWS != byID[copied] {
					t.Fatalf("tcId %d is no longer tcId %d's bytes: update wycheproofDefective", tc.TcID, copied)
				}
				t.Logf("tcId %d (%s): defective, the bytes of tcId %d; verifies=%v", tc.TcID, tc.Comment, copied, got)
				want = true
				counts["defective, result of the vector copied"]++
			}
			switch {
			case deviates && (!want || got):
				t.Errorf("tcId %d (%s): listed as a deviation, but Wycheproof says %s and gqljwt verifies=%v", tc.TcID, tc.Comment, tc.Result, got)
			case deviates:
				t.Logf("tcId %d (%s): valid for Wycheproof, refused: %s", tc.TcID, tc.Comment, why)
				counts["valid, refused by design"]++
			case got != want:
				t.Errorf("tcId %d (%s): Wycheproof says %s, gqljwt's JWS-level verification says %v", tc.TcID, tc.Comment, tc.Result, got)
			case wycheproofDefective[tc.TcID] == 0:
				counts[tc.Result+", as Wycheproof expects"]++
			}
			if id, err := s.svc.Verify(context.Background(), tc.JWS); err == nil || CodeOf(err) != CodeTokenInvalid {
				t.Errorf("tcId %d (%s): Verify = %v, %v; want TOKEN_INVALID (no claims)", tc.TcID, tc.Comment, id, err)
			}
		}
	}
	t.Logf("Wycheproof JWS vectors: %v", counts)
	if counts["valid, as Wycheproof expects"] == 0 || counts["invalid, as Wycheproof expects"] == 0 {
		t.Fatalf("no vector of one kind was checked: %v", counts)
	}
}
