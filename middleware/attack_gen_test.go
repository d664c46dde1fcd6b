package middleware_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"hash"
	"iter"
	"maps"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

// The attack corpus: forged and malformed tokens against a service of each
// algorithm gqljwt supports, written to testdata/attacks/corpus.json by
// the generator below and replayed through the real middleware by
// TestAttackCorpus. Regenerate it (after changing the generator) with
//
//	go test ./middleware -run TestGenerateAttackCorpus -update-attacks
//
// Without the flag the test regenerates the corpus in memory and fails
// unless it is byte for byte the committed file: the corpus is
// reproducible and cannot drift from the code that explains it. Every
// signature is deterministic (HMAC, RSA PKCS #1 v1.5, PSS with a zero
// salt source, ECDSA per RFC 6979, Ed25519); the keys are the committed
// test keys in testdata/attacks/keys, created once by the flag when
// missing. They are test keys: nothing outside this corpus trusts them.
var updateAttacks = flag.Bool("update-attacks", false, "rewrite testdata/attacks/corpus.json from the generator (creating missing test keys)")

const (
	attackDir    = "testdata/attacks"
	attackCorpus = attackDir + "/corpus.json"
	attackKeyDir = attackDir + "/keys"
	// attackKID is the kid of every target service's one key.
	attackKID = "attack-k1"
	// attackSID is a session ID of the shape gqljwt issues.
	attackSID = "QXR0YWNrQ29ycHVzU2lkMQ"
)

// attackNow is the clock of the corpus and of the services replaying it:
// the tokens are valid at that instant, for ever.
var attackNow = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

// attackAlgs are the algorithms gqljwt supports; the corpus attacks each.
var attackAlgs = []string{gqljwt.HS256, gqljwt.RS256, gqljwt.ES256, gqljwt.EdDSA}

// attackCase is one corpus entry. Want is "OK" for controls, else the
// reason the guarded field must report.
type attackCase struct {
	Alg      string `json:"alg"`
	Category string `json:"category"`
	Name     string `json:"name"`
	Token    string `json:"token"`
	Want     string `json:"want"`
}

// attackKeys are the committed test keys: the targets' (what the services
// hold) and the attacker's own.
type attackKeys struct {
	hs256      []byte
	rsa        *rsa.PrivateKey
	p256       *ecdsa.PrivateKey
	ed         ed25519.PrivateKey
	evilSecret []byte
	evilRSA    *rsa.PrivateKey
	evilP256   *ecdsa.PrivateKey
	evilP384   *ecdsa.PrivateKey
	evilP521   *ecdsa.PrivateKey
	evilEd     ed25519.PrivateKey
}

// target returns the key a service of alg signs and verifies with.
func (k *attackKeys) target(alg string) gqljwt.Key {
	switch alg {
	case gqljwt.HS256:
		return gqljwt.Key{ID: attackKID, Secret: k.hs256}
	case gqljwt.RS256:
		return gqljwt.Key{ID: attackKID, Private: k.rsa}
	case gqljwt.ES256:
		return gqljwt.Key{ID: attackKID, Private: k.p256}
	default:
		return gqljwt.Key{ID: attackKID, Private: k.ed}
	}
}

// attackService is the service under attack for alg, at attackNow.
func attackService(t testing.TB, k *attackKeys, alg string) *gqljwt.Service {
	t.Helper()
	s, err := gqljwt.New(gqljwt.Config{Algorithm: alg, SigningKey: k.target(alg), Now: func() time.Time { return attackNow }})
	if err != nil {
		t.Fatalf("gqljwt.New(%s): %v", alg, err)
	}
	return s
}

