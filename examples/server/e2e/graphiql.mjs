// Drives the demo's GraphiQL page in Debian's headless Chromium as a user
// would: load the page, type the login, run it, put the token into the
// headers editor, run `me`, check the answer, take a screenshot.
//
//	node graphiql.mjs <server URL> <screenshot folder>
//
// Run by TestGraphiQLInBrowser (examples/server/graphiql_test.go). Any
// request that leaves the server's origin, any console error and any
// Content-Security-Policy violation fails the run: the page must work
// offline under its CSP.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node graphiql.mjs <server URL> <screenshot folder>');
  process.exit(2);
}
const origin = new URL(base).origin;

// Each endpoint with the header scheme its clients use and its login.
const cases = [
  {
    endpoint: '/graphql', scheme: 'Bearer', user: 'alice', role: 'ADMIN',
    login: 'mutation { tokenAuth(username: "alice", password: "alice-password") { token } }',
    token: (r) => r.data.tokenAuth.token,
  },
  {
    endpoint: '/graphene', scheme: 'JWT', user: 'bob', role: 'EDITOR',
    login: 'mutation { tokenAuth(username: "bob", password: "bob-password") { token } }',
    token: (r) => r.data.tokenAuth.token,
  },
];

// The flags that work on this project's machines: no sandbox as root, and
// nothing that reaches for Google's hosts (the network is closed).
const flags = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const profile = mkdtempSync(join(tmpdir(), 'gqljwt-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true, args: flags, viewport: { width: 1280, height: 800 },
});
const problems = [];
try {
  // Offline: whatever is not the demo server is refused and reported.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    problems.push(`request outside the server: ${url}`);
    return route.abort();
  });
  for (const c of cases) await run(c);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}

async function run(c) {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${c.endpoint} console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`${c.endpoint} page error: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const posts = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === c.endpoint && r.resourceType() === 'fetch') posts.push(r);
  });

  const url = origin + c.endpoint;
  // GraphiQL loads the schema first: its docs and completion need it.
  const schema = page.waitForResponse((r) => r.url() === url && (r.request().postData() || '').includes('IntrospectionQuery'));
  const resp = await page.goto(url);
  assert.equal(resp.status(), 200);
  assert.match(resp.headers()['content-security-policy'], /script-src 'self'/);
  const queryEditor = page.locator('.graphiql-query-editor .CodeMirror');
  await queryEditor.waitFor();
  const introspection = await (await schema).json();
  assert.ok(introspection.data && introspection.data.__schema, `${c.endpoint}: introspection ${JSON.stringify(introspection)}`);
  // The default query shows the endpoint's login and me.
  const first = await editorValue(page, '.graphiql-query-editor');
  assert.match(first, /Login/);
  assert.match(first, /me \{|viewer \{/);

  await setEditor(page, queryEditor, c.login);
  const login = await execute(page, /"token"/);
  const token = c.token(login);
  assert.ok(token && token.split('.').length === 3, `${c.endpoint}: no token in ${JSON.stringify(login)}`);

  await page.getByRole('button', { name: 'Headers' }).click();
  const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
  await setEditor(page, headersEditor, JSON.stringify({ Authorization: `${c.scheme} ${token}` }));

  await setEditor(page, queryEditor, '{ me { username roles } }');
  const me = await execute(page, /"username"/);
  assert.deepEqual(me, { data: { me: { username: c.user, roles: [c.role] } } });

  // The fetcher POSTed JSON, and me went with the headers editor's token.
  for (const r of posts) {
    assert.equal(r.method(), 'POST');
    assert.equal(r.headers()['content-type'], 'application/json');
  }
  assert.equal(posts.at(-1).headers().authorization, `${c.scheme} ${token}`);
  // Neither the URL nor the browser's storage holds the password or the token.
  assert.equal(page.url(), url);
  const stored = await page.evaluate(() => JSON.stringify(Object.entries(localStorage)));
  assert.ok(!stored.includes(token), `${c.endpoint}: the token is in localStorage`);

  const shot = join(outDir, `graphiql${c.endpoint.replaceAll('/', '-')}.png`);
  await page.screenshot({ path: shot });

  // A reload restores the query from storage, not the token.
  await page.reload();
  await queryEditor.waitFor();
  assert.equal(await editorValue(page, '.graphiql-query-editor'), '{ me { username roles } }');
  assert.equal(await headersEditor.evaluate((el) => el.CodeMirror.getValue()), '');
  // An old GraphiQL link with the document in its URL runs nothing and
  // fills nothing in.
  const before = posts.length;
  await page.goto(`${url}?query=${encodeURIComponent('{ posts { title } }')}&variables=${encodeURIComponent('{"password":"from-the-url"}')}`);
  await queryEditor.waitFor();
  assert.equal(await editorValue(page, '.graphiql-query-editor'), '{ me { username roles } }');
  assert.ok(posts.slice(before).every((r) => (r.postData() || '').includes('IntrospectionQuery')), `${c.endpoint}: the URL's document was sent`);
  console.log(`${c.endpoint}: logged in as ${c.user}, me answered; screenshot ${shot}`);
  await page.close();
}

// setEditor types text into a CodeMirror editor as keyboard input, after
// selecting what it held.
async function setEditor(page, editor, text) {
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
  const got = await editor.evaluate((el) => el.CodeMirror.getValue());
  assert.equal(got, text);
  // GraphiQL takes an edit into its state after a debounce: a run before
  // that sends the old document (the default one has two operations, so
  // nothing is sent and an operation picker opens).
  await page.waitForTimeout(1000);
}

async function editorValue(page, selector) {
  return page.locator(`${selector} .CodeMirror`).first().evaluate((el) => el.CodeMirror.getValue());
}

// execute clicks the run button and returns the response pane's JSON once
// it matches want.
async function execute(page, want) {
  const before = await editorValue(page, '.graphiql-response');
  await page.locator('.graphiql-execute-button').click();
  let text = before;
  for (const deadline = Date.now() + 30000; Date.now() < deadline;) {
    text = await editorValue(page, '.graphiql-response');
    if (text !== before && want.test(text)) return JSON.parse(text);
    await page.waitForTimeout(50);
  }
  throw new Error(`no response matching ${want}: ${text}`);
}
