import { ApolloLink, Observable, from } from '@apollo/client/core/index.js';
import { onError } from '@apollo/client/link/error/index.js';

// tokenExpired tells a GraphQL error that asks for a refresh: gqljwt
// refuses a guarded field for an expired bearer token with code
// UNAUTHENTICATED and reason TOKEN_EXPIRED, and an expired token given as
// an argument with code TOKEN_EXPIRED.
export const tokenExpired = (e) => e.extensions?.reason === 'TOKEN_EXPIRED' || e.extensions?.code === 'TOKEN_EXPIRED';

// authLinks puts session.access on every operation as a bearer token and,
// when the server refuses it as expired, refreshes it once for all
// the operations that failed with that token (one refresh promise shared:
// single-flight), then retries each of them once with the new token.
// renew(refreshToken) resolves to the new { access, refresh } pair.
export function authLinks(session, renew) {
  let pending = null; // the refresh in flight

  const auth = new ApolloLink((operation, forward) => {
    const token = session.access;
    operation.setContext(({ headers }) => ({ token, headers: { ...headers, authorization: `Bearer ${token}` } }));
    return forward(operation);
  });

  const refresh = onError(({ graphQLErrors, operation, forward }) => {
    const expired = graphQLErrors?.some(tokenExpired);
    if (!expired || operation.getContext().retried) return; // the error goes to the caller
    // Refresh only if the token that failed is still the current one: a
    // failure arriving after the refresh just retries with the new token.
    if (operation.getContext().token === session.access && !pending) {
      pending = renew(session.refresh)
        .then((pair) => Object.assign(session, pair))
        .finally(() => { pending = null; });
    }
    const ready = pending ?? Promise.resolve();
    return new Observable((observer) => {
      let sub;
      ready.then(() => {
        operation.setContext({ retried: true });
        sub = forward(operation).subscribe(observer);
      }, (err) => observer.error(err));
      return () => sub?.unsubscribe();
    });
  });

  // refresh comes first, so that a retry goes through auth again.
  return from([refresh, auth]);
}

// renewAt returns a renew for authLinks against gqljwt's native preset at
// url: refreshToken rotates the refresh token and returns a new pair. It
// is a plain fetch, outside the Apollo link chain, so it carries no
// expired access token.
export function renewAt(url) {
  return async (refreshToken) => {
    const resp = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation Refresh($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) { token refreshToken } }',
        variables: { refreshToken },
      }),
    });
    const { data, errors } = await resp.json();
    if (errors) throw new Error(`refresh refused: ${errors[0].extensions?.code}`);
    return { access: data.refreshToken.token, refresh: data.refreshToken.refreshToken };
  };
}