// loadAttackKeys reads the committed keys; create makes missing ones.
func loadAttackKeys(t testing.TB, create bool) *attackKeys {
	t.Helper()
	secret := func(name string) []byte {
		path := filepath.Join(attackKeyDir, name)
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) && create {
			// 48 bytes: over 64, HMAC would use the secret's hash as its
			// key (RFC 2104), and a guess at that hash would verify.
			raw := make([]byte, 16)
			if _, err := rand.Read(raw); err != nil {
				t.Fatal(err)
			}
			b = []byte("attack-corpus-test-secret-" + base64.RawURLEncoding.EncodeToString(raw) + "\n")
			writeFile(t, path, b)
		} else if err != nil {
			t.Fatalf("%v (create the test keys with -update-attacks)", err)
		}
		return bytes.TrimSuffix(b, []byte("\n"))
	}
	private := func(name string, generate func() (crypto.Signer, error)) crypto.Signer {
		path := filepath.Join(attackKeyDir, name)
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) && create {
			key, err := generate()
			if err != nil {
				t.Fatal(err)
			}
			der, err := x509.MarshalPKCS8PrivateKey(key)
			if err != nil {
				t.Fatal(err)
			}
			b = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
			writeFile(t, path, b)
		} else if err != nil {
			t.Fatalf("%v (create the test keys with -update-attacks)", err)
		}
		block, _ := pem.Decode(b)
		if block == nil {
			t.Fatalf("%s: no PEM block", path)
		}
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return key.(crypto.Signer)
	}
	genRSA := func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }
	genEC := func(c elliptic.Curve) func() (crypto.Signer, error) {
		return func() (crypto.Signer, error) { return ecdsa.GenerateKey(c, rand.Reader) }
	}
	genEd := func() (crypto.Signer, error) { _, k, err := ed25519.GenerateKey(rand.Reader); return k, err }
	return &attackKeys{
		hs256:      secret("target-hs256.txt"),
		rsa:        private("target-rs256.pem", genRSA).(*rsa.PrivateKey),
		p256:       private("target-es256.pem", genEC(elliptic.P256())).(*ecdsa.PrivateKey),
		ed:         private("target-eddsa.pem", genEd).(ed25519.PrivateKey),
		evilSecret: secret("attacker-hs.txt"),
		evilRSA:    private("attacker-rsa.pem", genRSA).(*rsa.PrivateKey),
		evilP256:   private("attacker-p256.pem", genEC(elliptic.P256())).(*ecdsa.PrivateKey),
		evilP384:   private("attacker-p384.pem", genEC(elliptic.P384())).(*ecdsa.PrivateKey),
		evilP521:   private("attacker-p521.pem", genEC(elliptic.P521())).(*ecdsa.PrivateKey),
		evilEd:     private("attacker-ed25519.pem", genEd).(ed25519.PrivateKey),
	}
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGenerateAttackCorpus regenerates the corpus and compares it with the
// committed file, or rewrites the file with -update-attacks.
func TestGenerateAttackCorpus(t *testing.T) {
	keys := loadAttackKeys(t, *updateAttacks)
	got := encodeCorpus(generateAttackCorpus(t, keys))
	if *updateAttacks {
		writeFile(t, attackCorpus, got)
		return
	}
	want, err := os.ReadFile(attackCorpus)
	if err != nil {
		t.Fatalf("%v (generate it with -update-attacks)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s is not what the generator writes (run with -update-attacks); first difference, line %d:\n got: %.300s\nfile: %.300s", attackCorpus, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s is not what the generator writes (run with -update-attacks): %d lines, the generator writes %d", attackCorpus, len(wl), len(gl))
	}
}

// encodeCorpus writes one case per line, for reviewable diffs.
func encodeCorpus(cases []attackCase) []byte {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, c := range cases {
		line, err := json.Marshal(c)
		if err != nil {
			panic(err)
		}
		b.Write(line)
		if i < len(cases)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	return b.Bytes()
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// zeroReader is the salt source of the corpus's PSS signatures, which
// must be reproducible; the salt's value plays no part in any attack.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// jwsSign computes the JWS signature of input under alg with key, for any
// algorithm an attacker might name (RFC 7518 §3).
func jwsSign(t testing.TB, alg string, key any, input string) []byte {
	t.Helper()
	digest := func(h func() hash.Hash) []byte {
		d := h()
		d.Write([]byte(input))
		return d.Sum(nil)
	}
	hashes := map[string]struct {
		new func() hash.Hash
		id  crypto.Hash
	}{
		"256": {sha256.New, crypto.SHA256}, "384": {sha512.New384, crypto.SHA384}, "512": {sha512.New, crypto.SHA512},
	}
	if alg == "EdDSA" || alg == "Ed25519" {
		return ed25519.Sign(key.(ed25519.PrivateKey), []byte(input))
	}
	h, ok := hashes[alg[len(alg)-3:]]
	if !ok {
		t.Fatalf("jwsSign: algorithm %q", alg)
	}
	var (
		sig []byte
		err error
	)
	switch alg[:2] {
	case "HS":
		m := hmac.New(h.new, key.([]byte))
		m.Write([]byte(input))
		return m.Sum(nil)
	case "RS":
		sig, err = rsa.SignPKCS1v15(nil, key.(*rsa.PrivateKey), h.id, digest(h.new))
	case "PS":
		sig, err = rsa.SignPSS(zeroReader{}, key.(*rsa.PrivateKey), h.id, digest(h.new), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "ES":
		k := key.(*ecdsa.PrivateKey)
		var der []byte
		der, err = k.Sign(nil, digest(h.new), h.id) // nil: RFC 6979, deterministic
		if err == nil {
			sig = ecdsaRaw(t, der, (k.Curve.Params().BitSize+7)/8)
		}
	default:
		t.Fatalf("jwsSign: algorithm %q", alg)
	}
	if err != nil {
		t.Fatalf("jwsSign %s: %v", alg, err)
	}
	return sig
}

// ecdsaRaw converts an ASN.1 ECDSA signature to JWS's r || s.
func ecdsaRaw(t testing.TB, der []byte, size int) []byte {
	t.Helper()
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out
}

// attackGen builds the cases against the service of one algorithm.
type attackGen struct {
	t     testing.TB
	k     *attackKeys
	alg   string
	key   any // the target's signing key
	pub   any // its public key; nil for HS256
	cases []attackCase
	names map[string]bool
	// tokens maps every token to its case: an attack that came out as
	// the bytes of a control (a re-encoding that changed nothing) or of
	// another case would test nothing new.
	tokens map[string]string
}

func (g *attackGen) add(category, name, token, want string) {
	g.t.Helper()
	id := category + "/" + name
	if g.names[id] {
		g.t.Fatalf("%s: case %s twice", g.alg, id)
	}
	if other, dup := g.tokens[token]; dup {
		g.t.Fatalf("%s: case %s is the token of %s", g.alg, id, other)
	}
	g.names[id], g.tokens[token] = true, id
	g.cases = append(g.cases, attackCase{Alg: g.alg, Category: category, Name: name, Token: token, Want: want})
}

// bad adds a token that must be refused as invalid. A variant whose bytes
// some case already has (a truncation or re-encoding that changed
// nothing) is not a new attack and is left out.
func (g *attackGen) bad(category, name, token string) {
	g.t.Helper()
	if _, dup := g.tokens[token]; dup {
		return
	}
	g.add(category, name, token, "TOKEN_INVALID")
}

// header is the target's own header with extra members appended.
func (g *attackGen) header(extra string) string {
	return `{"alg":"` + g.alg + `","kid":"` + attackKID + `","typ":"JWT"` + extra + `}`
}

// claims is the payload gqljwt would issue at attackNow; extra members
// are appended.
func claimsAt(iat time.Time, extra string) string {
	i := strconv.FormatInt(iat.Unix(), 10)
	e := strconv.FormatInt(iat.Add(10*time.Minute).Unix(), 10)
	return `{"exp":` + e + `,"iat":` + i + `,"jti":"attack-jti","origIat":` + i + `,"roles":["reader"],"sid":"` + attackSID +
		`","sub":"u1","typ":"access","username":"u1"` + extra + `}`
}

func (g *attackGen) claims(extra string) string { return claimsAt(attackNow, extra) }

// signed signs header and payload (raw JSON) with alg and key.
func (g *attackGen) signed(alg string, key any, header, payload string) string {
	g.t.Helper()
	in := b64url([]byte(header)) + "." + b64url([]byte(payload))
	return in + "." + b64url(jwsSign(g.t, alg, key, in))
}

// ours is header and payload signed by the target's own key: whatever
// refuses such a token is a check on its content, not the signature.
func (g *attackGen) ours(header, payload string) string {
	g.t.Helper()
	return g.signed(g.alg, g.key, header, payload)
}

// attackerKey is the attacker's own key for alg (nil when none fits).
func (k *attackKeys) attackerKey(alg string) any {
	switch {
	case strings.HasPrefix(alg, "HS"):
		return k.evilSecret
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return k.evilRSA
	case alg == "ES256":
		return k.evilP256
	case alg == "ES384":
		return k.evilP384
	case alg == "ES512":
		return k.evilP521
	case alg == "EdDSA", alg == "Ed25519":
		return k.evilEd
	}
	return nil
}

func generateAttackCorpus(t testing.TB, k *attackKeys) []attackCase {
	t.Helper()
	var all []attackCase
	for _, alg := range attackAlgs {
		key := k.target(alg)
		g := &attackGen{t: t, k: k, alg: alg, names: map[string]bool{}, tokens: map[string]string{}}
		if alg == gqljwt.HS256 {
			g.key = key.Secret
		} else {
			g.key, g.pub = key.Private, key.Private.Public()
		}
		g.controls()
		g.algNone()
		g.algSwitch()
		g.keyConfusion()
		g.signatures()
		g.tampered()
		g.embeddedKeys()
		g.kidInjection()
		g.crit()
		g.b64()
		g.jsonSerialization()
		g.claimGames()
		g.format()
		all = append(all, g.cases...)
	}
	return all
}

// controls are valid tokens: the replay fails unless they pass, so it
// cannot pass by refusing everything.
func (g *attackGen) controls() {
	g.add("control", "as gqljwt issues it", g.ours(g.header(""), g.claims("")), "OK")
	g.add("control", "header with whitespace and members reordered", g.ours(`{ "typ" : "JWT" , "kid" : "`+attackKID+`" , "alg" : "`+g.alg+`" }`, g.claims("")), "OK")
	g.add("control", "nbf in the past and private claims", g.ours(g.header(""), g.claims(`,"nbf":`+strconv.FormatInt(attackNow.Add(-time.Minute).Unix(), 10)+`,"x":{"y":[1,2.5,null]}`)), "OK")
}

// algNone: "none" in every spelling, and alg missing or not a string,
// each with no signature, the signature of a valid token, and junk.
func (g *attackGen) algNone() {
	valid := g.ours(g.header(""), g.claims(""))
	validSig := valid[strings.LastIndexByte(valid, '.')+1:]
	payload := b64url([]byte(g.claims("")))
	algs := map[string]string{
		"none": `"none"`, "None": `"None"`, "NONE": `"NONE"`, "nOnE": `"nOnE"`, "NoNe": `"NoNe"`, "noNE": `"noNE"`,
		"none with a space before": `" none"`, "none with a space after": `"none "`, "none with NUL": `"none\u0000"`,
		"none escaped": `"\u006eone"`, "none with zero-width space": `"none\u200b"`, "empty": `""`, "null": `null`,
		"array": `["none"]`, "number": `0`, "false": `false`, "object": `{"alg":"none"}`,
	}
	for _, name := range sortedKeys(algs) {
		for _, kid := range []string{"", `,"kid":"` + attackKID + `"`} {
			h := b64url([]byte(`{"alg":` + algs[name] + kid + `,"typ":"JWT"}`))
			suffix := ""
			if kid != "" {
				suffix = ", our kid"
			}
			g.bad("alg-none", name+suffix+", no signature", h+"."+payload+".")
			g.bad("alg-none", name+suffix+", valid signature", h+"."+payload+"."+validSig)
			if kid == "" {
				g.bad("alg-none", name+", junk signature", h+"."+payload+".AAAA")
			}
		}
	}
	g.bad("alg-none", "alg member missing", g.ours(`{"kid":"`+attackKID+`","typ":"JWT"}`, g.claims("")))
	g.bad("alg-none", "none, two segments", b64url([]byte(`{"alg":"none"}`))+"."+payload)
	g.bad("alg-none", "none after alg", b64url([]byte(`{"alg":"`+g.alg+`","alg":"none"}`))+"."+payload+".")
	g.bad("alg-none", "none before alg, signed by us", g.ours(`{"alg":"none","alg":"`+g.alg+`","kid":"`+attackKID+`"}`, g.claims("")))
}

// algSwitch names another algorithm, signed by the attacker's key for it,
// and spellings of the right one signed by our key.
func (g *attackGen) algSwitch() {
	for _, alg := range []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"} {
		if alg == g.alg {
			continue
		}
		h := `{"alg":"` + alg + `","kid":"` + attackKID + `","typ":"JWT"}`
		g.bad("alg-switch", alg+" signed by the attacker", g.signed(alg, g.k.attackerKey(alg), h, g.claims("")))
	}
	h := `{"alg":"ES256K","kid":"` + attackKID + `"}`
	g.bad("alg-switch", "ES256K", b64url([]byte(h))+"."+b64url([]byte(g.claims("")))+"."+b64url(make([]byte, 64)))
	for name, spelled := range sorted(map[string]string{
		"lower case": strings.ToLower(g.alg), "upper case": strings.ToUpper(g.alg), "trailing space": g.alg + " ",
		"leading space": " " + g.alg, "trailing NUL": g.alg + `\u0000`, "inner space": g.alg[:2] + " " + g.alg[2:],
		"Unicode lookalike": "\u0430" + g.alg[1:],
	}) {
		if spelled == g.alg {
			continue // HS256 is its own upper case
		}
		g.bad("alg-switch", "spelled "+name+", signed by us", g.ours(`{"alg":"`+spelled+`","kid":"`+attackKID+`","typ":"JWT"}`, g.claims("")))
	}
}

// keyConfusion signs HS256/384/512 with what an attacker knows of our key:
// for asymmetric algorithms the public key in every usual form (the
// classic RS256-to-HS256 switch); for HS256 guesses at a weak secret.
func (g *attackGen) keyConfusion() {
	secrets := map[string][]byte{}
	if g.pub == nil {
		for name, s := range map[string]string{
			"empty": "", "secret": "secret", "the kid": attackKID, "null": "null", "base64 of the secret": b64url(g.k.hs256),
			"the secret with a newline": string(g.k.hs256) + "\n", "the secret upper case": strings.ToUpper(string(g.k.hs256)),
		} {
			secrets[name] = []byte(s)
		}
		secrets["the secret's SHA-256"] = sha256Sum(g.k.hs256)
		// Not NUL bytes: HMAC pads short keys with zeros, so any run of
		// NULs is the empty key again.
		secrets["the secret reversed"] = []byte(reverse(string(g.k.hs256)))
	} else {
		pkix, err := x509.MarshalPKIXPublicKey(g.pub)
		if err != nil {
			g.t.Fatal(err)
		}
		pemPKIX := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})
		secrets["PEM"] = pemPKIX
		secrets["PEM without the last newline"] = bytes.TrimSuffix(pemPKIX, []byte("\n"))
		secrets["PEM with CRLF"] = bytes.ReplaceAll(pemPKIX, []byte("\n"), []byte("\r\n"))
		secrets["DER"] = pkix
		secrets["base64 of the DER"] = []byte(base64.StdEncoding.EncodeToString(pkix))
		jwks := g.servedJWKS()
		secrets["JWKS as served"] = jwks
		var set struct{ Keys []json.RawMessage }
		if err := json.Unmarshal(jwks, &set); err != nil || len(set.Keys) != 1 {
			g.t.Fatalf("JWKS %s: %v", jwks, err)
		}
		secrets["JWK as served"] = set.Keys[0]
		switch pub := g.pub.(type) {
		case *rsa.PublicKey:
			pkcs1 := x509.MarshalPKCS1PublicKey(pub)
			secrets["PKCS #1 DER"] = pkcs1
			secrets["PKCS #1 PEM"] = pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1})
			secrets["modulus"] = pub.N.Bytes()
		case *ecdsa.PublicKey:
			point, err := pub.Bytes()
			if err != nil {
				g.t.Fatal(err)
			}
			secrets["uncompressed point"] = point
			secrets["x coordinate"] = point[1:33]
		case ed25519.PublicKey:
			secrets["raw public key"] = []byte(pub)
		}
	}
	for _, name := range sortedKeys(secrets) {
		for _, alg := range []string{"HS256", "HS384", "HS512"} {
			if alg != "HS256" && g.pub == nil {
				continue // HS384/512 against HS256 are the alg switch
			}
			h := `{"alg":"` + alg + `","kid":"` + attackKID + `","typ":"JWT"}`
			g.bad("key-confusion", alg+" keyed with "+name, g.signed(alg, secrets[name], h, g.claims("")))
		}
		if g.pub != nil {
			g.bad("key-confusion", "our alg, HMAC keyed with "+name, g.signed("HS256", secrets[name], g.header(""), g.claims("")))
		}
	}
}

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

