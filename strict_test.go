package gqljwt_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
)

// strictSID has the shape of the session IDs gqljwt issues: randomID(16),
// 22 canonical base64url characters.
const strictSID = "AAECAwQFBgcICQoLDA0ODw"

// strictPayload is the payload gqljwt would issue at now, as raw JSON, so
// that the cases below can change it byte by byte. %s marks where a case
// adds members.
func strictPayload(now time.Time) string {
	iat := strconv.FormatInt(now.Unix(), 10)
	exp := strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10)
	return `{"exp":` + exp + `,"iat":` + iat + `,"jti":"j-strict","origIat":` + iat +
		`,"sid":"` + strictSID + `","sub":"42","typ":"access","username":"alice"%s}`
}

const strictHeader = `{"alg":"HS256","typ":"JWT"}`

// signRaw signs a header and a payload given as raw bytes with the test
// secret: exactly what a holder of the key could send.
func signRaw(header, payload string) string {
	return signHS(b64([]byte(header))+"."+b64([]byte(payload)), testSecret)
}

// TestStrictClaims: tokens signed with the right key whose payload or
// header is not what gqljwt issues, read to the letter of RFC 7519, RFC
// 8259 and RFC 8725, are refused with TOKEN_INVALID, on the first
// verification and on the second (a refusal is never cached). Each case
// changes one thing of the control token, which passes.
func TestStrictClaims(t *testing.T) {
	c := newClock()
	s := mustService(t, gqljwt.Config{Now: c.Now})
	now := c.Now()
	base := strictPayload(now)
	iat := strconv.FormatInt(now.Unix(), 10)
	exp := strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10)
	good := fmt.Sprintf(base, "")
	// swap replaces the first occurrence of old in the control payload.
	swap := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("the control payload has no %q", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	add := func(members string) string { return fmt.Sprintf(base, ","+members) }
	manyClaims := ""
	for i := 0; i < 20; i++ {
		manyClaims += fmt.Sprintf(`,"c%d":%d`, i, i)
	}
	control := signRaw(strictHeader, good)

	accepted := []struct{ name, header, payload string }{
		{"control", strictHeader, good},
		{"whitespace between tokens", strictHeader, " \t\n" + strings.ReplaceAll(strings.ReplaceAll(good, ",", " ,\r\n "), ":", " : ") + " \n"},
		{"escapes in values", strictHeader, swap(`"alice"`, `"\u0061lice \"A\" \ud83d\ude00 \/"`)},
		{"UTF-8 in values", strictHeader, swap(`"alice"`, `"älice 😀"`)},
		{"nbf in the past", strictHeader, add(`"nbf":` + iat)},
		{"nested private claims", strictHeader, add(`"x":{"a":[1,-2.5e3,true,false,null,{"b":"c"}],"d":{}}`)},
		{"more members than the pairwise set holds", strictHeader, fmt.Sprintf(base, manyClaims)},
		{"aud as an array", strictHeader, add(`"aud":["a","b"]`)},
		{"ver zero", strictHeader, add(`"ver":0`)},
		{"UTF-8 in the header", `{"alg":"HS256","typ":"JWT","x":"é"}`, good},
	}
	for _, tt := range accepted {
		t.Run("accepted/"+tt.name, func(t *testing.T) {
			tok := signRaw(tt.header, tt.payload)
			for _, pass := range []string{"first", "cached"} {
				id, err := s.Verify(ctx, tok)
				if err != nil {
					t.Fatalf("%s: refused: %v", pass, err)
				}
				if id.Subject != "42" || id.SessionID != strictSID {
					t.Fatalf("%s: identity %+v", pass, id)
				}
			}
		})
	}

	// nested is a whole valid token used as the payload of another.
	nested := control
	tests := []struct {
		name, header, payload string
		code                  gqljwt.Code
	}{
		// NumericDates must be JSON numbers (RFC 7519 §2), and we only
		// write non-negative integers up to year 9999.
		{"exp numeric string", strictHeader, swap(`"exp":`+exp, `"exp":"`+exp+`"`), gqljwt.CodeTokenInvalid},
		{"iat numeric string", strictHeader, swap(`"iat":`+iat, `"iat":"`+iat+`"`), gqljwt.CodeTokenInvalid},
		{"nbf numeric string", strictHeader, add(`"nbf":"` + iat + `"`), gqljwt.CodeTokenInvalid},
		{"origIat numeric string", strictHeader, swap(`"origIat":`+iat, `"origIat":"`+iat+`"`), gqljwt.CodeTokenInvalid},
		{"exp null", strictHeader, swap(`"exp":`+exp, `"exp":null`), gqljwt.CodeTokenInvalid},
		{"iat null", strictHeader, swap(`"iat":`+iat, `"iat":null`), gqljwt.CodeTokenInvalid},
		{"nbf null", strictHeader, add(`"nbf":null`), gqljwt.CodeTokenInvalid},
		{"exp true", strictHeader, swap(`"exp":`+exp, `"exp":true`), gqljwt.CodeTokenInvalid},
		{"exp array", strictHeader, swap(`"exp":`+exp, `"exp":[`+exp+`]`), gqljwt.CodeTokenInvalid},
		{"exp object", strictHeader, swap(`"exp":`+exp, `"exp":{"v":`+exp+`}`), gqljwt.CodeTokenInvalid},
		{"exp fraction", strictHeader, swap(`"exp":`+exp, `"exp":`+exp+`.5`), gqljwt.CodeTokenInvalid},
		{"exp whole fraction", strictHeader, swap(`"exp":`+exp, `"exp":`+exp+`.0`), gqljwt.CodeTokenInvalid},
		{"exp exponent", strictHeader, swap(`"exp":`+exp, `"exp":`+exp+`e0`), gqljwt.CodeTokenInvalid},
		{"exp exponent upper case", strictHeader, swap(`"exp":`+exp, `"exp":`+exp+`E+0`), gqljwt.CodeTokenInvalid},
		{"iat fraction", strictHeader, swap(`"iat":`+iat, `"iat":`+iat+`.25`), gqljwt.CodeTokenInvalid},
		{"nbf fraction", strictHeader, add(`"nbf":` + iat + `.5`), gqljwt.CodeTokenInvalid},
		{"iat negative", strictHeader, swap(`"iat":`+iat, `"iat":-1`), gqljwt.CodeTokenInvalid},
		{"iat minus zero", strictHeader, swap(`"iat":`+iat, `"iat":-0`), gqljwt.CodeTokenInvalid},
		{"exp leading zero", strictHeader, swap(`"exp":`+exp, `"exp":0`+exp), gqljwt.CodeTokenInvalid},
		{"exp past year 9999", strictHeader, swap(`"exp":`+exp, `"exp":253402300800`), gqljwt.CodeTokenInvalid},
		{"exp 20 digits", strictHeader, swap(`"exp":`+exp, `"exp":99999999999999999999`), gqljwt.CodeTokenInvalid},
		{"exp 400 digits", strictHeader, swap(`"exp":`+exp, `"exp":`+strings.Repeat("9", 400)), gqljwt.CodeTokenInvalid},
		{"nbf past year 9999", strictHeader, add(`"nbf":1e300`), gqljwt.CodeTokenInvalid},
		{"origIat fraction", strictHeader, swap(`"origIat":`+iat, `"origIat":`+iat+`.5`), gqljwt.CodeTokenInvalid},
		{"ver fraction", strictHeader, add(`"ver":1.5`), gqljwt.CodeTokenInvalid},
		{"ver negative", strictHeader, add(`"ver":-1`), gqljwt.CodeTokenInvalid},
		{"ver past 2^53", strictHeader, add(`"ver":9007199254740992`), gqljwt.CodeTokenInvalid},
		{"ver string", strictHeader, add(`"ver":"1"`), gqljwt.CodeTokenInvalid},

		// Every access token we issue carries a sid of randomID(16)'s
		// shape; without one, ending the session could not refuse it.
		{"sid missing", strictHeader, swap(`"sid":"`+strictSID+`",`, ``), gqljwt.CodeTokenInvalid},
		{"sid empty", strictHeader, swap(strictSID, ``), gqljwt.CodeTokenInvalid},
		{"sid unknown shape", strictHeader, swap(strictSID, `s1`), gqljwt.CodeTokenInvalid},
		{"sid 21 characters", strictHeader, swap(strictSID, strictSID[:21]), gqljwt.CodeTokenInvalid},
		{"sid 23 characters", strictHeader, swap(strictSID, strictSID+"A"), gqljwt.CodeTokenInvalid},
		{"sid 24 characters", strictHeader, swap(strictSID, strictSID+"AA"), gqljwt.CodeTokenInvalid},
		{"sid standard base64", strictHeader, swap(strictSID, "+"+strictSID[1:]), gqljwt.CodeTokenInvalid},
		{"sid padded", strictHeader, swap(strictSID, strictSID[:20]+"=="), gqljwt.CodeTokenInvalid},
		{"sid stray bits", strictHeader, swap(strictSID, strictSID[:21]+"x"), gqljwt.CodeTokenInvalid},
		{"sid escaped", strictHeader, swap(strictSID, `\u0041`+strictSID[1:]), gqljwt.CodeTokenInvalid},
		{"sid number", strictHeader, swap(`"`+strictSID+`"`, `1234567890123456789012`), gqljwt.CodeTokenInvalid},
		{"sid null", strictHeader, swap(`"`+strictSID+`"`, `null`), gqljwt.CodeTokenInvalid},
		{"sid array", strictHeader, swap(`"`+strictSID+`"`, `["`+strictSID+`"]`), gqljwt.CodeTokenInvalid},
		{"sid nested only", strictHeader, swap(`"sid":"`+strictSID+`",`, `"x":{"sid":"`+strictSID+`"},`), gqljwt.CodeTokenInvalid},

		// The claims gqljwt reads as strings are strings.
		{"typ number", strictHeader, swap(`"typ":"access"`, `"typ":1`), gqljwt.CodeTokenInvalid},
		{"typ array", strictHeader, swap(`"typ":"access"`, `"typ":["access"]`), gqljwt.CodeTokenInvalid},
		{"typ object", strictHeader, swap(`"typ":"access"`, `"typ":{"access":true}`), gqljwt.CodeTokenInvalid},
		{"typ null", strictHeader, swap(`"typ":"access"`, `"typ":null`), gqljwt.CodeTokenInvalid},
		{"typ true", strictHeader, swap(`"typ":"access"`, `"typ":true`), gqljwt.CodeTokenInvalid},
		{"typ upper case", strictHeader, swap(`"typ":"access"`, `"typ":"ACCESS"`), gqljwt.CodeTokenInvalid},
		{"sub number", strictHeader, swap(`"sub":"42"`, `"sub":42`), gqljwt.CodeTokenInvalid},
		{"jti number", strictHeader, swap(`"jti":"j-strict"`, `"jti":7`), gqljwt.CodeTokenInvalid},
		{"iss number", strictHeader, add(`"iss":1`), gqljwt.CodeTokenInvalid},
		{"aud number", strictHeader, add(`"aud":1`), gqljwt.CodeTokenInvalid},
		{"aud array with a number", strictHeader, add(`"aud":["a",1]`), gqljwt.CodeTokenInvalid},

		// One JSON object and nothing after it.
		{"trailing garbage", strictHeader, good + "garbage", gqljwt.CodeTokenInvalid},
		{"second object", strictHeader, good + good, gqljwt.CodeTokenInvalid},
		{"second object after space", strictHeader, good + " " + swap(`"sub":"42"`, `"sub":"1"`), gqljwt.CodeTokenInvalid},
		{"trailing NUL", strictHeader, good + "\x00", gqljwt.CodeTokenInvalid},
		{"trailing comma", strictHeader, good + ",", gqljwt.CodeTokenInvalid},
		{"trailing brace", strictHeader, good + "}", gqljwt.CodeTokenInvalid},
		{"comma before the brace", strictHeader, swap(`"alice"}`, `"alice",}`), gqljwt.CodeTokenInvalid},
		{"unterminated", strictHeader, good[:len(good)-1], gqljwt.CodeTokenInvalid},
		{"byte order mark", strictHeader, "\ufeff" + good, gqljwt.CodeTokenInvalid},
		{"payload an array", strictHeader, "[" + good + "]", gqljwt.CodeTokenInvalid},
		{"payload a string", strictHeader, strconv.Quote(good), gqljwt.CodeTokenInvalid},
		{"payload a number", strictHeader, "42", gqljwt.CodeTokenInvalid},
		{"payload null", strictHeader, "null", gqljwt.CodeTokenInvalid},
		{"payload empty object", strictHeader, "{}", gqljwt.CodeTokenInvalid},
		{"payload a closing brace", strictHeader, "}", gqljwt.CodeTokenInvalid},

		// A nested JWS is not a JSON object, and no cty is accepted.
		{"nested JWS", strictHeader, nested, gqljwt.CodeTokenInvalid},
		{"nested JWS with cty JWT", `{"alg":"HS256","typ":"JWT","cty":"JWT"}`, nested, gqljwt.CodeTokenInvalid},
		{"cty JWT over claims", `{"alg":"HS256","cty":"JWT"}`, good, gqljwt.CodeTokenInvalid},
		{"cty json", `{"alg":"HS256","cty":"json"}`, good, gqljwt.CodeTokenInvalid},
		{"cty after spaces", `{ "alg": "HS256", "cty": "JWT" }`, good, gqljwt.CodeTokenInvalid},
		{"cty escaped", `{"alg":"HS256","\u0063ty":"JWT"}`, good, gqljwt.CodeTokenInvalid},
		{"b64 false", `{"alg":"HS256","b64":false}`, good, gqljwt.CodeTokenInvalid},
		{"embedded jwk", `{"alg":"HS256","jwk":{"kty":"oct","k":"AAAA"}}`, good, gqljwt.CodeTokenInvalid},
		{"jku", `{"alg":"HS256","jku":"https://evil.example/jwks"}`, good, gqljwt.CodeTokenInvalid},
		{"x5u", `{"alg":"HS256","x5u":"https://evil.example/cert"}`, good, gqljwt.CodeTokenInvalid},
		{"x5c", `{"alg":"HS256","x5c":["MIIB"]}`, good, gqljwt.CodeTokenInvalid},
		{"invalid UTF-8 in the header", "{\"alg\":\"HS256\",\"x\":\"\xff\"}", good, gqljwt.CodeTokenInvalid},
		{"invalid UTF-8 in a header name", "{\"alg\":\"HS256\",\"\xc3\":1}", good, gqljwt.CodeTokenInvalid},

		// Each member name once, at every depth, compared after unescaping.
		{"duplicate sub", strictHeader, add(`"sub":"1"`), gqljwt.CodeTokenInvalid},
		{"duplicate exp", strictHeader, add(`"exp":` + exp), gqljwt.CodeTokenInvalid},
		{"duplicate sid", strictHeader, add(`"sid":"` + strictSID + `"`), gqljwt.CodeTokenInvalid},
		{"duplicate typ", strictHeader, add(`"typ":"access"`), gqljwt.CodeTokenInvalid},
		{"duplicate private claim", strictHeader, add(`"username":"mallory"`), gqljwt.CodeTokenInvalid},
		{"duplicate through an escape", strictHeader, add(`"s\u0075b":"1"`), gqljwt.CodeTokenInvalid},
		{"duplicate through a surrogate pair", strictHeader, add(`"😀":1,"\ud83d\ude00":2`), gqljwt.CodeTokenInvalid},
		{"duplicate in a nested object", strictHeader, add(`"x":{"a":1,"a":2}`), gqljwt.CodeTokenInvalid},
		{"duplicate in an object in an array", strictHeader, add(`"x":[{"a":1,"b":{"c":1,"c":1}}]`), gqljwt.CodeTokenInvalid},
		{"duplicate past the pairwise set", strictHeader, fmt.Sprintf(base, manyClaims+`,"c3":3`), gqljwt.CodeTokenInvalid},
		{"escaped name with a numeric string", strictHeader, swap(`"exp":`+exp, `"\u0065xp":"`+exp+`"`), gqljwt.CodeTokenInvalid},
		{"escaped sid name with a bad sid", strictHeader, swap(`"sid":"`+strictSID+`"`, `"s\u0069d":"s1"`), gqljwt.CodeTokenInvalid},

		// RFC 8259 to the letter.
		{"invalid UTF-8", strictHeader, swap(`"alice"`, "\"al\xffice\""), gqljwt.CodeTokenInvalid},
		{"overlong UTF-8", strictHeader, swap(`"alice"`, "\"al\xc0\xafice\""), gqljwt.CodeTokenInvalid},
		{"lone high surrogate", strictHeader, swap(`"alice"`, `"\ud800"`), gqljwt.CodeTokenInvalid},
		{"lone low surrogate", strictHeader, swap(`"alice"`, `"\udc00x"`), gqljwt.CodeTokenInvalid},
		{"reversed surrogates", strictHeader, swap(`"alice"`, `"\ude00\ud83d"`), gqljwt.CodeTokenInvalid},
		{"control character", strictHeader, swap(`"alice"`, "\"al\nice\""), gqljwt.CodeTokenInvalid},
		{"invalid escape", strictHeader, swap(`"alice"`, `"\x41"`), gqljwt.CodeTokenInvalid},
		{"short unicode escape", strictHeader, swap(`"alice"`, `"\u41"`), gqljwt.CodeTokenInvalid},
		{"single quotes", strictHeader, swap(`"alice"`, `'alice'`), gqljwt.CodeTokenInvalid},
		{"unquoted name", strictHeader, swap(`"username"`, `username`), gqljwt.CodeTokenInvalid},
		{"NaN", strictHeader, add(`"x":NaN`), gqljwt.CodeTokenInvalid},
		{"plus sign", strictHeader, add(`"x":+1`), gqljwt.CodeTokenInvalid},
		{"bare fraction", strictHeader, add(`"x":.5`), gqljwt.CodeTokenInvalid},
		{"trailing dot", strictHeader, add(`"x":1.`), gqljwt.CodeTokenInvalid},
		{"literal prefix", strictHeader, add(`"x":nul`), gqljwt.CodeTokenInvalid},
		{"literal upper case", strictHeader, add(`"x":True`), gqljwt.CodeTokenInvalid},
		{"comment", strictHeader, add(`"x":1/*c*/`), gqljwt.CodeTokenInvalid},
		{"too deep", strictHeader, add(`"x":` + strings.Repeat("[", 20) + strings.Repeat("]", 20)), gqljwt.CodeTokenInvalid},
		{"too deep objects", strictHeader, add(`"x":` + strings.Repeat(`{"a":`, 20) + "1" + strings.Repeat("}", 20)), gqljwt.CodeTokenInvalid},
		{"unbalanced", strictHeader, add(`"x":[1,{]}`), gqljwt.CodeTokenInvalid},

		// Time still decides between expired and invalid.
		{"expired", strictHeader, swap(`"exp":`+exp, `"exp":`+strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)), gqljwt.CodeTokenExpired},
	}
	if _, err := s.Verify(ctx, control); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := signRaw(tt.header, tt.payload)
			for _, pass := range []string{"first", "second"} {
				id, err := s.Verify(ctx, tok)
				if id != nil || err == nil {
					t.Fatalf("%s: accepted: %+v", pass, id)
				}
				if got := codeOf(err); got != tt.code {
					t.Fatalf("%s: code %q (%v), want %q", pass, got, err, tt.code)
				}
			}
		})
	}
}

