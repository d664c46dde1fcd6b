package main

import (
	"cmp"
	"fmt"
	"io"
	"log"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"
	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/gqljwt/gqljwt/memstore"
	"github.com/gqljwt/gqljwt/middleware"
	"github.com/gqljwt/gqljwt/mutations"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/handler"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/oauth2"
)

// maxRequestBody bounds a GraphQL request; graphql-go's handler reads the
// whole body.
const maxRequestBody = 1 << 20

// options configure the demo; tests set the clock and the OAuth2 peer.
type options struct {
	// alg is the signing algorithm (default HS256). HS256 signs with
	// secret, the others with signingKey; configureKeys sets them.
	alg        string
	secret     []byte
	signingKey gqljwt.Key
	bcryptCost int
	// siteToken enables WPGraphQL's SITETOKEN provider, read from the
	// siteTokenHeader request header.
	siteToken       []byte
	siteTokenHeader string
	// oauth2 and userInfoURL enable WPGraphQL's OAUTH2_GENERIC provider.
	oauth2      *oauth2.Config
	userInfoURL string
	now         func() time.Time
	// logRequests adds chi's request logger, writing to accessLog
	// (default: chi's, standard output).
	logRequests bool
	accessLog   io.Writer
	// events receives the security events (logins, lockouts, ...).
	events *slog.Logger
	// users replaces the seeded demo users.
	users []demoUser
	// redis, when set, names the Redis that keeps the shared state (the
	// -redis flag: a URL or seed addresses, see redisOption)
	redis string
	// issuers are external identity providers whose tokens every
	// endpoint accepts beside its own (-oidc-issuer).
	issuers []gqljwt.ExternalIssuer
	// corsOrigins are the origins whose scripts may call every endpoint;
	// none: no CORS headers, browsers allow same-origin calls only. They
	// are also the origins besides the demo's own that may use its cookie
	// sessions.
	corsOrigins []string
	// accessTTL and refreshTTL, when set, replace every preset's token
	// lifetimes (-access-ttl, -refresh-ttl).
	accessTTL, refreshTTL time.Duration
	// reuseGrace is Config.RefreshReuseGrace (zero: the default; negative:
	// off); revocationCacheTTL the Redis revocation cache's bound (zero:
	// defaultRevocationCacheTTL) and redisTimeout each Redis operation's
	// (zero: redisstore.DefaultTimeout): tests set them.
	reuseGrace         time.Duration
	revocationCacheTTL time.Duration
	redisTimeout       time.Duration
	// insecureCookies leaves Secure out of the session cookies, for
	// browsers on plain HTTP other than localhost.
	insecureCookies bool
}

// endpoint is one API shape the demo serves.
type endpoint struct {
	path       string
	preset     mutations.Preset
	about      string
	userID     graphql.Output
	extractors []middleware.Extractor
	sliding    bool
	identities bool
	// cookies serves the preset in cookie mode (see cookieMode).
	cookies bool
	// issuer is the iss of the endpoint's tokens, required of them too.
	issuer string
}

// app is the demo server: every endpoint serves the demo schema plus one
// preset's auth operations, on shared users and stores.
type app struct {
	router     chi.Router
	users      *memstore.Users
	identities gqljwt.IdentityStore
	oauth      *mutations.OAuth2
	endpoints  []endpoint
	services   map[string]*gqljwt.Service
	// close releases the shared state's connections.
	close func()
	// backend says where the shared state lives.
	backend string
}

func endpoints() []endpoint {
	return []endpoint{
		{path: "/graphql", preset: mutations.Native(), about: "native shape (django-graphql-jwt vocabulary + logout), GraphiQL in a browser",
			userID: graphql.ID, extractors: []middleware.Extractor{middleware.FromHeader("JWT")}},
		{path: "/graphene", preset: mutations.GrapheneWith(mutations.GrapheneSettings{AllowArgument: true}), about: "django-graphql-jwt classic (seed 000)",
			userID: graphql.ID, extractors: []middleware.Extractor{middleware.FromHeader("JWT")}},
		{path: "/graphene-relay", preset: mutations.GrapheneRelay(), about: "django-graphql-jwt Relay (seed 000)",
			userID: graphql.ID, extractors: []middleware.Extractor{middleware.FromHeader("JWT")}},
		{path: cookieEndpoint, preset: mutations.Graphene(), about: "django-graphql-jwt classic in cookie mode (jwt_cookie): JWT and JWT-refresh-token cookies, CSRF-checked",
			userID: graphql.ID, extractors: []middleware.Extractor{middleware.FromHeader("JWT")}, cookies: true},
		{path: "/service/Auth", preset: mutations.CollectiveAccess(), about: "CollectiveAccess Auth service (seed 001), token as bearer or ?jwt=",
			userID: graphql.Int, extractors: []middleware.Extractor{middleware.FromHeader(), middleware.FromQuery("jwt")}},
		{path: "/wpgraphql", preset: mutations.WPGraphQL(), about: "WPGraphQL Headless Login (seed 002)",
			userID: graphql.ID, identities: true, issuer: wpSiteURL},
		{path: "/toggle", preset: mutations.Toggle(), about: "Toggle (seed 003), token in the Authorization response header, sliding refresh",
			userID: graphql.ID, sliding: true},
		{path: "/de", preset: mutations.DE(), about: `"DE" API (seed 004)`, userID: graphql.ID},
	}
}