// servedJWKS is what the target's JWKSHandler serves: what an attacker
// downloads.
func (g *attackGen) servedJWKS() []byte {
	rec := httptest.NewRecorder()
	attackService(g.t, g.k, g.alg).JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/jwks", nil))
	return rec.Body.Bytes()
}

// signatures: a valid token's signature stripped, zeroed, truncated,
// extended, bit-flipped, borrowed, re-encoded, and the per-algorithm
// edge values (ECDSA r/s at 0 and n, RSA 0/1/n, Ed25519 S+L).
func (g *attackGen) signatures() {
	valid := g.ours(g.header(""), g.claims(""))
	dot := strings.LastIndexByte(valid, '.')
	in, sigText := valid[:dot], valid[dot+1:]
	sig, err := base64.RawURLEncoding.DecodeString(sigText)
	if err != nil {
		g.t.Fatal(err)
	}
	with := func(s []byte) string { return in + "." + b64url(s) }
	g.bad("signature", "stripped", in+".")
	g.bad("signature", "no signature segment", in)
	g.bad("signature", "zero bytes of the right length", with(make([]byte, len(sig))))
	g.bad("signature", "one zero byte", with([]byte{0}))
	g.bad("signature", "0xff bytes", with(bytes.Repeat([]byte{0xff}, len(sig))))
	g.bad("signature", "truncated by one byte", with(sig[:len(sig)-1]))
	g.bad("signature", "first half", with(sig[:len(sig)/2]))
	g.bad("signature", "first byte", with(sig[:1]))
	g.bad("signature", "one byte appended", with(append(append([]byte{}, sig...), 0)))
	g.bad("signature", "doubled", with(append(append([]byte{}, sig...), sig...)))
	g.bad("signature", "one zero byte prepended", with(append([]byte{0}, sig...)))
	g.bad("signature", "last character dropped", in+"."+sigText[:len(sigText)-1])
	g.bad("signature", "text appended", in+"."+sigText+"AAAA")
	for _, pos := range []int{0, 1, len(sig) / 2, len(sig) - 1} {
		for _, bit := range []uint{0, 3, 7} {
			f := append([]byte{}, sig...)
			f[pos] ^= 1 << bit
			g.bad("signature", fmt.Sprintf("bit %d of byte %d flipped", bit, pos), with(f))
		}
	}
	if std := base64.RawStdEncoding.EncodeToString(sig); std != sigText {
		g.bad("signature", "standard base64", in+"."+std)
	}
	g.bad("signature", "padded", in+"."+base64.URLEncoding.EncodeToString(sig))
	other := g.ours(g.header(""), strings.Replace(g.claims(""), `"sub":"u1"`, `"sub":"u2"`, 1))
	g.bad("signature", "another token's signature", in+"."+other[strings.LastIndexByte(other, '.')+1:])
	g.bad("signature", "signed by the attacker's key of our algorithm", g.signed(g.alg, g.k.attackerKey(g.alg), g.header(""), g.claims("")))
	g.bad("signature", "signature over the payload only", with(jwsSign(g.t, g.alg, g.key, b64url([]byte(g.claims(""))))))
	g.bad("signature", "signature over the decoded bytes", with(jwsSign(g.t, g.alg, g.key, g.header("")+"."+g.claims(""))))
	g.bad("signature", "signature of the empty string", with(jwsSign(g.t, g.alg, g.key, "")))

	switch g.alg {
	case gqljwt.ES256:
		n := elliptic.P256().Params().N
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		raw := func(r, s *big.Int) []byte {
			out := make([]byte, 64)
			r.FillBytes(out[:32])
			s.FillBytes(out[32:])
			return out
		}
		zero, one := big.NewInt(0), big.NewInt(1)
		nMinus1 := new(big.Int).Sub(n, one)
		for name, rs := range sorted(map[string][2]*big.Int{
			"r and s swapped": {s, r}, "r = 0": {zero, s}, "s = 0": {r, zero}, "r = s = 0": {zero, zero},
			"r = n": {n, s}, "s = n": {r, n}, "r = 1, s = 1": {one, one}, "r = n-1": {nMinus1, s},
		}) {
			g.bad("signature", "ECDSA "+name, with(raw(rs[0], rs[1])))
		}
		g.bad("signature", "ECDSA r + n (33 bytes)", with(append(new(big.Int).Add(r, n).FillBytes(make([]byte, 33)), sig[32:]...)))
		der, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
		if err != nil {
			g.t.Fatal(err)
		}
		g.bad("signature", "ECDSA in ASN.1 DER", with(der))
	case gqljwt.RS256:
		n := g.pub.(*rsa.PublicKey).N
		size := len(sig)
		num := func(v *big.Int, l int) []byte { return v.FillBytes(make([]byte, l)) }
		g.bad("signature", "RSA s = 1", with(num(big.NewInt(1), size)))
		g.bad("signature", "RSA s = n-1", with(num(new(big.Int).Sub(n, big.NewInt(1)), size)))
		g.bad("signature", "RSA s = n", with(num(n, size)))
		g.bad("signature", "RSA s + n", with(num(new(big.Int).Add(new(big.Int).SetBytes(sig), n), size+1)))
		g.bad("signature", "RSA-PSS signature by our key", g.signed("PS256", g.key, g.header(""), g.claims("")))
	case gqljwt.EdDSA:
		// L, the order of the base point; S+L verifies on lax
		// implementations (signature malleability, RFC 8032 §5.1.7).
		l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
		le := func(b []byte) []byte {
			out := append([]byte{}, b...)
			for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
				out[i], out[j] = out[j], out[i]
			}
			return out
		}
		s := new(big.Int).SetBytes(le(sig[32:]))
		sPlusL := le(new(big.Int).Add(s, l).FillBytes(make([]byte, 32)))
		g.bad("signature", "Ed25519 S + L", with(append(append([]byte{}, sig[:32]...), sPlusL...)))
		g.bad("signature", "Ed25519 S = L", with(append(append([]byte{}, sig[:32]...), le(l.FillBytes(make([]byte, 32)))...)))
		identity := make([]byte, 32)
		identity[0] = 1
		g.bad("signature", "Ed25519 R = identity, S = 0", with(append(identity, make([]byte, 32)...)))
	case gqljwt.HS256:
		g.bad("signature", "HS512 truncated to 256 bits", with(jwsSign(g.t, "HS512", g.key, in)[:32]))
	}
}