// TestStrictClaimsIssuedTokens: every token gqljwt issues passes the
// strict reading, whatever the configuration adds to it: iss, aud, a
// large token version, custom claims with escapes, nulls and fractions.
func TestStrictClaimsIssuedTokens(t *testing.T) {
	const version = 1 << 40
	s := mustService(t, gqljwt.Config{Issuer: "https://issuer.example", Audience: "api", Versions: versionsOf{"42": version},
		Claims: func(context.Context, *gqljwt.User) (map[string]any, error) {
			return map[string]any{"tenant": "t\u00e9\"1\"<>&", "flags": []any{1.5, nil, map[string]any{"a": "b"}}}, nil
		}})
	u := *alice
	u.TokenVersion = version
	for i := 0; i < 50; i++ {
		tok, err := s.IssueAccessToken(ctx, &u)
		if err != nil {
			t.Fatal(err)
		}
		id, err := s.Verify(ctx, tok.Value)
		if err != nil {
			t.Fatalf("issued token refused: %v", err)
		}
		if len(id.SessionID) != 22 || id.TokenVersion != version {
			t.Fatalf("identity %+v", id)
		}
	}
}

// versionsOf is a fixed VersionStore.
type versionsOf map[string]uint64

func (v versionsOf) TokenVersion(_ context.Context, subject string) (uint64, error) {
	ver, ok := v[subject]
	if !ok {
		return 0, gqljwt.ErrNotFound
	}
	return ver, nil
}

