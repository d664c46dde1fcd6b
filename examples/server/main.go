// Command server is gqljwt's demo: one process serving the demo schema
// behind every preset, on the embedded in-memory stores, or with -redis on
// a Redis that several instances share.
//
//	go run ./examples/server            # listens on :8080
//	go run ./examples/server -addr :9000
//	go run ./examples/server -alg RS256 -key private.pem
//	GQLJWT_SECRET=... go run ./examples/server -redis redis://127.0.0.1:6379/0 -addr :8081
//
// Tokens are signed with HS256 (-alg, or env GQLJWT_ALG: HS256, RS256,
// ES256 or EdDSA). The HS256 secret comes from GQLJWT_SECRET (at least 32
// bytes); the other algorithms sign with the PEM private key of -key FILE
// (env GQLJWT_KEY) and publish its public half at /.well-known/jwks.json.
// Without a secret or a key a random one is generated and every restart
// logs everyone out. With GQLJWT_SITE_TOKEN set (at least 32 bytes),
// /wpgraphql accepts SITETOKEN logins authorised by the X-Site-Token
// header.
//
// Scripts of the origins in -cors-origins (env CORS_ORIGINS, default
// http://localhost:3000,http://127.0.0.1:3000) may call every endpoint.
// -access-ttl and -refresh-ttl (env ACCESS_TTL, REFRESH_TTL) shorten or
// lengthen every preset's token lifetimes, to watch expiry and refresh
// happen:
//
//	go run ./examples/server -access-ttl 30s -refresh-ttl 5m
//
// -redis (env REDIS_URL, or GQLJWT_REDIS) keeps the shared state in Redis:
// redis://[user:password@]host:port/db, rediss://... for TLS, a Cluster as
// redis://host1:port1,host2:port2 or as seed addresses host1:port1,host2:port2.
// The banner says which backend the instance uses.
//
// Each -oidc-issuer URL -oidc-audience AUD pair makes every endpoint
// accept that OpenID Connect provider's tokens too; me answers for their
// callers from the claims.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gqljwt/gqljwt"
)