// tampered: a valid token with its header or payload changed, or
// re-encoded so that it decodes to the same bytes, under the original
// signature; and non-canonical encodings signed by us.
func (g *attackGen) tampered() {
	valid := g.ours(g.header(""), g.claims(""))
	parts := strings.Split(valid, ".")
	sig := parts[2]
	re := func(h, p string) string { return h + "." + p + "." + sig }
	for name, p := range sorted(map[string]string{
		"sub changed":        strings.Replace(g.claims(""), `"sub":"u1"`, `"sub":"admin"`, 1),
		"role added":         strings.Replace(g.claims(""), `["reader"]`, `["reader","ADMIN"]`, 1),
		"exp a year later":   claimsAt(attackNow.AddDate(1, 0, 0), ""),
		"exp removed":        strings.Replace(g.claims(""), g.claims("")[:strings.IndexByte(g.claims(""), ',')+1], "{", 1),
		"members reordered":  `{"sub":"u1",` + strings.Replace(g.claims(""), `,"sub":"u1"`, "", 1)[1:],
		"whitespace added":   strings.ReplaceAll(g.claims(""), ",", ", "),
		"a character escape": strings.Replace(g.claims(""), `"sub":"u1"`, `"sub":"\u0075\u0031"`, 1),
		"claim appended":     g.claims(`,"admin":true`),
	}) {
		g.bad("tampered", "payload "+name+", original signature", re(parts[0], b64url([]byte(p))))
	}
	for name, h := range sorted(map[string]string{
		"kid removed":    `{"alg":"` + g.alg + `","typ":"JWT"}`,
		"typ removed":    `{"alg":"` + g.alg + `","kid":"` + attackKID + `"}`,
		"member added":   g.header(`,"x":"y"`),
		"typ changed":    `{"alg":"` + g.alg + `","kid":"` + attackKID + `","typ":"at+jwt"}`,
		"whitespace":     `{ "alg":"` + g.alg + `","kid":"` + attackKID + `","typ":"JWT"}`,
		"member escaped": `{"\u0061lg":"` + g.alg + `","kid":"` + attackKID + `","typ":"JWT"}`,
	}) {
		g.bad("tampered", "header "+name+", original signature", re(b64url([]byte(h)), parts[1]))
	}
	for i, part := range parts[:2] {
		seg := []string{"header", "payload"}[i]
		alt := func(s string) string {
			p := append([]string{}, parts...)
			p[i] = s
			return strings.Join(p, ".")
		}
		raw, _ := base64.RawURLEncoding.DecodeString(part)
		if len(part)%4 != 0 {
			last := part[len(part)-1]
			stray := part[:len(part)-1] + string(strayBits(last))
			g.bad("tampered", seg+" with stray bits, original signature", alt(stray))
			g.bad("tampered", seg+" with stray bits, signed by us", signInput(g, strings.Join(strings.Split(alt(stray), ".")[:2], ".")))
		}
		// Padding and the standard alphabet change nothing in some
		// segments; those re-encodings are the valid token itself.
		if padded := base64.URLEncoding.EncodeToString(raw); padded != part {
			g.bad("tampered", seg+" padded, original signature", alt(padded))
		}
		if std := base64.StdEncoding.EncodeToString(raw); std != part && std != base64.URLEncoding.EncodeToString(raw) {
			g.bad("tampered", seg+" in standard base64, original signature", alt(std))
		}
		g.bad("tampered", seg+" split by a newline, original signature", alt(part[:10]+"\n"+part[10:]))
		g.bad("tampered", seg+" split by a newline, signed by us", signInput(g, strings.Join(strings.Split(alt(part[:10]+"\n"+part[10:]), ".")[:2], ".")))
		g.bad("tampered", seg+" percent-encoded, original signature", alt(strings.ReplaceAll(part, "e", "%65")))
	}
}

