package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/redisstore"
)

// redisPrefix is the demo's key space in Redis.
const redisPrefix = "gqljwt-demo:"

// defaultRevocationCacheTTL bounds how long an instance may answer a
// revocation check from its client-side cache should Redis's
// invalidation push be lost (see redisstore.CacheTTL).
const defaultRevocationCacheTTL = time.Second

// sharedState is what the demo's endpoints, and with Redis its instances,
// share: revocations, token versions, login-attempt counts, OAuth2 states,
// linked identities, and one refresh store per endpoint.
type sharedState struct {
	revocations gqljwt.RevocationStore
	// versions is nil in process: the user store keeps them.
	versions   gqljwt.VersionStore
	throttle   *gqljwt.LoginThrottle
	states     gqljwt.StateStore
	identities gqljwt.IdentityStore
	refresh    func(path string) gqljwt.RefreshStore
	close      func()
	// backend says where the state lives, for the banner.
	backend string
}

// newSharedState keeps the shared state in this process, or in the Redis
// -redis names (o.redis), where several instances of the demo share it.
func newSharedState(o options, users []demoUser) (*sharedState, error) {
	if o.redis == "" {
		return &sharedState{
			revocations: gqljwt.NewMemoryRevocations(),
			throttle:    gqljwt.NewLoginThrottle(0),
			states:      gqljwt.NewMemoryStates(),
			identities:  memstore.NewIdentities(),
			refresh:     func(string) gqljwt.RefreshStore { return memstore.NewRefreshTokens(memstore.Clock(o.now)) },
			close:       func() {},
			backend:     "in this process's memory (run one instance only; -redis shares it between instances)",
		}, nil
	}
	// The revocation checks answer from the front cache of tr, which the
	// client's invalidation pushes keep true.
	tr := redisstore.NewTracking(0)
	client, backend, err := newRedisClient(o.redis, tr)
	if err != nil {
		return nil, err
	}
	opts := []redisstore.Option{redisstore.Prefix(redisPrefix), redisstore.Timeout(o.redisTimeout)}
	if o.now != nil {
		opts = append(opts, redisstore.Clock(o.now))
	}
	versions := redisstore.NewVersions(client, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, du := range users {
		// Adding a user Redis knows already changes nothing: instances
		// starting later keep the versions the first one wrote.
		if _, err := versions.Add(ctx, du.user.ID); err != nil {
			client.Close()
			return nil, fmt.Errorf("%s: %w", backend, err)
		}
	}
	cacheTTL := o.revocationCacheTTL
	if cacheTTL <= 0 {
		cacheTTL = defaultRevocationCacheTTL
	}
	return &sharedState{
		revocations: redisstore.NewRevocations(client, append(opts, redisstore.CacheTTL(cacheTTL), redisstore.Front(tr))...),
		versions:    versions,
		throttle:    gqljwt.NewLoginThrottleWithCounter(redisstore.NewAttemptCounter(client, opts...), 0),
		states:      redisstore.NewStates(client, opts...),
		identities:  redisstore.NewIdentities(client, opts...),
		refresh: func(path string) gqljwt.RefreshStore {
			return redisstore.NewRefreshTokens(client, append(opts, redisstore.Prefix(redisPrefix+"refresh"+path+":"))...)
		},
		close:   client.Close,
		backend: backend,
	}, nil
}
