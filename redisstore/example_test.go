package redisstore_test

import (
	"log"
	"os"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/redisstore"
	"github.com/redis/rueidis"
)

// Every instance of a service builds its Service on the same Redis: a
// logout on one is then refused on all, and the login throttle counts
// failures across all of them.
func Example() {
	client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{"127.0.0.1:6379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	opts := []redisstore.Option{redisstore.Prefix("myapp:"), redisstore.CacheTTL(time.Second)}
	svc, err := gqljwt.New(gqljwt.Config{
		Secret:        []byte(os.Getenv("GQLJWT_SECRET")),
		Users:         memstore.NewUsers(), // the application's own UserStore
		Refresh:       redisstore.NewRefreshTokens(client, opts...),
		Revocations:   redisstore.NewRevocations(client, opts...),
		Versions:      redisstore.NewVersions(client, opts...), // Add each user when it is created
		LoginThrottle: gqljwt.NewLoginThrottleWithCounter(redisstore.NewAttemptCounter(client, opts...), 0),
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = svc
}