// strayBits returns a base64url character that decodes to the same bits
// as c in the last position of a segment but has one unused bit set.
func strayBits(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return alphabet[strings.IndexByte(alphabet, c)|1]
}

// signInput signs an arbitrary signing input with the target's key, as
// a careless issuer would.
func signInput(g *attackGen, in string) string {
	g.t.Helper()
	return in + "." + b64url(jwsSign(g.t, g.alg, g.key, in))
}

// embeddedKeys: the header carries the key to verify with (jwk, x5c) or
// where to fetch it (jku, x5u), signed by the attacker's key; and the same
// headers over tokens we signed, which are refused too: we never send
// them.
func (g *attackGen) embeddedKeys() {
	evil := g.k.attackerKey(g.alg)
	var jwkJSON string
	switch k := evil.(type) {
	case []byte:
		jwkJSON = `{"kty":"oct","k":"` + b64url(k) + `","kid":"` + attackKID + `"}`
	case *rsa.PrivateKey:
		jwkJSON = `{"kty":"RSA","n":"` + b64url(k.N.Bytes()) + `","e":"AQAB","kid":"` + attackKID + `"}`
	case *ecdsa.PrivateKey:
		point, err := k.PublicKey.Bytes()
		if err != nil {
			g.t.Fatal(err)
		}
		jwkJSON = `{"kty":"EC","crv":"P-256","x":"` + b64url(point[1:33]) + `","y":"` + b64url(point[33:]) + `","kid":"` + attackKID + `"}`
	case ed25519.PrivateKey:
		jwkJSON = `{"kty":"OKP","crv":"Ed25519","x":"` + b64url(k.Public().(ed25519.PublicKey)) + `","kid":"` + attackKID + `"}`
	}
	cert := g.attackerCert()
	headers := map[string]string{
		"jwk of the attacker's key":       g.header(`,"jwk":` + jwkJSON),
		"jwk without kid in the header":   `{"alg":"` + g.alg + `","jwk":` + jwkJSON + `}`,
		"jku to the attacker":             g.header(`,"jku":"https://attacker.example/jwks.json"`),
		"jku to localhost":                g.header(`,"jku":"http://127.0.0.1:8080/jwks"`),
		"jku to a file":                   g.header(`,"jku":"file:///etc/passwd"`),
		"x5u to the attacker":             g.header(`,"x5u":"https://attacker.example/cert.pem"`),
		"x5c of the attacker's cert":      g.header(`,"x5c":["` + base64.StdEncoding.EncodeToString(cert) + `"]`),
		"x5c with the kid removed":        `{"alg":"` + g.alg + `","x5c":["` + base64.StdEncoding.EncodeToString(cert) + `"]}`,
		"jwk and jku":                     g.header(`,"jwk":` + jwkJSON + `,"jku":"https://attacker.example/jwks.json"`),
		"jwk after whitespace":            `{"alg":"` + g.alg + `", "kid":"` + attackKID + `", "jwk": ` + jwkJSON + `}`,
		"jwk name escaped":                g.header(`,"j\u0077k":` + jwkJSON),
		"jwk as a string":                 g.header(`,"jwk":"` + b64url([]byte(jwkJSON)) + `"`),
		"x5c and x5t#S256":                g.header(`,"x5c":["` + base64.StdEncoding.EncodeToString(cert) + `"],"x5t#S256":"` + b64url(sha256Sum(cert)) + `"`),
		"jku with a matching kid and jwk": g.header(`,"jku":"https://attacker.example/jwks.json","jwk":` + jwkJSON),
	}
	for _, name := range sortedKeys(headers) {
		g.bad("embedded-key", name+", signed by the attacker", g.signed(g.alg, evil, headers[name], g.claims("")))
		g.bad("embedded-key", name+", signed by us", g.ours(headers[name], g.claims("")))
	}
}

