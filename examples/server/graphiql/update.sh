#!/usr/bin/env bash
# Re-fetches the GraphiQL page's third-party files from the npm registry at
# the pinned versions below: the packages' own built distributables and
# their licences, nothing rebuilt. npm pack checks each tarball against the
# registry's integrity hash.
#
# GraphiQL 4.1 is the newest line that still ships a standalone (UMD) build,
# graphiql.min.js, which loads from a <script> tag with no bundler; 5.x is
# ES modules plus Monaco web workers and needs a build step. Its UMD build
# takes React and ReactDOM as globals, which React 18 is the last to ship
# (React 19 has no UMD builds).
set -euo pipefail

GRAPHIQL=4.1.2
REACT=18.3.1

here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

unpack() { # package@version -> $tmp/<package>/
	local dir="$tmp/${1%@*}"
	mkdir -p "$dir"
	(cd "$tmp" && npm pack --silent "$1" >/dev/null)
	tar -xzf "$tmp"/"${1%@*}"-"${1##*@}".tgz -C "$dir" --strip-components=1
}

unpack "graphiql@$GRAPHIQL"
unpack "react@$REACT"
unpack "react-dom@$REACT"

cp "$tmp/graphiql/graphiql.min.js" "$tmp/graphiql/graphiql.min.css" "$here/"
cp "$tmp/graphiql/LICENSE" "$here/LICENSE.graphiql"
cp "$tmp/react/umd/react.production.min.js" "$here/"
cp "$tmp/react/LICENSE" "$here/LICENSE.react"
cp "$tmp/react-dom/umd/react-dom.production.min.js" "$here/"
cp "$tmp/react-dom/LICENSE" "$here/LICENSE.react-dom"
# The bundles end with a sourceMappingURL to maps we do not ship: a browser
# with its developer tools open would ask the server for them.
sed -i '/^\/\/# sourceMappingURL=/d; s|/\*# sourceMappingURL=[^*]*\*/||' "$here"/*.min.js "$here"/*.min.css
printf 'graphiql %s\nreact %s\nreact-dom %s\n' "$GRAPHIQL" "$REACT" "$REACT" >"$here/VERSIONS"
echo "updated: graphiql $GRAPHIQL, react $REACT, react-dom $REACT"
