// Apollo Client's BatchHttpLink against the demo server's /graphql:
//
//	node apollo-batch.mjs <server URL>
//
// Run by TestApolloBatchHttpLink (examples/server/apollo_batch_test.go):
// five concurrent queries travel as one JSON array and each gets its own
// answer; two logins in one batch share the request's budget of one login,
// so the second is refused with its code and the first still logs in.
import { ApolloClient, InMemoryCache, gql } from '@apollo/client/core/index.js';
import { BatchHttpLink } from '@apollo/client/link/batch-http/index.js';
import assert from 'node:assert/strict';

const base = process.argv[2];
if (!base) {
  console.error('usage: node apollo-batch.mjs <server URL>');
  process.exit(2);
}
const uri = `${base}/graphql`;

function client(token) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  // A long interval: every operation below is started before it ends, so
  // each group goes as one batch.
  return new ApolloClient({ link: new BatchHttpLink({ uri, headers, batchMax: 10, batchInterval: 200 }), cache: new InMemoryCache(), queryDeduplication: false });
}

const LOGIN = gql`mutation Login($u: String!, $p: String!) { tokenAuth(username: $u, password: $p) { token } }`;
const anonymous = client();
const logins = await Promise.all(['alice', 'bob'].map((u) =>
  anonymous.mutate({ mutation: LOGIN, variables: { u, p: `${u}-password` }, errorPolicy: 'all' })));
const tokens = logins.map((r) => r.data?.tokenAuth?.token ?? null);
const codes = logins.map((r) => r.errors?.[0]?.extensions?.code ?? null);
console.log(`logins: tokens ${tokens.map(Boolean).join(',')} codes ${codes.join(',')}`);
const token = tokens.find(Boolean);
assert.ok(token, JSON.stringify(logins));

const ME = gql`query Me { me { username } }`;
const authed = client(token);
const answers = await Promise.all([1, 2, 3, 4, 5].map(() =>
  authed.query({ query: ME, fetchPolicy: 'no-cache' })));
console.log(`queries: ${answers.map((r) => r.data?.me?.username).join(',')}`);