// attackerCert is an X.509 certificate for the attacker's key of the
// target's algorithm (an RSA key for HS256), issued by the attacker's
// Ed25519 key: deterministic, as the corpus must be.
func (g *attackGen) attackerCert() []byte {
	var pub any
	switch k := g.k.attackerKey(g.alg).(type) {
	case crypto.Signer:
		pub = k.Public()
	default:
		pub = g.k.evilRSA.Public()
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "attacker.example"},
		NotBefore: attackNow.AddDate(-1, 0, 0), NotAfter: attackNow.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, SubjectKeyId: []byte("attacker"), AuthorityKeyId: []byte("attacker"),
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, pub, g.k.evilEd)
	if err != nil {
		g.t.Fatal(err)
	}
	return der
}

// kidInjection: kids that a key lookup built on files, SQL or URLs would
// turn into the attacker's key, signed with the key such a lookup would
// yield (an empty secret for /dev/null, "secret" for the SQL UNION), with
// the attacker's key, and with ours (refused: no such kid is held).
func (g *attackGen) kidInjection() {
	kids := map[string]string{
		"path traversal to /dev/null":     `"../../../../../../../dev/null"`,
		"absolute /dev/null":              `"/dev/null"`,
		"path traversal to /etc/passwd":   `"../../../etc/passwd"`,
		"Windows path traversal":          `"..\\..\\..\\windows\\win.ini"`,
		"path through our kid":            `"` + attackKID + `/../` + attackKID + `"`,
		"SQL tautology":                   `"x' OR '1'='1"`,
		"SQL UNION":                       `"x' UNION SELECT 'secret' --"`,
		"SQL stacked query":               `"1; DROP TABLE keys; --"`,
		"SQL comment after our kid":       `"` + attackKID + `' --"`,
		"shell substitution":              `"$(cat /etc/passwd)"`,
		"shell backticks":                 "\"`id`\"",
		"shell pipe":                      `"x|ls"`,
		"LDAP wildcard":                   `"*)(kid=*"`,
		"URL":                             `"https://attacker.example/key"`,
		"percent-encoded":                 `"%61ttack-k1"`,
		"our kid with NUL":                `"` + attackKID + `\u0000"`,
		"our kid with a trailing space":   `"` + attackKID + ` "`,
		"our kid with a leading space":    `" ` + attackKID + `"`,
		"our kid upper case":              `"` + strings.ToUpper(attackKID) + `"`,
		"our kid with a fullwidth digit":  `"attack-k` + "\uff11" + `"`,
		"our kid with a newline":          `"` + attackKID + `\n"`,
		"empty":                           `""`,
		"null":                            `null`,
		"number":                          `1`,
		"array of our kid":                `["` + attackKID + `"]`,
		"object":                          `{"kid":"` + attackKID + `"}`,
		"true":                            `true`,
		"1000 characters":                 `"` + strings.Repeat("k", 1000) + `"`,
		"a header over 512 bytes":         `"` + strings.Repeat("A", 600) + `"`,
		"6000 characters":                 `"` + strings.Repeat("../", 2000) + `"`,
		"format string":                   `"%s%s%s%n"`,
		"template":                        `"{{.Secret}}"`,
		"JSON in the kid":                 `"\"},{\"kid\":\"` + attackKID + `\""`,
		"unicode escapes of another kid":  `"\u0061ttack-k2"`,
		"our kid twice, second different": `"` + attackKID + `","kid":"x"`,
		"other kid first, then ours":      `"x","kid":"` + attackKID + `"`,
	}
	for _, name := range sortedKeys(kids) {
		h := `{"alg":"` + g.alg + `","kid":` + kids[name] + `,"typ":"JWT"}`
		g.bad("kid-injection", name+", signed by us", g.ours(h, g.claims("")))
		g.bad("kid-injection", name+", signed by the attacker", g.signed(g.alg, g.k.attackerKey(g.alg), h, g.claims("")))
		hs := `{"alg":"HS256","kid":` + kids[name] + `,"typ":"JWT"}`
		switch {
		case strings.Contains(name, "/dev/null"):
			g.bad("kid-injection", name+", HS256 keyed with nothing", g.signed("HS256", []byte{}, hs, g.claims("")))
		case name == "SQL UNION":
			g.bad("kid-injection", name+", HS256 keyed with the selected value", g.signed("HS256", []byte("secret"), hs, g.claims("")))
		case name == "path traversal to /etc/passwd":
			g.bad("kid-injection", name+", HS256 keyed with a guess at the file", g.signed("HS256", []byte("root:x:0:0:root:/root:/bin/bash\n"), hs, g.claims("")))
		}
	}
}

// crit: every use of crit is refused (we understand no extension), over
// tokens we signed.
func (g *attackGen) crit() {
	for name, extra := range sorted(map[string]string{
		"crit exp":                 `,"crit":["exp"]`,
		"crit b64 with b64 true":   `,"b64":true,"crit":["b64"]`,
		"crit empty":               `,"crit":[]`,
		"crit a string":            `,"crit":"b64"`,
		"crit kid":                 `,"crit":["kid"]`,
		"crit unknown":             `,"crit":["urn:attacker:ext"],"urn:attacker:ext":1`,
		"crit alg":                 `,"crit":["alg"]`,
		"crit null":                `,"crit":null`,
		"crit naming itself":       `,"crit":["crit"]`,
		"crit twice":               `,"crit":["exp"],"crit":[]`,
		"crit escaped":             `,"\u0063rit":["exp"]`,
		"crit iat with an iat":     `,"crit":["iat"],"iat":0`,
		"crit a list of 100 names": `,"crit":[` + strings.TrimSuffix(strings.Repeat(`"x",`, 100), ",") + `]`,
	}) {
		g.bad("crit", name+", signed by us", g.ours(g.header(extra), g.claims("")))
	}
}

