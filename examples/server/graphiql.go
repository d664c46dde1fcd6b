package main

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"path"
	"strings"
)

// graphiqlFiles are the GraphiQL page's files: GraphiQL's and React's
// built distributables from npm with their licences (graphiql/update.sh
// fetches them at pinned versions), and the page of our own. Nothing is
// loaded from elsewhere, so the page works offline.
//
//go:embed graphiql/*.js graphiql/*.css graphiql/LICENSE.* graphiql/page.html
var graphiqlFiles embed.FS

// graphiqlAssets is where the page's scripts and styles are served.
const graphiqlAssets = "/graphiql/"

// graphiqlCSP lets the page run only the scripts and styles served from
// graphiqlAssets and talk only to its own origin. The fonts and icons of
// GraphiQL's stylesheet are data: URLs.
const graphiqlCSP = "default-src 'none'; script-src 'self'; style-src 'self'; font-src data:; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var graphiqlPage = template.Must(template.ParseFS(graphiqlFiles, "graphiql/page.html"))

// graphiqlQueries is the query editor's first content on each endpoint:
// its login and `me`, with the header the endpoint reads the token from.
var graphiqlQueries = map[string]string{
	"/graphql": `# gqljwt demo: native preset.
# 1. Run Login (the run button asks which
#    operation); copy token from the result.
# 2. In Headers below, enter
#    {"Authorization": "Bearer <token>"}
# 3. Run Me.
# Users: alice (ADMIN), bob (EDITOR), carol
# (VIEWER); passwords: alice-password, ...

mutation Login {
  tokenAuth(username: "alice", password: "alice-password") {
    token
    refreshToken
  }
}

query Me {
  me {
    username
    roles
  }
}
`,
	"/graphene": `# gqljwt demo: django-graphql-jwt (Graphene).
# 1. Run Login (the run button asks which
#    operation); copy token from the result.
# 2. In Headers below, enter
#    {"Authorization": "JWT <token>"}
# 3. Run Me.

mutation Login {
  tokenAuth(username: "bob", password: "bob-password") {
    token
    refreshToken
    user {
      id
    }
  }
}

query Me {
  me {
    username
    roles
  }
}
`,
	"/graphene-relay": `# gqljwt demo: django-graphql-jwt Relay.
# 1. Run Login (the run button asks which
#    operation); copy token from the result.
# 2. In Headers below, enter
#    {"Authorization": "JWT <token>"}
# 3. Run Me.

mutation Login {
  tokenAuth(input: {username: "bob", password: "bob-password", clientMutationId: "graphiql"}) {
    token
    refreshToken
    clientMutationId
  }
}

query Me {
  me {
    username
    roles
  }
}
`,
	"/service/Auth": `# gqljwt demo: CollectiveAccess.
# login is a query; answers are wrapped as
# {"ok": true, "data": ...}.
# 1. Run Login (the run button asks which
#    operation); copy jwt from the result.
# 2. In Headers below, enter
#    {"Authorization": "Bearer <jwt>"}
# 3. Run Me.

query Login {
  login(username: "carol", password: "carol-password") {
    jwt
    refresh
    user {
      id
      fname
      lname
    }
  }
}

query Me {
  me {
    username
    roles
  }
}
`,
	"/wpgraphql": `# gqljwt demo: WPGraphQL Headless Login.
# 1. Run Login (the run button asks which
#    operation); copy authToken from the result.
# 2. In Headers below, enter
#    {"Authorization": "Bearer <authToken>"}
# 3. Run Me.

mutation Login {
  login(input: {provider: PASSWORD, credentials: {username: "bob", password: "bob-password"}}) {
    authToken
    refreshToken
    user {
      id
    }
  }
}

query Me {
  viewer {
    username
    roles
  }
}
`,
	"/toggle": `# gqljwt demo: Toggle. The token comes back in the
# Authorization response header, which GraphiQL
# does not show.
# 1. Run Login (the run button asks which
#    operation); copy the Authorization response
#    header from the developer tools (Network).
# 2. In Headers below, enter
#    {"Authorization": "Bearer <token>"}
# 3. Run Me.

query Login {
  loginUser(email: "alice@example.com", password: "alice-password") {
    id
  }
}

query Me {
  me {
    username
    roles
  }
}
`,
	"/de": `# gqljwt demo: "DE" preset.
# 1. Run Login (the run button asks which
#    operation); copy token from the result.
# 2. In Headers below, enter
#    {"Authorization": "Bearer <token>"}
# 3. Run Me.

mutation Login {
  login(email: "bob@example.com", password: "bob-password") {
    token
    refreshToken
    expiresIn
  }
}

query Me {
  me {
    username
    roles
  }
}
`,
}

// graphiql answers a browser's GET of an endpoint with the GraphiQL page
// for it and passes every other request on. Like graphql-go/handler's own
// GraphiQL, it serves the page only to a GET that accepts text/html and
// not application/json, without ?raw, so API clients' GET queries still
// reach GraphQL. The URL's query string never reaches the page: an old
// link carrying ?query= and ?variables= shows the page, and runs nothing.
func graphiql(endpoint string) func(http.Handler) http.Handler {
	var page bytes.Buffer
	if err := graphiqlPage.Execute(&page, map[string]string{
		"Endpoint": endpoint, "Assets": graphiqlAssets, "Query": graphiqlQueries[endpoint],
	}); err != nil {
		panic(err) // the template and its data are constants
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !wantsGraphiQL(r) {
				next.ServeHTTP(w, r)
				return
			}
			h := w.Header()
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", graphiqlCSP)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cache-Control", "no-cache")
			w.Write(page.Bytes())
		})
	}
}

func wantsGraphiQL(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	if _, raw := r.URL.Query()["raw"]; raw {
		return false
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "text/html") && !strings.Contains(accept, "application/json")
}

// graphiqlContentTypes are the types of the files served under
// graphiqlAssets, set here rather than guessed from the system's MIME
// tables, which differ between machines.
var graphiqlContentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

// serveGraphiQLAsset serves the embedded scripts, styles and licences.
func serveGraphiQLAsset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, graphiqlAssets)
	ctype, ok := graphiqlContentTypes[path.Ext(name)]
	if strings.HasPrefix(name, "LICENSE.") {
		ctype, ok = "text/plain; charset=utf-8", true
	}
	var b []byte
	var err error
	if ok {
		// ReadFile refuses names with ".." segments.
		b, err = graphiqlFiles.ReadFile("graphiql/" + name)
	}
	if !ok || err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}
