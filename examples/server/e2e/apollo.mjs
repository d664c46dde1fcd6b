// Runs the README's Apollo Client recipe (apollo-refresh-link.mjs) against
// the demo server's /graphql with an expired access token:
//
//	node apollo.mjs <server URL>
//
// Run by TestApolloRefreshLink (examples/server/apollo_test.go), which
// serves two test-only routes beside the demo: POST /test/advance?by=D
// moves the server's clock, GET /test/refreshes counts the refreshToken
// mutations the server received.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, Observable, from, gql } from '@apollo/client/core/index.js';
import { onError } from '@apollo/client/link/error/index.js';
import assert from 'node:assert/strict';
import { authLinks, renewAt, tokenExpired } from './apollo-refresh-link.mjs';

const base = process.argv[2];
if (!base) {
  console.error('usage: node apollo.mjs <server URL>');
  process.exit(2);
}
const url = `${base}/graphql`;
const N = 8; // concurrent queries with one expired token
const ME = gql`query Me { me { username } }`;

async function post(body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const resp = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return resp.json();
}

async function login(username) {
  const r = await post({ query: `mutation { tokenAuth(username: "${username}", password: "${username}-password") { token refreshToken } }` });
  assert.ok(r.data?.tokenAuth?.token, JSON.stringify(r));
  return { access: r.data.tokenAuth.token, refresh: r.data.tokenAuth.refreshToken };
}

async function serverRefreshes() {
  return Number(await (await fetch(`${base}/test/refreshes`)).text());
}

// expire moves the server's clock past the access token's lifetime (15
// min) and checks that the server now refuses the token as expired.
async function expire(session) {
  const resp = await fetch(`${base}/test/advance?by=16m`, { method: 'POST' });
  assert.equal(resp.status, 204);
  const r = await post({ query: '{ me { username } }' }, session.access);
  assert.deepEqual(r.errors?.[0]?.extensions, { code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' }, JSON.stringify(r));
}

// naiveLinks is the link the recipe replaces: every failure refreshes on
// its own, so N failures present one refresh token N times at once.
function naiveLinks(session, renew) {
  const auth = new ApolloLink((operation, forward) => {
    operation.setContext(({ headers }) => ({ headers: { ...headers, authorization: `Bearer ${session.access}` } }));
    return forward(operation);
  });
  const refresh = onError(({ graphQLErrors, operation, forward }) => {
    if (!graphQLErrors?.some(tokenExpired) || operation.getContext().retried) return;
    return new Observable((observer) => {
      let sub;
      renew(session.refresh).then((pair) => {
        Object.assign(session, pair);
        operation.setContext({ retried: true });
        sub = forward(operation).subscribe(observer);
      }, (err) => observer.error(err));
      return () => sub?.unsubscribe();
    });
  });
  return from([refresh, auth]);
}

async function burst(name, username, links) {
  const session = await login(username);
  let refreshes = 0;
  const renew = renewAt(url);
  const counted = (rt) => { refreshes++; return renew(rt); };
  const client = new ApolloClient({
    link: from([links(session, counted), new HttpLink({ uri: url })]),
    cache: new InMemoryCache(),
    // N identical queries in flight would otherwise be sent as one.
    queryDeduplication: false,
    defaultOptions: { query: { fetchPolicy: 'no-cache' } },
  });
  await expire(session);
  const before = await serverRefreshes();
  const results = await Promise.all(Array.from({ length: N }, () => client.query({ query: ME })));
  for (const r of results) assert.equal(r.data.me.username, username);
  const received = (await serverRefreshes()) - before;
  console.log(`${name}: ${N} concurrent queries with an expired token all answered; refreshes: ${refreshes} sent, ${received} received`);
  return { session, refreshes, received };
}

const single = await burst('single-flight', 'alice', authLinks);
assert.equal(single.refreshes, 1);
assert.equal(single.received, 1);

const naive = await burst('naive', 'bob', naiveLinks);
assert.equal(naive.refreshes, N);
assert.equal(naive.received, N);
// The grace interval took the N presentations of one refresh token for a
// race, not a theft: the session lives on, its last pair works.
const me = await post({ query: '{ me { username } }' }, naive.session.access);
assert.deepEqual(me, { data: { me: { username: 'bob' } } });
const next = await renewAt(url)(naive.session.refresh);
assert.ok(next.access && next.refresh);
console.log('naive: the session is not revoked: its last access token works and its refresh token refreshes');