func (versionsOf) BumpTokenVersion(context.Context, string) (uint64, error) {
	return 0, errors.New("versionsOf is read-only")
}

// TestStrictClaimsHookRefused: claims from the Claims hook that the strict
// reading refuses make IssueAccessToken fail (INTERNAL_SERVER_ERROR), not
// hand out a token that no Verify accepts.
func TestStrictClaimsHookRefused(t *testing.T) {
	deep := any("x")
	for range 20 {
		deep = []any{deep}
	}
	for name, extra := range map[string]map[string]any{
		"nesting past the reader's depth": {"deep": deep},
		"a RawMessage with a duplicate":   {"raw": json.RawMessage(`{"a":1,"a":2}`)},
		"a number past float64":           {"n": json.Number("1e400")},
		"the username claim not a string": {"username": 5},
		"the roles claim null":            {"roles": nil},
	} {
		t.Run(name, func(t *testing.T) {
			s := mustService(t, gqljwt.Config{Claims: func(context.Context, *gqljwt.User) (map[string]any, error) { return extra, nil }})
			tok, err := s.IssueAccessToken(ctx, &gqljwt.User{ID: "42"})
			if gqljwt.CodeOf(err) != gqljwt.CodeInternal {
				t.Fatalf("IssueAccessToken = %v, %v; want %s", tok, err, gqljwt.CodeInternal)
			}
		})
	}
}