func main() {
	addr := flag.String("addr", envOr("ADDR", ":8080"), "listen address (env ADDR)")
	alg := flag.String("alg", envOr("GQLJWT_ALG", gqljwt.HS256), "signing algorithm: HS256, RS256, ES256 or EdDSA (env GQLJWT_ALG)")
	keyFile := flag.String("key", os.Getenv("GQLJWT_KEY"), "PEM private key `FILE` for RS256, ES256 or EdDSA (env GQLJWT_KEY); a random key when unset")
	corsOrigins := flag.String("cors-origins", envOr("CORS_ORIGINS", "http://localhost:3000,http://127.0.0.1:3000"), "comma-separated `ORIGINS` whose scripts may call the API with credentials (env CORS_ORIGINS); empty: same origin only")
	accessTTL := durationFlag("access-ttl", "ACCESS_TTL", "access token lifetime of every endpoint, e.g. 30s (env ACCESS_TTL); each preset's own when unset")
	refreshTTL := durationFlag("refresh-ttl", "REFRESH_TTL", "refresh token lifetime of every endpoint, e.g. 10m (env REFRESH_TTL); each preset's own when unset")
	redis := flag.String("redis", envOr("REDIS_URL", os.Getenv("GQLJWT_REDIS")), "Redis `URL` keeping sessions, revocations, login counts, OAuth2 states and linked identities, so that several instances serve as one: redis://host:port/db, rediss://... (TLS), redis://h1:p1,h2:p2 or h1:p1,h2:p2 for a Cluster's seeds (env REDIS_URL or GQLJWT_REDIS); in process when unset")
	insecureCookies := flag.Bool("insecure-cookies", os.Getenv("GQLJWT_INSECURE_COOKIES") == "1", "development only: session cookies without Secure, for browsers on plain HTTP other than localhost (env GQLJWT_INSECURE_COOKIES=1)")
	var of oidcFlags
	flag.Var(&of.issuers, "oidc-issuer", "accept the tokens of the OpenID Connect provider at `URL` too (repeatable, each with an -oidc-audience)")
	flag.Var(&of.audiences, "oidc-audience", "the `AUD` the tokens of the matching -oidc-issuer must carry")
	flag.Var(&of.presets, "oidc-preset", "claim mapping: `keycloak[=client,...]`, auth0[=roles claim], cognito, entra, okta or generic (once for all issuers, or once per issuer)")
	flag.Parse()
	o := options{logRequests: true, siteTokenHeader: "X-Site-Token", events: slog.Default(), redis: *redis,
		corsOrigins: splitList(*corsOrigins), accessTTL: *accessTTL, refreshTTL: *refreshTTL, insecureCookies: *insecureCookies}
	if *insecureCookies {
		log.Print("WARNING: -insecure-cookies: session cookies travel without Secure, in clear text over plain HTTP")
	}
	issuers, err := of.externalIssuers(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	o.issuers = asExternal(issuers)
	for _, x := range issuers {
		log.Printf("accepting the tokens of %s (keys from %s)", x.Issuer(), x.JWKSURL())
	}
	warning, err := configureKeys(&o, *alg, *keyFile, os.Getenv("GQLJWT_SECRET"))
	if err != nil {
		log.Fatal(err)
	}
	if warning != "" {
		log.Print(warning)
	}
	if st := os.Getenv("GQLJWT_SITE_TOKEN"); st != "" {
		o.siteToken = []byte(st)
	}
	a, err := newApp(o)
	if err != nil {
		log.Fatal(err)
	}
	a.serveJWKS()
	srv := &http.Server{
		Addr: *addr, Handler: a.router,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second,
		MaxHeaderBytes: 64 << 10,
	}
	printBanner(a, *addr)
	log.Fatal(srv.ListenAndServe())
}

// durationFlag is a duration flag whose default comes from the environment;
// a malformed or negative value in either stops the server.
func durationFlag(name, env, usage string) *time.Duration {
	var def time.Duration
	if v := os.Getenv(env); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			log.Fatalf("%s=%q is not a positive Go duration (30s, 15m, 2h)", env, v)
		}
		def = d
	}
	return flag.Duration(name, def, usage)
}

// splitList splits a comma-separated flag, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// signingSecret returns the configured secret, or a random one when none
// is set. A configured secret that is too short is an error, not a
// fallback.
func signingSecret(configured string) ([]byte, bool, error) {
	if configured != "" {
		if len(configured) < 32 {
			return nil, false, errors.New("GQLJWT_SECRET must be at least 32 bytes")
		}
		return []byte(configured), false, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, false, err
	}
	return b, true, nil
}

func printBanner(a *app, addr string) {
	host := addr
	if len(host) > 0 && host[0] == ':' {
		host = "localhost" + host
	}
	fmt.Printf("gqljwt demo server on http://%s\n\n", host)
	for _, ep := range a.endpoints {
		fmt.Printf("  http://%s%-16s %s\n", host, ep.path, ep.about)
	}
	if len(a.endpoints) > 0 {
		if alg := a.services[a.endpoints[0].path].Settings().Algorithm; alg != gqljwt.HS256 {
			fmt.Printf("  http://%s%s the %s public key (JWKS)\n", host, jwksPath, alg)
		}
	}
	fmt.Printf("\nShared state: %s\n", a.backend)
	fmt.Println("\nDemo users (username / password, roles, scopes):")
	for _, du := range demoUsers {
		role := "-"
		if len(du.user.Roles) > 0 {
			role = du.user.Roles[0]
		}
		note := ""
		if !du.user.Active {
			note = " (disabled: login fails as with a wrong password)"
		}
		fmt.Printf("  %-6s %-16s %-7s %v%s\n", du.user.Username, du.password, role, du.user.Scopes, note)
	}
	fmt.Println()
}
