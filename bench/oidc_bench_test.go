package bench

import (
	"context"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/oidc"
	"github.com/gqljwt/gqljwt/oidc/oidctest"
)

// BenchmarkExternalVerify compares Service.Verify on tokens of an external
// issuer (an oidctest provider on loopback, RS256 with a 2048-bit key and
// ES256 on P-256) with our own HS256 token, through one Service that has
// the issuer configured, and our HS256 token through a Service without
// issuers (the routing's cost):
//
//	go test -run '^$' -bench ExternalVerify -benchmem
//
// "cold" is full verification on every call (the verified-token cache off:
// routing, strict parsing, key lookup, signature, claims, mapping);
// "warm" is a token the cache has seen (the key still published, the key
// set fresh, the jti denylist read).
func BenchmarkExternalVerify(b *testing.B) {
	p, err := oidctest.New()
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	x, err := oidc.New(context.Background(), oidc.Config{Issuer: p.Issuer(), Audience: []string{"bench-api"}, Algorithms: []string{"RS256", "ES256"}})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	service := func(entries int, issuers ...gqljwt.ExternalIssuer) *gqljwt.Service {
		s, err := gqljwt.New(gqljwt.Config{Secret: vbSecret, Issuers: issuers, CacheEntries: entries})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	external := func(alg string) string {
		c := p.Claims("user-1", "bench-api", time.Now(), time.Hour)
		c["preferred_username"], c["roles"], c["scope"] = "ann", []string{"EDITOR"}, "openid read:orders"
		tok, err := p.Sign(alg, c)
		if err != nil {
			b.Fatal(err)
		}
		return tok
	}
	ours := func(s *gqljwt.Service) string {
		tok, err := s.IssueAccessToken(context.Background(), &gqljwt.User{ID: "1", Username: "ann", Roles: []string{"EDITOR"}})
		if err != nil {
			b.Fatal(err)
		}
		return tok.Value
	}
	for _, mode := range []struct {
		name    string
		entries int
	}{{"cold", -1}, {"warm", 0}} {
		with := service(mode.entries, x)
		without := service(mode.entries)
		for _, tc := range []struct {
			name  string
			s     *gqljwt.Service
			token string
		}{
			{"RS256-external", with, external("RS256")},
			{"ES256-external", with, external("ES256")},
			{"HS256-ours", with, ours(with)},
			{"HS256-ours-no-issuers", without, ours(without)},
		} {
			b.Run(tc.name+"/"+mode.name, func(b *testing.B) {
				ctx := context.Background()
				if _, err := tc.s.Verify(ctx, tc.token); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := tc.s.Verify(ctx, tc.token); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
