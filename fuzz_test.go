package gqljwt_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

var (
	fzSecret      = []byte("fuzz-secret-0123456789abcdef-0123456789")
	fzOtherSecret = []byte("fuzz-other-secret-0123456789abcdef-01234")
)

// fzSetup is what both fuzz targets and the regression tests share: two
// services (a single-key one, and a rotating one whose keyring selects by
// kid) and the exact tokens each must accept.
type fzSetup struct {
	single, rotating *gqljwt.Service
	// valid maps each service to its acceptable tokens (token -> subject).
	valid map[*gqljwt.Service]map[string]string
	// seeds are strings that must be refused by both services.
	seeds []string
	// goods lists every accepted token, for mutation.
	goods []string
}

// fzNow is the fixed clock of the fuzz services. Fuzzing runs the target in
// several processes, each building its own services, so the seeded tokens
// must be the same bytes everywhere: they are signed here from fixed
// claims, exactly as gqljwt would issue them, rather than by
// IssueAccessToken, whose jti is random.
var fzNow = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

// fzForge signs claims (issued at fzNow+iatOffset) with HS256.
func fzForge(secret []byte, kid, sub, jti string, iatOffset time.Duration, extra string) string {
	iat := fzNow.Add(iatOffset).Unix()
	header := `{"alg":"HS256","typ":"JWT"}`
	if kid != "" {
		header = `{"alg":"HS256","kid":"` + kid + `","typ":"JWT"}`
	}
	claims := `{"exp":` + strconv.FormatInt(iat+900, 10) + `,"iat":` + strconv.FormatInt(iat, 10) +
		`,"jti":"` + jti + `","origIat":` + strconv.FormatInt(iat, 10) + `,"sid":"` + fzSID(jti) + `","sub":"` + sub + `","typ":"access"` + extra + `}`
	in := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// fzSID derives from jti a session ID of the shape gqljwt issues
// (randomID(16)), the same bytes in every fuzzing process.
func fzSID(jti string) string {
	h := sha256.Sum256([]byte(jti))
	return base64.RawURLEncoding.EncodeToString(h[:16])
}

func fzNew(t testing.TB) *fzSetup {
	t.Helper()
	now := func() time.Time { return fzNow }
	mk := func(cfg gqljwt.Config) *gqljwt.Service {
		cfg.Now = now
		s, err := gqljwt.New(cfg)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return s
	}
	z := &fzSetup{
		single:   mk(gqljwt.Config{Secret: fzSecret}),
		rotating: mk(gqljwt.Config{SigningKey: gqljwt.Key{ID: "k2", Secret: fzSecret}, VerificationKeys: []gqljwt.Key{{ID: "k1", Secret: fzOtherSecret}}}),
		valid:    map[*gqljwt.Service]map[string]string{},
	}
	s1 := fzForge(fzSecret, "", "alice", "j-alice", 0, "")
	s2 := fzForge(fzSecret, "", "bob", "j-bob", -time.Minute, `,"roles":["admin","user"],"scope":"read write","username":"bob"`)
	r1 := fzForge(fzSecret, "k2", "carol", "j-carol", 0, "")
	r2 := fzForge(fzOtherSecret, "k1", "dave", "j-dave", 0, `,"roles":["x"]`)
	z.valid[z.single] = map[string]string{s1: "alice", s2: "bob"}
	z.valid[z.rotating] = map[string]string{r1: "carol", r2: "dave"}
	z.goods = []string{s1, s2, r1, r2}
	for svc, toks := range z.valid {
		for tok, sub := range toks {
			if id, err := svc.Verify(context.Background(), tok); err != nil || id.Subject != sub {
				t.Fatalf("seeded token for %s does not verify: %v", sub, err)
			}
		}
	}

	revoked := fzForge(fzSecret, "", "eve", "j-eve", 0, "")
	id, err := z.single.Verify(context.Background(), revoked)
	if err != nil {
		t.Fatal(err)
	}
	if err := z.single.RevokeAccessToken(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	p := strings.Split(s1, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`))
	z.seeds = []string{
		"", ".", "..", "a.b.c", "a.b", "a.b.c.d",
		p[0], p[0] + "." + p[1], p[0] + "." + p[1] + ".",
		none + "." + p[1] + ".", none + "." + p[1] + "." + p[2],
		fzForge(fzSecret, "", "expired", "j-expired", -time.Hour, ""),
		fzForge(fzSecret, "", "future", "j-future", time.Hour, ""),
		fzForge(fzOtherSecret, "", "mallory", "j-mallory", 0, ""),
		fzForge(fzSecret, "k1", "mallory", "j-mallory2", 0, ""),
		fzForge(fzSecret, "", "typ", "j-typ", 0, `,"typ":"refresh"`),
		revoked,
		p[0] + "." + strings.Split(s2, ".")[1] + "." + p[2],
		s1 + " ", " " + s1, s1 + "=", "Bearer " + s1,
		strings.Repeat("A", 9000) + "." + p[1] + "." + p[2],
		strings.Repeat("a.", 100),
		"eyJ\x00." + p[1] + "." + p[2],
	}
	return z
}

// fzCheck verifies s with svc and fails t unless the outcome is one of the
// allowed ones: the exact acceptable token with its subject, or a token
// error.
func (z *fzSetup) fzCheck(t *testing.T, svc *gqljwt.Service, s string) (accepted bool) {
	t.Helper()
	id, err := svc.Verify(context.Background(), s)
	if (id == nil) == (err == nil) {
		t.Fatalf("Verify(%q) = %v, %v: want exactly one of identity and error", s, id, err)
	}
	if err != nil {
		switch gqljwt.CodeOf(err) {
		case gqljwt.CodeTokenInvalid, gqljwt.CodeTokenExpired, gqljwt.CodeTokenRevoked:
		default:
			t.Fatalf("Verify(%q): unexpected error %v (code %q)", s, err, gqljwt.CodeOf(err))
		}
		return false
	}
	sub, ok := z.valid[svc][s]
	if !ok {
		t.Fatalf("Verify accepted %q, which is not one of the issued tokens (subject %q)", s, id.Subject)
	}
	if id.Subject != sub || id.Token != s {
		t.Fatalf("Verify(%q): subject %q token %q, want %q and the same token", s, id.Subject, id.Token, sub)
	}
	return true
}

// fzMutate applies one edit, chosen by op, to tok.
func fzMutate(tok string, pos uint, b byte, op uint8) string {
	n := uint(len(tok))
	switch op % 6 {
	case 0: // replace a byte
		i := pos % n
		return tok[:i] + string([]byte{b}) + tok[i+1:]
	case 1: // insert a byte
		i := pos % (n + 1)
		return tok[:i] + string([]byte{b}) + tok[i:]
	case 2: // delete a byte
		i := pos % n
		return tok[:i] + tok[i+1:]
	case 3: // truncate
		return tok[:pos%n]
	case 4: // flip one bit
		i := pos % n
		return tok[:i] + string([]byte{tok[i] ^ (1 << (b % 8))}) + tok[i+1:]
	default: // swap two bytes
		i, j := pos%n, uint(b)%n
		if i > j {
			i, j = j, i
		}
		if i == j {
			return tok
		}
		return tok[:i] + tok[j:j+1] + tok[i+1:j] + tok[i:i+1] + tok[j+1:]
	}
}

// FuzzVerify feeds Service.Verify arbitrary strings and edits of valid
// tokens. It must never panic, never accept a string that is not one of the
// tokens issued above, and refuse every edit of a valid token that changes
// it. Each service is asked twice, so the verified-token cache is covered.
func FuzzVerify(f *testing.F) {
	z := fzNew(f)
	for i, s := range append(append([]string{}, z.goods...), z.seeds...) {
		f.Add(s, uint(i*7), byte('A'+i), uint8(i))
	}
	// Edits at the edges of segments.
	for i, g := range z.goods {
		for _, pos := range []uint{0, uint(strings.IndexByte(g, '.')), uint(strings.LastIndexByte(g, '.')), uint(len(g) - 2)} {
			f.Add(g, pos, byte('.'), uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, s string, pos uint, b byte, op uint8) {
		for _, svc := range []*gqljwt.Service{z.single, z.rotating} {
			z.fzCheck(t, svc, s)
			z.fzCheck(t, svc, s)
		}
		orig := z.goods[pos%uint(len(z.goods))]
		m := fzMutate(orig, pos/uint(len(z.goods)), b, op)
		for _, svc := range []*gqljwt.Service{z.single, z.rotating} {
			accepted := z.fzCheck(t, svc, m)
			if accepted && m != orig && z.valid[svc][m] == "" {
				t.Fatalf("edited token %q accepted (from %q)", m, orig)
			}
			if _, mine := z.valid[svc][orig]; mine && m == orig && !accepted {
				t.Fatalf("unchanged token %q refused", orig)
			}
		}
	})
}

// TestVerifyRefusesNonCanonicalSignature: the unused low bits of the last
// signature character must be zero (RFC 7515 uses base64url without
// padding; RFC 4648 section 3.5 lets decoders refuse non-zero pad bits).
// Otherwise one token has several spellings that all verify, which defeats
// anything keyed on the token string.
func TestVerifyRefusesNonCanonicalSignature(t *testing.T) {
	z := fzNew(t)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var accepted []string
	for svc, toks := range z.valid {
		for tok := range toks {
			for _, c := range alphabet {
				m := tok[:len(tok)-1] + string(c)
				if m == tok {
					continue
				}
				if _, err := svc.Verify(context.Background(), m); err == nil {
					accepted = append(accepted, "…"+m[len(m)-6:])
				}
			}
		}
	}
	problem := ""
	if len(accepted) > 0 {
		problem = "accepted spellings: " + strings.Join(accepted, " ")
	}
	if problem != "" {
		t.Fatal(problem)
	}
}

// TestVerifyRefusesDuplicateHeaderParams: a JOSE header naming alg or kid
// twice is refused, whatever whitespace surrounds the members (header.go
// documents the refusal; the flat scanner enforces it, the encoding/json
// fallback must too). The headers are signed with the real secret, so
// only the duplicate can be the reason to refuse.
func TestVerifyRefusesDuplicateHeaderParams(t *testing.T) {
	z := fzNew(t)
	good := ""
	for tok := range z.valid[z.single] {
		good = tok
		break
	}
	payload := strings.Split(good, ".")[1]
	sign := func(header string) string {
		in := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + payload
		mac := hmac.New(sha256.New, fzSecret)
		mac.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	// Sanity: the same payload with a spaced header verifies.
	if _, err := z.single.Verify(context.Background(), sign(`{ "alg":"HS256"}`)); err != nil {
		t.Fatalf("spaced header refused: %v", err)
	}
	var accepted []string
	for _, h := range []string{
		`{"alg":"HS256","alg":"HS256"}`,
		`{"alg":"HS256", "alg":"HS256"}`,
		`{ "alg":"HS256","alg":"HS256"}`,
		`{"alg":"HS256", "kid":"", "kid":""}`,
		`{"alg":"HS256","kid":"" , "kid":""}`,
	} {
		if _, err := z.single.Verify(context.Background(), sign(h)); err == nil {
			accepted = append(accepted, h)
		}
	}
	problem := ""
	if len(accepted) > 0 {
		problem = "accepted headers: " + strings.Join(accepted, "  ")
	}
	if problem != "" {
		t.Fatal(problem)
	}
}