// b64: RFC 7797 unencoded payloads, with and without crit, over the
// unencoded and the encoded signing input, and detached.
func (g *attackGen) b64() {
	claims := g.claims("")
	for name, h := range sorted(map[string]string{
		"b64 false with crit": g.header(`,"b64":false,"crit":["b64"]`),
		"b64 false":           g.header(`,"b64":false`),
	}) {
		enc := b64url([]byte(h))
		unencoded := enc + "." + claims
		g.bad("b64", name+", unencoded payload", unencoded+"."+b64url(jwsSign(g.t, g.alg, g.key, unencoded)))
		g.bad("b64", name+", detached payload", enc+".."+b64url(jwsSign(g.t, g.alg, g.key, unencoded)))
		g.bad("b64", name+", encoded payload signed unencoded", enc+"."+b64url([]byte(claims))+"."+b64url(jwsSign(g.t, g.alg, g.key, unencoded)))
		g.bad("b64", name+", encoded payload signed encoded", g.ours(h, claims))
	}
	g.bad("b64", "b64 as a string", g.ours(g.header(`,"b64":"false"`), claims))
	g.bad("b64", "b64 true", g.ours(g.header(`,"b64":true`), claims))
}

// jsonSerialization: the JWS JSON serializations (RFC 7515 §7.2) of valid
// tokens: flattened, general, with an unprotected header, and encoded so
// as to look compact. gqljwt accepts only the compact form.
func (g *attackGen) jsonSerialization() {
	valid := g.ours(g.header(""), g.claims(""))
	p := strings.Split(valid, ".")
	flat := `{"payload":"` + p[1] + `","protected":"` + p[0] + `","signature":"` + p[2] + `"}`
	general := `{"payload":"` + p[1] + `","signatures":[{"protected":"` + p[0] + `","signature":"` + p[2] + `"}]}`
	for name, tok := range sorted(map[string]string{
		"flattened":                      flat,
		"general":                        general,
		"general, two signatures":        `{"payload":"` + p[1] + `","signatures":[{"protected":"` + p[0] + `","signature":"` + p[2] + `"},{"protected":"` + b64url([]byte(`{"alg":"none"}`)) + `","signature":""}]}`,
		"flattened, unprotected header":  `{"payload":"` + p[1] + `","protected":"` + p[0] + `","header":{"kid":"` + attackKID + `"},"signature":"` + p[2] + `"}`,
		"flattened, unprotected alg":     `{"payload":"` + p[1] + `","header":{"alg":"` + g.alg + `","kid":"` + attackKID + `"},"signature":"` + p[2] + `"}`,
		"flattened, unprotected none":    `{"payload":"` + p[1] + `","header":{"alg":"none"},"signature":""}`,
		"general, unprotected none":      `{"payload":"` + p[1] + `","signatures":[{"header":{"alg":"none"},"signature":""}]}`,
		"flattened, pretty-printed":      "{\n  \"payload\": \"" + p[1] + "\",\n  \"protected\": \"" + p[0] + "\",\n  \"signature\": \"" + p[2] + "\"\n}",
		"flattened, base64url as a blob": b64url([]byte(flat)),
		"flattened, three blobs":         b64url([]byte(flat)) + "." + p[1] + "." + p[2],
		"general, payload unencoded":     `{"payload":` + g.claims("") + `,"signatures":[{"protected":"` + p[0] + `","signature":"` + p[2] + `"}]}`,
		"flattened after the compact":    valid + flat,
		"an array of tokens":             `["` + valid + `"]`,
		"a JSON string":                  `"` + valid + `"`,
	}) {
		g.bad("json-serialization", name, tok)
	}
}