// demoAudience is the aud of the tokens the endpoint at path issues and
// the only one it accepts.
func demoAudience(path string) string { return "gqljwt-demo" + path }

// wpSiteURL is the iss of /wpgraphql's tokens: the plugin writes the
// WordPress site's URL (get_bloginfo('url')), and requires it back. It is
// configuration, not the request's Host, which the client chooses.
const wpSiteURL = "http://localhost:8080"

// slidingWindow is how close to expiry a Toggle token gets renewed.
const slidingWindow = 10 * time.Minute

func newApp(o options) (*app, error) {
	if o.bcryptCost == 0 {
		o.bcryptCost = bcrypt.DefaultCost
	}
	a := &app{
		users:     memstore.NewUsers(memstore.BcryptCost(o.bcryptCost)),
		endpoints: endpoints(),
		services:  map[string]*gqljwt.Service{},
	}
	if o.users == nil {
		o.users = demoUsers
	}
	shared, err := newSharedState(o, o.users)
	if err != nil {
		return nil, err
	}
	a.close, a.identities, a.backend = shared.close, shared.identities, shared.backend
	for _, du := range o.users {
		if err := a.users.Add(du.user, du.password); err != nil {
			return nil, err
		}
	}
	providers := map[string]mutations.Provider{}
	if o.siteToken != nil {
		st, err := mutations.NewSiteToken(o.siteTokenHeader, o.siteToken, a.users)
		if err != nil {
			return nil, err
		}
		st.Identities = a.identities
		providers[mutations.ProviderSiteToken] = st
	}
	if o.oauth2 != nil {
		oa, err := mutations.NewOAuth2(o.oauth2, o.userInfoURL, a.identities, a.users)
		if err != nil {
			return nil, err
		}
		a.oauth = oa
		providers[mutations.ProviderOAuth2] = oa
	}
	rules, err := demoRules()
	if err != nil {
		return nil, err
	}
	if a.oauth != nil {
		a.oauth.States = shared.states
	}
	// One throttle and one version cache for all endpoints: they log in
	// the same users. Apart, each throttle would grant an attacker its own
	// budget, and a user secret revoked on one endpoint would be honoured
	// by the others until their caches expired.
	versions := gqljwt.NewVersionCache(0)
	// WPGraphQL's revoked user secret, kept where the versions are: a
	// user whose secret /wpgraphql revoked gets no token from any
	// endpoint until it is refreshed, as the plugin signs none for them.
	secrets, _ := shared.versions.(gqljwt.UserSecretStore)
	if shared.versions == nil {
		secrets = a.users
	}
	posts := newBlog()

	r := chi.NewRouter()
	// The redaction runs before the logger, so no token, password, code
	// or auth operation in a URL reaches a log line.
	r.Use(middleware.RedactQueryToken("jwt"))
	if o.logRequests {
		logger := chimw.Logger
		if o.accessLog != nil {
			logger = chimw.RequestLogger(&chimw.DefaultLogFormatter{Logger: log.New(o.accessLog, "", log.LstdFlags), NoColor: true})
		}
		r.Use(logger)
	}
	if len(o.corsOrigins) > 0 {
		c, err := demoCORS(o.corsOrigins, a.endpoints)
		if err != nil {
			return nil, err
		}
		r.Use(c)
	}
	r.Use(chimw.Recoverer, middleware.MaxBodySize(maxRequestBody))
	for _, ep := range a.endpoints {
		csrf, err := cookieMode(&ep, o)
		if err != nil {
			return nil, err
		}
		// Each endpoint keeps its own refresh tokens: some presets rotate
		// them and some do not, and a token issued where refresh rotates
		// must not be refreshed, unrotated, somewhere else.
		refresh := shared.refresh(ep.path)
		accessTTL, refreshTTL := cmp.Or(o.accessTTL, ep.preset.AccessTTL), cmp.Or(o.refreshTTL, ep.preset.RefreshTTL)
		auth, err := gqljwt.New(gqljwt.Config{
			Algorithm: o.alg, Secret: o.secret, SigningKey: o.signingKey, Users: a.users, Refresh: refresh, AccessTTL: accessTTL, RefreshTTL: refreshTTL, Now: o.now,
			Revocations: shared.revocations, Versions: shared.versions, UserSecrets: secrets, LoginThrottle: shared.throttle, VersionCache: versions, Logger: o.events,
			Claims: ep.preset.Claims, NotBefore: ep.preset.NotBefore, Issuer: ep.issuer,
			RefreshReuseGrace: o.reuseGrace,
			// The endpoints share a key, so only the audience tells their
			// tokens apart: without it /toggle's sliding refresh would
			// turn a 900 s token of /service/Auth into a 60-minute one, and
			// a token would outlive the lifetime its endpoint promises.
			Audience: demoAudience(ep.path),
			Issuers:  o.issuers,
		})
		if err != nil {
			return nil, err
		}
		a.services[ep.path] = auth
		var userAuth *mutations.UserAuth
		var authField *graphql.Field
		if ep.identities {
			userAuth = mutations.NewUserAuth(auth, a.identities)
			authField = userAuth.Field()
		}
		user := userType(ep.userID, authField)
		query, mutation := demoFields(posts, user, a.users, ep.preset.TokenArgument)
		epRules := rules
		if ep.identities {
			// WPGraphQL's own root field for the caller: null, not an
			// error, for an anonymous one.
			query["viewer"] = viewerField(user, a.users)
			epRules = maps.Clone(rules) // the endpoints share rules
			epRules["Query.viewer"] = directives.Public()
			query["user"] = userByIDField(user, a.users)
			epRules["Query.user"] = directives.Public()
			for name, f := range mutations.LoginClientFields(loginClients(o)...) {
				query[name] = f
				epRules["Query."+name] = directives.Public()
			}
		}
		if strings.HasPrefix(ep.preset.Name, "graphene") {
			epRules = djangoRules(epRules, a.users)
		}
		frag, err := mutations.New(auth, ep.preset, mutations.Options{UserType: user, Providers: providers, Identities: a.identities, UserAuth: userAuth})
		if err != nil {
			return nil, err
		}
		if err := frag.MergeInto(query, mutation); err != nil {
			return nil, err
		}
		epRules = renameRoots(epRules, ep.preset)
		schema, err := graphql.NewSchema(graphql.SchemaConfig{
			Query:      graphql.NewObject(graphql.ObjectConfig{Name: cmp.Or(ep.preset.QueryTypeName, "Query"), Fields: query}),
			Mutation:   graphql.NewObject(graphql.ObjectConfig{Name: cmp.Or(ep.preset.MutationTypeName, "Mutation"), Fields: mutation}),
			Directives: directives.Directives(),
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ep.path, err)
		}
		if err := directives.Apply(&schema, epRules, guardOptions(auth, ep.preset)...); err != nil {
			return nil, fmt.Errorf("%s: %w", ep.path, err)
		}
		h := http.Handler(handler.New(&handler.Config{Schema: &schema}))
		if ep.sliding {
			h = middleware.SlidingRefresh(auth, slidingWindow, "Authorization")(h)
		}
		h = presetHeaders(auth, ep.preset)(h)
		h = middleware.Verifier(auth, ep.extractors...)(h)
		h = directives.Memoize(h)
		// Limits look at the document before graphql-go does: some
		// documents exhaust graphql-go itself.
		h = middleware.Limits(middleware.OperationLimits{AuthOperations: frag.AuthOperations()})(h)
		// Only JSON POSTs, and the spec's statuses for clients that ask.
		h = middleware.GraphQLHTTP()(h)
		if ep.preset.Body != nil {
			h = middleware.Rewrite(ep.preset.Body)(h)
		}
		h = middleware.Batch(0)(h)
		// The GraphiQL page outside the CSRF check: a browser holding
		// the session cookies loads it by GET, and it runs nothing.
		r.Handle(ep.path, graphiql(ep.path)(csrf(h)))
	}
	if a.oauth != nil {
		// The start of an OAUTH2_GENERIC login: send the browser to the
		// provider with a fresh state.
		r.Get("/oauth2/authorize", func(w http.ResponseWriter, r *http.Request) {
			u, err := a.oauth.Start(w, r)
			if err != nil {
				http.Error(w, "cannot start the authorization", http.StatusInternalServerError)
				return
			}
			http.Redirect(w, r, u, http.StatusFound)
		})
	}
	r.Get(graphiqlAssets+"*", serveGraphiQLAsset)
	r.Get("/", a.index)
	a.router = r
	return a, nil
}

// demoCORS lets scripts of origins call every endpoint, the cookie ones
// with their CSRF header. The token headers are exposed where they are
// answered: Authorization by middleware.CORS, the renewal headers by the
// middleware that sets them.
func demoCORS(origins []string, eps []endpoint) (func(http.Handler) http.Handler, error) {
	var headers []string
	for _, ep := range eps {
		if ep.cookies {
			headers = append(headers, csrfHeader)
		}
	}
	return middleware.CORS(middleware.CORSOptions{Origins: origins, Headers: headers})
}

func (a *app) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "gqljwt demo server. Endpoints:")
	for _, ep := range a.endpoints {
		fmt.Fprintf(w, "  %-16s %s\n", ep.path, ep.about)
	}
	fmt.Fprintln(w, "\nUsers: alice/alice-password (ADMIN), bob/bob-password (EDITOR), carol/carol-password (VIEWER), dave/dave-password (disabled)")
}
