package oidc_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/oidc"
	"github.com/gqljwt/gqljwt/oidc/oidctest"
)

// Example accepts a Keycloak realm's tokens beside the Service's own:
// one Service, so one middleware.Verifier, for both. The provider here is
// oidctest's, on loopback; in production Issuer is the realm's URL, e.g.
// https://sso.example.com/realms/demo.
func Example() {
	idp, err := oidctest.New()
	if err != nil {
		log.Fatal(err)
	}
	defer idp.Close()

	keycloak, err := oidc.New(context.Background(), oidc.Config{
		Issuer:   idp.Issuer(),           // discovery: Issuer + /.well-known/openid-configuration
		Audience: []string{"orders-api"}, // required
		Mapping:  oidc.Keycloak("orders-api"),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer keycloak.Close()
	auth, err := gqljwt.New(gqljwt.Config{
		Secret:  []byte("our-own-hs256-secret-0123456789abcdef"),
		Issuers: []gqljwt.ExternalIssuer{keycloak},
	})
	if err != nil {
		log.Fatal(err)
	}

	claims := idp.Claims("f1a2b3c4", "orders-api", time.Now(), 5*time.Minute)
	claims["preferred_username"] = "ann"
	claims["realm_access"] = map[string]any{"roles": []string{"EDITOR"}}
	claims["resource_access"] = map[string]any{"orders-api": map[string]any{"roles": []string{"order-admin"}}}
	claims["scope"] = "openid read:orders"
	token, err := idp.Sign("RS256", claims)
	if err != nil {
		log.Fatal(err)
	}
	id, err := auth.Verify(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(id.Subject, id.Username, id.Roles, id.Scopes, id.ExternalIssuer == idp.Issuer())
	// Output: f1a2b3c4 ann [EDITOR order-admin] [openid read:orders] true
}