// claimGames are the §2 cases: tokens signed by us whose payload gqljwt
// would never write, read to the letter.
func (g *attackGen) claimGames() {
	good := g.claims("")
	iat := strconv.FormatInt(attackNow.Unix(), 10)
	exp := strconv.FormatInt(attackNow.Add(10*time.Minute).Unix(), 10)
	swap := func(old, new string) string {
		if !strings.Contains(good, old) {
			g.t.Fatalf("claims have no %q", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	add := func(members string) string { return g.claims("," + members) }
	h := g.header("")
	payloads := map[string]string{
		"exp numeric string":          swap(`"exp":`+exp, `"exp":"`+exp+`"`),
		"iat numeric string":          swap(`"iat":`+iat, `"iat":"`+iat+`"`),
		"nbf numeric string":          add(`"nbf":"` + iat + `"`),
		"exp null":                    swap(`"exp":`+exp, `"exp":null`),
		"iat null":                    swap(`"iat":`+iat, `"iat":null`),
		"nbf null":                    add(`"nbf":null`),
		"exp true":                    swap(`"exp":`+exp, `"exp":true`),
		"exp array":                   swap(`"exp":`+exp, `"exp":[`+exp+`]`),
		"exp fraction":                swap(`"exp":`+exp, `"exp":`+exp+`.5`),
		"exp exponent":                swap(`"exp":`+exp, `"exp":`+exp[:1]+"."+exp[1:]+"e9"),
		"iat fraction":                swap(`"iat":`+iat, `"iat":`+iat+`.0`),
		"exp negative":                swap(`"exp":`+exp, `"exp":-`+exp),
		"exp past year 9999":          swap(`"exp":`+exp, `"exp":253402300800`),
		"exp 30 digits":               swap(`"exp":`+exp, `"exp":`+strings.Repeat("9", 30)),
		"exp 1e400":                   swap(`"exp":`+exp, `"exp":1e400`),
		"exp leading zero":            swap(`"exp":`+exp, `"exp":0`+exp),
		"origIat string":              swap(`"origIat":`+iat, `"origIat":"`+iat+`"`),
		"ver fraction":                add(`"ver":0.5`),
		"ver negative":                add(`"ver":-1`),
		"sid missing":                 swap(`,"sid":"`+attackSID+`"`, ``),
		"sid empty":                   swap(attackSID, ``),
		"sid unknown shape":           swap(attackSID, `s1`),
		"sid 21 characters":           swap(attackSID, attackSID[:21]),
		"sid 23 characters":           swap(attackSID, attackSID+"A"),
		"sid standard base64":         swap(attackSID, "/"+attackSID[1:]),
		"sid stray bits":              swap(attackSID, attackSID[:21]+string(strayBits(attackSID[21]))),
		"sid number":                  swap(`"`+attackSID+`"`, `1`),
		"sid null":                    swap(`"`+attackSID+`"`, `null`),
		"typ number":                  swap(`"typ":"access"`, `"typ":1`),
		"typ array":                   swap(`"typ":"access"`, `"typ":["access"]`),
		"typ null":                    swap(`"typ":"access"`, `"typ":null`),
		"typ refresh":                 swap(`"typ":"access"`, `"typ":"refresh"`),
		"typ missing":                 swap(`,"typ":"access"`, ``),
		"sub missing":                 swap(`,"sub":"u1"`, ``),
		"sub number":                  swap(`"sub":"u1"`, `"sub":1`),
		"sub empty":                   swap(`"sub":"u1"`, `"sub":""`),
		"sub array":                   swap(`"sub":"u1"`, `"sub":["u1"]`),
		"jti missing":                 swap(`"jti":"attack-jti",`, ``),
		"jti number":                  swap(`"jti":"attack-jti"`, `"jti":1`),
		"exp missing":                 swap(`"exp":`+exp+`,`, ``),
		"iat missing":                 swap(`"iat":`+iat+`,`, ``),
		"aud number":                  add(`"aud":1`),
		"iss object":                  add(`"iss":{}`),
		"roles not strings":           swap(`["reader"]`, `[1]`),
		"roles an object":             swap(`["reader"]`, `{"reader":true}`),
		"username number":             swap(`"username":"u1"`, `"username":1`),
		"scope array of numbers":      add(`"scp":[1]`),
		"trailing garbage":            good + "garbage",
		"second object":               good + strings.Replace(good, `"sub":"u1"`, `"sub":"admin"`, 1),
		"trailing NUL":                good + "\x00",
		"trailing comma":              good + ",",
		"payload an array":            "[" + good + "]",
		"payload a string":            strconv.Quote(good),
		"payload null":                "null",
		"payload an empty object":     "{}",
		"nested JWS":                  g.ours(h, good),
		"duplicate sub":               add(`"sub":"admin"`),
		"duplicate exp":               add(`"exp":` + strconv.FormatInt(attackNow.AddDate(1, 0, 0).Unix(), 10)),
		"duplicate through an escape": add(`"s\u0075b":"admin"`),
		"duplicate nested":            add(`"x":{"a":1,"a":2}`),
		"escaped exp numeric string":  swap(`"exp":`+exp, `"\u0065xp":"`+exp+`"`),
		"invalid UTF-8":               swap(`"username":"u1"`, "\"username\":\"u\xff1\""),
		"lone surrogate":              swap(`"username":"u1"`, `"username":"\udbff"`),
		"nested 40 deep":              add(`"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40)),
		"nbf in the future":           add(`"nbf":` + strconv.FormatInt(attackNow.Add(time.Hour).Unix(), 10)),
		"iat in the future":           claimsAt(attackNow.Add(time.Hour), ""),
	}
	for _, name := range sortedKeys(payloads) {
		g.bad("claims", name, g.ours(h, payloads[name]))
	}
	g.bad("claims", "nested JWS with cty JWT", g.ours(g.header(`,"cty":"JWT"`), g.ours(h, good)))
	g.bad("claims", "cty JWT over claims", g.ours(g.header(`,"cty":"JWT"`), good))
	g.bad("claims", "cty json", g.ours(g.header(`,"cty":"application/json"`), good))
	g.bad("claims", "duplicate kid in the header", g.ours(g.header(`,"kid":"`+attackKID+`"`), good))
	g.add("claims", "expired an hour ago", g.ours(h, claimsAt(attackNow.Add(-70*time.Minute), "")), "TOKEN_EXPIRED")
	g.add("claims", "expired beyond the leeway", g.ours(h, swap(`"exp":`+exp, `"exp":`+strconv.FormatInt(attackNow.Add(-31*time.Second).Unix(), 10))), "TOKEN_EXPIRED")
}

// format: the compact serialization broken around a valid token.
func (g *attackGen) format() {
	valid := g.ours(g.header(""), g.claims(""))
	p := strings.Split(valid, ".")
	big := g.ours(g.header(""), g.claims(`,"pad":"`+strings.Repeat("x", 8<<10)+`"`))
	for name, tok := range sorted(map[string]string{
		"trailing space":                   valid + " ",
		"trailing newline":                 valid + "\n",
		"trailing dot":                     valid + ".",
		"space inside":                     p[0] + ". " + p[1] + "." + p[2],
		"tab inside":                       p[0] + "\t." + p[1] + "." + p[2],
		"four segments":                    valid + ".AAAA",
		"five segments":                    valid + ".AAAA.AAAA",
		"two segments":                     p[0] + "." + p[1],
		"one segment":                      p[1],
		"empty header":                     "." + p[1] + "." + p[2],
		"empty payload":                    p[0] + ".." + p[2],
		"dots only":                        "..",
		"dot":                              ".",
		"four dots":                        "....",
		"ideographic full stops":           p[0] + "\u3002" + p[1] + "\u3002" + p[2],
		"percent-encoded dots":             p[0] + "%2E" + p[1] + "%2E" + p[2],
		"NUL inside":                       p[0] + "." + p[1] + "\x00." + p[2],
		"NUL after":                        valid + "\x00",
		"byte order mark before":           "\ufeff" + valid,
		"single-quoted":                    `'` + valid + `'`,
		"Bearer twice":                     "Bearer " + valid,
		"two tokens":                       valid + " " + valid,
		"two tokens by a comma":            valid + "," + valid,
		"URL-encoded":                      strings.ReplaceAll(strings.ReplaceAll(valid, "-", "%2D"), "_", "%5F"),
		"over 8 KiB, signed by us":         big,
		"header and payload swapped":       p[1] + "." + p[0] + "." + p[2],
		"header repeated":                  p[0] + "." + p[0] + "." + p[2],
		"segments reversed":                p[2] + "." + p[1] + "." + p[0],
		"upper case":                       strings.ToUpper(valid),
		"zero-width space inside":          p[0] + "\u200b." + p[1] + "." + p[2],
		"header not JSON, signed by us":    signInput(g, b64url([]byte("alg=HS256"))+"."+p[1]),
		"header an array, signed by us":    signInput(g, b64url([]byte(`["`+g.alg+`"]`))+"."+p[1]),
		"header empty object, signed":      signInput(g, b64url([]byte(`{}`))+"."+p[1]),
		"header with trailing bytes":       signInput(g, b64url([]byte(g.header("")+"x"))+"."+p[1]),
		"header with a second object":      signInput(g, b64url([]byte(g.header("")+`{"alg":"none"}`))+"."+p[1]),
		"header invalid UTF-8, signed":     signInput(g, b64url([]byte(`{"alg":"`+g.alg+`","kid":"`+attackKID+`","x":"`+"\xff"+`"}`))+"."+p[1]),
		"header naming x 100 times":        signInput(g, b64url([]byte(`{"alg":"`+g.alg+`","kid":"`+attackKID+`"`+strings.Repeat(`,"x":1`, 100)+`}`))+"."+p[1]),
		"payload not base64, signed by us": signInput(g, p[0]+".!!!!"),
	}) {
		g.bad("format", name, tok)
	}
}

// sortedKeys and sorted give map entries in key order: the corpus file
// must be reproducible.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func sorted[V any](m map[string]V) iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		for _, k := range sortedKeys(m) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}
