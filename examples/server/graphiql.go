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
	"/graphql": graphiqlDoc("native preset.\n# Users: alice (ADMIN), bob (EDITOR), carol\n# (VIEWER); passwords: alice-password, ...",
		"token from the result", "Bearer", `mutation Login {
  tokenAuth(username: "alice", password: "alice-password") {
    token
    refreshToken
  }
}`, "me"),
	"/graphene": graphiqlDoc("django-graphql-jwt (Graphene).", "token from the result", "JWT", `mutation Login {
  tokenAuth(username: "bob", password: "bob-password") {
    token
    refreshToken
    user {
      id
    }
  }
}`, "me"),
	"/graphene-relay": graphiqlDoc("django-graphql-jwt Relay.", "token from the result", "JWT", `mutation Login {
  tokenAuth(input: {username: "bob", password: "bob-password", clientMutationId: "graphiql"}) {
    token
    refreshToken
    clientMutationId
  }
}`, "me"),
	"/service/Auth": graphiqlDoc("CollectiveAccess.\n# login is a query; answers are wrapped as\n# {\"ok\": true, \"data\": ...}.",
		"jwt from the result", "Bearer", `query Login {
  login(username: "carol", password: "carol-password") {
    jwt
    refresh
    user {
      id
      fname
      lname
    }
  }
}`, "me"),
	"/wpgraphql": graphiqlDoc("WPGraphQL Headless Login.", "authToken from the result", "Bearer", `mutation Login {
  login(input: {provider: PASSWORD, credentials: {username: "bob", password: "bob-password"}}) {
    authToken
    refreshToken
    user {
      id
    }
  }
}`, "viewer"),
	"/toggle": graphiqlDoc("Toggle.\n# The token comes back in the Authorization\n# response header, which GraphiQL does not show.",
		"the Authorization response\n#    header from the developer tools (Network)", "Bearer", `query Login {
  loginUser(email: "alice@example.com", password: "alice-password") {
    id
  }
}`, "me"),
	"/de": graphiqlDoc(`"DE" preset.`, "token from the result", "Bearer", `mutation Login {
  login(email: "bob@example.com", password: "bob-password") {
    token
    refreshToken
    expiresIn
  }
}`, "me"),
}

// graphiqlDoc is a default document: how to try it, the Login operation,
// and Me, which reads the caller from the root field me.
func graphiqlDoc(about, copyWhat, scheme, login, me string) string {
	return "# gqljwt demo: " + about + "\n" +
		"# 1. Run Login (the run button asks which\n#    operation); copy " + copyWhat + ".\n" +
		"# 2. In Headers below, enter\n#    {\"Authorization\": \"" + scheme + " <token>\"}\n" +
		"# 3. Run Me.\n\n" + login + "\n\nquery Me {\n  " + me + " {\n    username\n    roles\n  }\n}\n"
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
