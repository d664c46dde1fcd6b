// Command server is gqljwt's demo: one process serving the demo schema
// behind every preset, on the embedded in-memory stores.
//
//	go run ./examples/server            # listens on :8080
//	go run ./examples/server -addr :9000
//
// The signing secret comes from GQLJWT_SECRET (at least 32 bytes); without
// it a random one is generated and every restart logs everyone out. With
// GQLJWT_SITE_TOKEN set (at least 32 bytes), /wpgraphql accepts SITETOKEN
// logins authorised by the X-Site-Token header.
package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", envOr("ADDR", ":8080"), "listen address (env ADDR)")
	flag.Parse()
	secret, generated, err := signingSecret(os.Getenv("GQLJWT_SECRET"))
	if err != nil {
		log.Fatal(err)
	}
	if generated {
		log.Print("WARNING: GQLJWT_SECRET is not set; using a random secret. Tokens will not survive a restart.")
	}
	o := options{secret: secret, logRequests: true, siteTokenHeader: "X-Site-Token"}
	if st := os.Getenv("GQLJWT_SITE_TOKEN"); st != "" {
		o.siteToken = []byte(st)
	}
	a, err := newApp(o)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{
		Addr: *addr, Handler: a.router,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second,
		MaxHeaderBytes: 64 << 10,
	}
	printBanner(a, *addr)
	log.Fatal(srv.ListenAndServe())
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
