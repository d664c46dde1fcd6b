package oidc

import (
	"encoding/base64"
	"testing"
)

// FuzzParse: the key-free part of Verify never panics on any token, and
// what it accepts has the shape Verify relies on.
func FuzzParse(f *testing.F) {
	cfg, err := Config{Issuer: "https://idp.example.test", Audience: []string{"api"}, Algorithms: []string{"RS256"}}.withDefaults()
	if err != nil {
		f.Fatal(err)
	}
	x := &Issuer{cfg: cfg}
	enc := base64.RawURLEncoding.EncodeToString
	f.Add(enc([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc([]byte(`{"iss":"https://idp.example.test","aud":"api","sub":"1","exp":1e10}`)) + ".c2ln")
	f.Add(enc([]byte(`{"alg":"RS256","kid":"k","jku":"x"}`)) + "." + enc([]byte(`{"iss":"https://idp.example.test","aud":["api"],"sub":"1","exp":99,"exp":98}`)) + ".c2ln")
	f.Fuzz(func(t *testing.T, token string) {
		hdr, claims, err := x.parse(token)
		if err != nil {
			return
		}
		if hdr["alg"] != "RS256" || hdr["kid"] == "" || claims["iss"] != cfg.Issuer || claims["sub"] == "" {
			t.Fatalf("parse accepted %q: header %v claims %v", token, hdr, claims)
		}
		if _, ok := numericDate(claims, "exp"); !ok {
			t.Fatalf("parse accepted %q without a NumericDate exp", token)
		}
		for _, name := range []string{"jku", "jwk", "x5u", "crit", "b64"} {
			if _, ok := hdr[name]; ok {
				t.Fatalf("parse accepted %q with %s in its header", token, name)
			}
		}
	})
}
