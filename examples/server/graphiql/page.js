// The demo's GraphiQL page (gqljwt examples/server): GraphiQL 4 from the
// embedded UMD builds, a fetcher that POSTs JSON with the headers editor's
// headers, and state kept in this browser only, never in the URL.
(function () {
  'use strict';
  var root = document.getElementById('graphiql');
  var endpoint = root.dataset.endpoint;

  // Every endpoint of the demo shares one origin, so one localStorage: a
  // prefix per endpoint keeps each page's tabs, history and default query
  // its own. GraphiQL reads and writes only through this object and never
  // touches the URL, so a reload cannot resend a login's password in a
  // query string that access logs would keep.
  var prefix = 'gqljwt-demo' + endpoint + ':';
  function ownKeys() {
    var keys = [];
    for (var i = 0; i < localStorage.length; i++) {
      var k = localStorage.key(i);
      if (k !== null && k.indexOf(prefix) === 0) keys.push(k);
    }
    return keys;
  }
  // GraphiQL's history keeps each query's headers whatever
  // shouldPersistHeaders says, and so would keep the token on disk: they
  // are dropped here. What cannot be read as history is not stored.
  function withoutHeaders(k, v) {
    if (!/(^|:)(queries|favorites)$/.test(k)) return v;
    try {
      var h = JSON.parse(v);
      (h.queries || []).forEach(function (q) { delete q.headers; });
      return JSON.stringify(h);
    } catch (e) {
      return null;
    }
  }
  var storage = {
    getItem: function (k) { return localStorage.getItem(prefix + k); },
    setItem: function (k, v) {
      var kept = withoutHeaders(k, v);
      if (kept !== null) localStorage.setItem(prefix + k, kept);
    },
    removeItem: function (k) { localStorage.removeItem(prefix + k); },
    clear: function () { ownKeys().forEach(function (k) { localStorage.removeItem(k); }); },
    get length() { return ownKeys().length; }
  };

  // GraphQL over HTTP: a POST with a JSON body, so a login's variables stay
  // out of URLs. The headers editor's headers come in opts.headers; the
  // content type is not theirs to change.
  function fetcher(params, opts) {
    var headers = Object.assign({ Accept: 'application/json' }, opts && opts.headers, { 'Content-Type': 'application/json' });
    return fetch(endpoint, {
      method: 'POST', headers: headers, body: JSON.stringify(params), credentials: 'same-origin'
    }).then(function (resp) {
      return resp.text().then(function (text) {
        try {
          return JSON.parse(text);
        } catch (e) {
          return { errors: [{ message: 'HTTP ' + resp.status + ': ' + text }] };
        }
      });
    });
  }

  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    storage: storage,
    defaultQuery: root.dataset.defaultQuery,
    // The token pasted into the headers editor stays in memory only.
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: 'headers'
  }));
})();
