// OAuth 29: the OAuth flags without other end-to-end coverage (mcp-remote §1.3), against the real
// auth fixture (test/fixtures/auth-server.mjs) with a headless browser:
//  --use-id-token        the OIDC id_token is the bearer; renewal follows the id_token's exp; with
//                        no id_token from the AS: one warning, the access token is sent;
//  --token-endpoint      (only with --client-credentials) no RFC 9728/8414 discovery, the grant goes
//                        to the given URL, scope/resource only when configured, part of the hash;
//  --authorize-param     extra parameters on the authorization request only, last value wins and
//                        replaces (never duplicates) a parameter of ours; the flow's own parameters
//                        are refused; part of the hash;
//  --auth-success-url    303 to the URL after a successful exchange (nothing appended), 502 and no
//                        redirect after a failed one; bad values are fatal;
//  mixed instances       npm mcp-remote 0.15.1 and the proxy under test started together on one
//                        empty store: one sign-in serves both, the store stays usable by both.
//                        npm 0.15.1 writes no <hash>_lock.json (that was 0.1.x-0.2.x); it elects
//                        the instance running the sign-in by binding the hash-derived callback port
//                        and probing /.mcp-remote/id (§1.6), which the proxy under test speaks too.
//                        So exactly one browser tab, one registration and one code exchange is
//                        achievable whoever wins, and that is what is asserted.
// Against npm itself (MCP_REMOTE_BIN=…/mcp-remote) the mixed tests are npm + npm.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  PROXY_BIN, NPM_PROXY_BIN, IS_NPM, cleanupAll, startAuthServer, oauthSetup, connectProxyWith, launchProxy,
  browserOpens, readTokens, storeFiles, callText, runCli, tmpDir, until, sleep, pidListeningOn, npmKnownFailure,
} from './lib.mjs';

afterEach(cleanupAll);

// ------------------------------------------------------------------ helpers
/** npm's getServerUrlHash (§1.5): md5 over the parts joined with "|". */
function serverHash(url, { resource, authorizeParams, tokenEndpoint } = {}) {
  const parts = [url];
  if (resource) parts.push(resource);
  if (authorizeParams && Object.keys(authorizeParams).length > 0) {
    parts.push(JSON.stringify(authorizeParams, Object.keys(authorizeParams).sort()));
  }
  if (tokenEndpoint) parts.push(new URL(tokenEndpoint).toString());
  return crypto.createHash('md5').update(parts.join('|')).digest('hex');
}

/** npm's default callback port for a hash (§1.2). */
const defaultPort = (hash) => 3335 + (parseInt(hash.slice(0, 4), 16) % 45816);

const tokensFor = (storeDir, hash) => storeFiles(storeDir).find((f) => f.name === `${hash}_tokens.json`)?.json;
const tokenFiles = (storeDir) => storeFiles(storeDir).filter((f) => f.name.endsWith('_tokens.json')).map((f) => f.name);

/** MCP requests the RS refused although they carried a bearer (an expired or unknown token). */
const refusedBearers = async (as) => (await as.log()).entries.filter((e) => e.path === '/mcp' && e.auth === 'bearer' && e.status === 401).length;

/** whoami through the proxy, parsed. */
const whoami = async (px) => JSON.parse(await callText(px, 'whoami'));

// The scope an OIDC client asks for to get an id_token; the fixture grants openid only when it is
// in --scopes.
const OIDC_AS = ['--id-tokens', '--scopes', 'mcp:basic,mcp:admin,openid'];
const OIDC_SCOPE = ['--static-oauth-client-metadata', JSON.stringify({ scope: 'openid mcp:basic' })];

// The warning npm logs once when --use-id-token meets a token response without an id_token.
const NO_ID_TOKEN_WARNING = /--use-id-token[^\n]*no ID token/gi;

// ------------------------------------------------------------------ --use-id-token
test('--use-id-token: the id_token is the bearer on every MCP request (the access token without the flag)', { timeout: 120000 }, async () => {
  const as = await startAuthServer(OIDC_AS);
  const s = oauthSetup();
  const px = await connectProxyWith(PROXY_BIN, as.url, ['--use-id-token', ...OIDC_SCOPE], { env: s.env() });
  const who = await whoami(px);
  assert.equal(who.token, 'id_token', 'whoami saw the id_token');
  assert.equal(who.sub, 'user-1');
  assert.ok(who.scopes.includes('openid'), `granted ${who.scopes}`);
  assert.equal(await callText(px, 'echo', { text: 'id' }), 'Echo: id');
  const c = await as.counts();
  assert.ok(c.id_tokens_issued >= 1, 'the AS issued an id_token');
  assert.ok((c.mcp_bearer_id_token ?? 0) >= 3, `MCP requests with the id_token: ${c.mcp_bearer_id_token}`);
  assert.equal(c.mcp_bearer_access_token ?? 0, 0, 'no MCP request carried the access token');
  assert.equal(browserOpens(s.browserLog).length, 1);
  const stored = readTokens(s.storeDir).tokens;
  const sec = await as.secrets();
  assert.ok(sec.id_tokens.includes(stored.id_token), 'the id_token is stored with the tokens');
  assert.ok(sec.access_tokens.includes(stored.access_token), 'and so is the access token');
  assert.equal(px.stderr().match(NO_ID_TOKEN_WARNING), null, 'no missing-id_token warning');
  assert.ok(!px.stderr().includes(stored.id_token), 'the id_token is not logged');
  await px.close();

  // Control: the same store (the flag is not in the hash) without the flag sends the access token.
  const before = await as.counts();
  const plain = await connectProxyWith(PROXY_BIN, as.url, OIDC_SCOPE, { env: s.env(), name: 'plain' });
  assert.equal((await whoami(plain)).token, 'access_token');
  const after = await as.counts();
  assert.equal(after.mcp_bearer_id_token, before.mcp_bearer_id_token, 'no id_token without --use-id-token');
  assert.equal(browserOpens(s.browserLog).length, 1, 'the stored tokens were reused');
  await plain.close();
});

test('--use-id-token: renewal follows the id_token\'s exp (refreshed before it expires, not after a 401), also after a restart', { timeout: 150000 }, async (t) => {
  // The access token lives an hour, the id_token 6 s: only the id_token's exp can say "renew now".
  const as = await startAuthServer([...OIDC_AS, '--token-ttl', '3600', '--id-token-ttl', '6']);
  const s = oauthSetup();
  const px = await connectProxyWith(PROXY_BIN, as.url, ['--use-id-token', ...OIDC_SCOPE], { env: s.env() });
  assert.equal((await whoami(px)).token, 'id_token');
  const c0 = await as.counts();
  await sleep(8000); // the id_token the proxy holds has expired at the RS by now
  const who = await whoami(px);
  assert.equal(who.token, 'id_token');
  const c1 = await as.counts();
  t.diagnostic(`refreshes ${c0.refreshes} -> ${c1.refreshes}, 401s ${c0.mcp_401} -> ${c1.mcp_401}`);
  assert.ok(c1.refreshes > c0.refreshes, 'the proxy refreshed');
  assert.equal(await refusedBearers(as), 0, 'before sending the expired id_token (no bearer refused)');
  assert.equal(c1.token_requests.authorization_code, 1, 'no new sign-in');
  await px.close();

  // A new process reads the tokens from the store: the id_token's exp still drives renewal.
  await sleep(7000);
  const px2 = await connectProxyWith(PROXY_BIN, as.url, ['--use-id-token', ...OIDC_SCOPE], { env: s.env(), name: 'restarted' });
  assert.equal((await whoami(px2)).token, 'id_token');
  const c2 = await as.counts();
  assert.ok(c2.refreshes > c1.refreshes, 'the restarted proxy refreshed the stored, expired id_token');
  assert.equal(await refusedBearers(as), 0, 'without sending it first (no bearer refused)');
  assert.equal(browserOpens(s.browserLog).length, 1, 'one browser sign-in in all');
  await px2.close();
});

test('--use-id-token: a short id_token is renewed at half its lifetime, not before every request',
  npmKnownFailure('renews when within 60 s of the id_token\'s exp, i.e. before every request for a token shorter than that', { timeout: 120000 }), async () => {
    const as = await startAuthServer([...OIDC_AS, '--token-ttl', '3600', '--id-token-ttl', '40']);
    const s = oauthSetup();
    const px = await connectProxyWith(PROXY_BIN, as.url, ['--use-id-token', ...OIDC_SCOPE], { env: s.env() });
    for (let i = 0; i < 5; i++) assert.equal(await callText(px, 'echo', { text: `n${i}` }), `Echo: n${i}`);
    const c = await as.counts();
    // Sign-in to here takes a few seconds; half of 40 s is 20 s.
    assert.equal(c.refreshes, 0, 'no refresh while the id_token has more than half its life left');
    await px.close();
  });

test('--use-id-token with an AS that issues no id_token: one warning, the access token is sent', { timeout: 120000 }, async () => {
  // openid is requested but this AS is no OpenID Provider (no --id-tokens); short tokens, so the
  // warning must also stay single across refreshes.
  const as = await startAuthServer(['--scopes', 'mcp:basic,mcp:admin,openid', '--token-ttl', '3']);
  const s = oauthSetup();
  const px = await connectProxyWith(PROXY_BIN, as.url, ['--use-id-token', ...OIDC_SCOPE], { env: s.env() });
  assert.equal((await whoami(px)).token, 'access_token');
  await sleep(3500);
  for (let i = 0; i < 3; i++) assert.equal(await callText(px, 'echo', { text: `w${i}` }), `Echo: w${i}`);
  const c = await as.counts();
  assert.ok(c.refreshes >= 1, 'the token was refreshed meanwhile');
  assert.equal(c.mcp_bearer_id_token ?? 0, 0);
  const warnings = px.stderr().match(NO_ID_TOKEN_WARNING) ?? [];
  assert.equal(warnings.length, 1, `exactly one missing-id_token warning on stderr, got ${warnings.length}\n${px.stderr().slice(-3000)}`);
  await px.close();
});

// ------------------------------------------------------------------ --token-endpoint
function ccStatic(secret) {
  return ['--static-client', JSON.stringify({
    client_id: 'cc-client', client_secret: secret, grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic', redirect_uris: [],
  })];
}

test('--token-endpoint (with --client-credentials): no discovery, the grant goes to that URL, scope/resource only when configured', { timeout: 120000 }, async () => {
  const secret = `cc-${crypto.randomBytes(12).toString('hex')}`;
  // The alias is advertised nowhere: only --token-endpoint can lead there. No challenge scope, so
  // nothing suggests a scope either.
  const as = await startAuthServer(['--token-path-alias', '/custom/token', '--no-challenge-scope', ...ccStatic(secret)]);
  const s = oauthSetup();
  const tokenEndpoint = `${as.asBase}/custom/token`;
  const base = ['--client-credentials', '--static-oauth-client-info', '{"client_id":"cc-client","client_secret":"${CC_SECRET}"}',
    '--token-endpoint', tokenEndpoint];
  const px = await connectProxyWith(PROXY_BIN, as.url, base, { env: s.env({ CC_SECRET: secret }) });
  const who = await whoami(px);
  assert.equal(who.grant, 'client_credentials');
  assert.equal(who.client_id, 'cc-client');
  await px.close();

  const { counts, entries } = await as.log();
  const wellKnown = entries.filter((e) => e.path.startsWith('/.well-known/'));
  assert.deepEqual(wellKnown.map((e) => `${e.server} ${e.path}`), [], 'no RFC 9728 / RFC 8414 / OIDC discovery request');
  const tokenReqs = entries.filter((e) => e.server === 'as' && e.method === 'POST');
  assert.ok(tokenReqs.length >= 1, 'a token request');
  assert.deepEqual([...new Set(tokenReqs.map((e) => e.path))], ['/custom/token'], 'every AS request went to the explicit endpoint');
  assert.ok(tokenReqs.every((e) => e.grant_type === 'client_credentials'));
  assert.ok(tokenReqs.every((e) => e.scope === undefined), `no scope: ${tokenReqs.map((e) => e.scope)}`);
  assert.ok(tokenReqs.every((e) => e.resource === undefined), `no resource: ${tokenReqs.map((e) => e.resource)}`);
  assert.equal(counts.registrations, 0);
  assert.equal(counts.authorize, 0);
  assert.equal(browserOpens(s.browserLog).length, 0, 'no browser');
  const h1 = serverHash(as.url, { tokenEndpoint });
  assert.deepEqual(tokenFiles(s.storeDir), [`${h1}_tokens.json`], 'tokens stored under npm\'s hash (URL | token endpoint)');

  // With --resource and a pinned scope both are sent, to the same explicit endpoint (another hash).
  await as.clearLog();
  const px2 = await connectProxyWith(PROXY_BIN, as.url, [...base, '--resource', as.url,
    '--static-oauth-client-metadata', '{"scope":"mcp:basic mcp:admin"}'], { env: s.env({ CC_SECRET: secret }), name: 'scoped' });
  const who2 = await whoami(px2);
  assert.deepEqual([...who2.scopes].sort(), ['mcp:admin', 'mcp:basic']);
  assert.equal(await callText(px2, 'admin_echo', { text: 'x' }), 'Admin echo: x');
  await px2.close();
  const log2 = await as.log();
  const tok2 = log2.entries.filter((e) => e.server === 'as' && e.method === 'POST');
  assert.ok(tok2.length >= 1 && tok2.every((e) => e.path === '/custom/token'));
  assert.ok(tok2.every((e) => e.scope === 'mcp:basic mcp:admin'), `scope sent: ${tok2.map((e) => e.scope)}`);
  assert.ok(tok2.every((e) => e.resource === as.url), `resource sent: ${tok2.map((e) => e.resource)}`);
  assert.equal(log2.entries.filter((e) => e.path.startsWith('/.well-known/')).length, 0, 'still no discovery');
  const h2 = serverHash(as.url, { resource: as.url, tokenEndpoint });
  assert.ok(tokenFiles(s.storeDir).includes(`${h2}_tokens.json`), 'tokens under the hash with the resource');
});

test('--token-endpoint: without --client-credentials, or with a fragment or credentials, it is fatal', { timeout: 90000 }, async () => {
  const as = await startAuthServer();
  const te = `${as.asBase}/token`;
  const cases = [
    { args: ['--token-endpoint', te], re: /--token-endpoint can only be used with --client-credentials/ },
    { args: ['--client-credentials', '--static-oauth-client-info', '{"client_id":"c","client_secret":"s"}', '--token-endpoint', `${te}#frag`], re: /--token-endpoint must not contain credentials or a URL fragment/ },
    { args: ['--client-credentials', '--static-oauth-client-info', '{"client_id":"c","client_secret":"s"}', '--token-endpoint', te.replace('http://', 'http://u:p@')], re: /--token-endpoint must not contain credentials or a URL fragment/ },
  ];
  for (const c of cases) {
    const r = await runCli(PROXY_BIN, [as.url, ...c.args], { env: oauthSetup().env(), timeoutMs: 20000, input: '' });
    assert.equal(r.timedOut, false, `${c.args.join(' ')}: exits`);
    assert.equal(r.code, 1, `${c.args.join(' ')}: exit code 1\n${r.stderr}`);
    assert.match(r.stderr, c.re);
  }
  const counts = await as.counts();
  assert.equal(counts.mcp_requests, 0, 'nothing was sent to the server');
  assert.equal(counts.token_requests.client_credentials, 0);
});

// ------------------------------------------------------------------ --authorize-param
test('--authorize-param: extra parameters on the authorization request only; the last value wins and replaces ours', { timeout: 120000 }, async () => {
  const as = await startAuthServer();
  const s = oauthSetup();
  const flags = [
    '--authorize-param', 'login_hint=alice@example.com',
    '--authorize-param', 'audience=https://api.example.com/v1?x=1&y=2',
    '--authorize-param', 'prompt=login',
    '--authorize-param', 'prompt=select_account',
    '--authorize-param', 'scope=mcp:basic mcp:admin',
  ];
  const px = await connectProxyWith(PROXY_BIN, as.url, flags, { env: s.env() });
  const who = await whoami(px);
  assert.deepEqual([...who.scopes].sort(), ['mcp:admin', 'mcp:basic'], 'the AS granted the overriding scope');
  const { counts, entries } = await as.log();
  assert.equal(counts.authorize_browser, 1);
  const authz = entries.find((e) => e.path === '/authorize' && e.from_browser);
  assert.deepEqual(authz.extra_params, {
    login_hint: 'alice@example.com', audience: 'https://api.example.com/v1?x=1&y=2', prompt: 'select_account',
  }, 'the extras arrive intact (URL-encoded on the way), the last prompt wins');
  assert.equal(authz.scope, 'mcp:basic mcp:admin', 'scope=… replaces the scope the client chose');
  const keys = authz.query_keys;
  const dup = keys.filter((k, i) => keys.indexOf(k) !== i);
  assert.deepEqual(dup, [], `no parameter twice: ${keys.join(',')}`);
  for (const k of ['response_type', 'client_id', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'state']) {
    assert.ok(keys.includes(k), `${k} present`);
  }
  assert.equal(authz.response_type, 'code');
  // The token request has none of them.
  const tok = entries.filter((e) => e.path === '/token' && e.grant_type === 'authorization_code');
  assert.equal(tok.length, 1);
  for (const k of ['login_hint', 'audience', 'prompt']) assert.ok(!tok[0].body_keys.includes(k), `${k} is not sent to the token endpoint`);
  // The params are part of npm's store hash (a different set means a new sign-in).
  const h = serverHash(as.url, { authorizeParams: { login_hint: 'alice@example.com', audience: 'https://api.example.com/v1?x=1&y=2', prompt: 'select_account', scope: 'mcp:basic mcp:admin' } });
  assert.deepEqual(tokenFiles(s.storeDir), [`${h}_tokens.json`]);
  await px.close();

  // Same params again: the stored tokens are reused.
  const again = await connectProxyWith(PROXY_BIN, as.url, flags, { env: s.env(), name: 'again' });
  assert.equal(await callText(again, 'echo', { text: 'a' }), 'Echo: a');
  assert.equal(browserOpens(s.browserLog).length, 1, 'no new sign-in for the same params');
  await again.close();
});

test('--authorize-param: the flow\'s own parameters (and a key-less value) are refused before anything is sent', { timeout: 120000 }, async () => {
  const as = await startAuthServer();
  for (const key of ['client_id', 'redirect_uri', 'response_type', 'state', 'code_challenge', 'code_challenge_method']) {
    const r = await runCli(PROXY_BIN, [as.url, '--authorize-param', `${key}=evil`], { env: oauthSetup().env(), timeoutMs: 20000, input: '' });
    assert.equal(r.timedOut, false);
    assert.equal(r.code, 1, `${key}: exit code 1\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`--authorize-param cannot set "${key}"`));
  }
  const bad = await runCli(PROXY_BIN, [as.url, '--authorize-param', '=x'], { env: oauthSetup().env(), timeoutMs: 20000, input: '' });
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /Invalid --authorize-param value/);
  const c = await as.counts();
  assert.equal(c.mcp_requests, 0, 'nothing was sent to the server');
  assert.equal(c.authorize + c.registrations, 0);
});

// ------------------------------------------------------------------ --auth-success-url
/**
 * A browser stand-in that also records how the callback answered: for each invocation it GETs the
 * authorization URL, then the callback (retrying while the listener is not up), appends
 * "<status> <redirect_url>" of the callback's answer to $SUCCESS_BROWSER_LOG and, on a redirect,
 * GETs its target. Background work, bounded by curl --max-time; nothing on stdout.
 */
function successBrowser() {
  const dir = tmpDir('mcp-e2e-browser-');
  const file = path.join(dir, 'browser');
  fs.writeFileSync(file, `#!/bin/sh
url="$1"
printf '%s\\n' "$url" >>"$FAKE_BROWSER_LOG.opens"
(
  loc=$(curl -s -o /dev/null --max-time 10 -A 'mcp-fake-browser/1' -w '%{redirect_url}' "$url") || exit 0
  [ -n "$loc" ] || exit 0
  i=0
  while [ "$i" -lt 25 ]; do
    if out=$(curl -s -o /dev/null --max-time 60 -A 'mcp-fake-browser/1' -w '%{http_code} %{redirect_url}' "$loc"); then
      printf '%s\\n' "$out" >>"$SUCCESS_BROWSER_LOG"
      next=\${out#* }
      [ -n "$next" ] && curl -s -o /dev/null --max-time 10 -A 'mcp-fake-browser/1' "$next"
      exit 0
    fi
    i=$((i + 1))
    sleep 0.2
  done
) </dev/null >/dev/null 2>&1 &
exit 0
`, { mode: 0o755 });
  return { file, log: path.join(dir, 'callback.log') };
}

/** A page to land on: records every request ({path, search, tokensStored}). */
async function successPage(storeDir) {
  const hits = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    hits.push({ method: req.method, path: u.pathname, search: u.search, tokensStored: tokenFiles(storeDir).length > 0 });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('signed in');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/signed-in/done`, hits, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

const readLines = (f) => { try { return fs.readFileSync(f, 'utf8').split('\n').filter(Boolean); } catch { return []; } };

test('--auth-success-url: after the exchange the browser gets 303 to the URL (nothing appended) and lands there', { timeout: 120000 }, async () => {
  const as = await startAuthServer();
  const s = oauthSetup();
  const page = await successPage(s.storeDir);
  const br = successBrowser();
  try {
    const px = await connectProxyWith(PROXY_BIN, as.url, ['--auth-success-url', page.url], {
      env: s.env({ BROWSER: br.file, SUCCESS_BROWSER_LOG: br.log }),
    });
    assert.equal(await callText(px, 'echo', { text: 's' }), 'Echo: s');
    const answers = await until(() => { const l = readLines(br.log); return l.length ? l : undefined; }, { ms: 20000, what: 'the callback answer' });
    assert.deepEqual(answers, [`303 ${page.url}`], 'the callback answered 303 with exactly the URL');
    await until(() => page.hits.length > 0, { ms: 15000, what: 'the browser to land on the success page' });
    assert.equal(page.hits.length, 1);
    assert.equal(page.hits[0].path, '/signed-in/done');
    assert.equal(page.hits[0].search, '', 'no code, state or token appended');
    assert.ok(page.hits[0].tokensStored, 'the redirect came after the tokens were saved');
    assert.equal(readLines(`${s.browserLog}.opens`).length, 1);
    await px.close();
  } finally {
    await page.close();
  }
});

test('--auth-success-url: a sign-in that fails after the callback answers 502 and does not redirect', { timeout: 120000 }, async () => {
  // A wrong RFC 9207 iss: the code must not be redeemed and the sign-in fails.
  const as = await startAuthServer(['--iss', 'wrong']);
  const s = oauthSetup();
  const page = await successPage(s.storeDir);
  const br = successBrowser();
  try {
    const px = await connectProxyWith(PROXY_BIN, as.url, ['--auth-success-url', page.url, '--auth-timeout', '10'], {
      env: s.env({ BROWSER: br.file, SUCCESS_BROWSER_LOG: br.log }), noThrow: true, timeoutMs: 30000,
    });
    const answers = await until(() => { const l = readLines(br.log); return l.length ? l : undefined; }, { ms: 30000, what: 'the callback answer' });
    assert.equal(answers[0], '502 ', `the callback answered 502 without a Location: ${answers}`);
    await sleep(500);
    assert.equal(page.hits.length, 0, 'the browser was not sent to the success page');
    assert.equal((await as.counts()).token_requests.authorization_code, 0);
    if (!px.error) await px.close();
  } finally {
    await page.close();
  }
});

test('--auth-success-url: a query, a fragment, credentials, plain http off loopback or a second occurrence are fatal', { timeout: 90000 }, async () => {
  const as = await startAuthServer();
  const bad = [
    ['--auth-success-url', 'https://example.com/done?x=1'],
    ['--auth-success-url', 'https://example.com/done#f'],
    ['--auth-success-url', 'https://user:pw@example.com/done'],
    ['--auth-success-url', 'http://example.com/done'],
    ['--auth-success-url', 'https://example.com/a', '--auth-success-url', 'https://example.com/b'],
    ['--auth-success-url'],
  ];
  for (const args of bad) {
    const r = await runCli(PROXY_BIN, [as.url, ...args], { env: oauthSetup().env(), timeoutMs: 20000, input: '' });
    assert.equal(r.timedOut, false);
    assert.equal(r.code, 1, `${args.join(' ')}: exit code 1\n${r.stderr}`);
    assert.match(r.stderr, /--auth-success-url requires one HTTPS URL/);
  }
  assert.equal((await as.counts()).mcp_requests, 0);
});

// ------------------------------------------------------------------ npm + ours, one store
/**
 * Start npm mcp-remote and the proxy under test against one server and one empty store: in the
 * same tick (`first` is spawned first), or with waitForLeader the second only once `first` holds
 * the callback port (its sign-in is pending; the browser acts after 2 s). Then: both connected,
 * tools/list on both, one sign-in; the store is clean; each alone reuses it without a browser.
 */
async function mixedPair(t, { first = 'npm', waitForLeader = false } = {}) {
  const as = await startAuthServer();
  const s = oauthSetup();
  // The browser acts after 2 s, so the second instance arrives while the sign-in is pending.
  const env = s.env(waitForLeader ? { FAKE_BROWSER_DELAY: '2' } : {});
  const bins = { npm: NPM_PROXY_BIN, ours: PROXY_BIN };
  const order = first === 'npm' ? ['npm', 'ours'] : ['ours', 'npm'];
  const handles = {};
  const start = (who) => { handles[who] = launchProxy(bins[who], as.url, [], { env, name: who, noThrow: true, timeoutMs: 120000 }); };
  start(order[0]);
  if (waitForLeader) {
    // The first one holds the callback port (it is running the sign-in) before the second starts.
    const port = defaultPort(serverHash(as.url));
    await until(() => {
      if (handles[order[0]].error) throw handles[order[0]].error;
      return pidListeningOn(port, [handles[order[0]].pid]);
    }, { ms: 30000, every: 50, what: `${order[0]} to hold callback port ${port}` });
  }
  start(order[1]);
  const results = await Promise.all(order.map(async (who) => {
    const h = await handles[who].ready;
    if (h.error) return { who, error: h.error.message };
    try {
      const tl = await h.client.listTools(undefined, { timeout: 30000 });
      return { who, tools: tl.tools.map((x) => x.name).sort() };
    } catch (e) {
      return { who, error: `tools/list: ${e.message}\n${h.stderr().slice(-4000)}` };
    }
  }));
  const leaders = order.filter((who) => /This instance is running the sign-in for this server/.test(handles[who].stderr()));
  const c = await as.counts();
  t.diagnostic(`sign-in run by: ${leaders.join(', ') || '?'}; browser opens ${browserOpens(s.browserLog).length}, ` +
    `registrations ${c.registrations}, code exchanges ${c.token_requests.authorization_code}, authorize ${c.authorize}`);
  assert.deepEqual(results.filter((r) => r.error), [], 'both connected and listed tools');
  for (const r of results) assert.deepEqual(r.tools, ['admin_echo', 'echo', 'whoami'], `${r.who}: tools/list`);
  for (const who of order) assert.equal(await callText(handles[who], 'echo', { text: who }), `Echo: ${who}`);
  assert.equal(browserOpens(s.browserLog).length, 1, 'one browser sign-in served both');
  assert.equal(c.registrations, 1, 'one client registration');
  assert.equal(c.token_requests.authorization_code, 1, 'one code exchange');
  await Promise.all(order.map((who) => handles[who].close()));

  // The store is valid: one tokens.json and one client_info.json, both parse, and no flow leftovers.
  const files = storeFiles(s.storeDir);
  const hash = serverHash(as.url);
  const tok = tokensFor(s.storeDir, hash);
  assert.ok(tok?.access_token && tok?.refresh_token, 'tokens.json with access and refresh token');
  const info = files.find((f) => f.name === `${hash}_client_info.json`)?.json;
  assert.ok(info?.client_id, 'client_info.json with a client_id');
  const left = files.filter((f) => /_(code_verifier|discovery_state)_|_refresh_in_progress|_lock\.json$|\.tmp$/.test(f.name)).map((f) => f.name);
  assert.deepEqual(left, [], 'no verifier, discovery state, lease, lock or temp file left behind');

  // Usable by each alone afterwards: no browser, no authorize request, no registration.
  for (const who of ['npm', 'ours']) {
    const before = await as.counts();
    const px = await connectProxyWith(bins[who], as.url, [], { env: s.env(), name: `${who}-after` });
    assert.equal(await callText(px, 'echo', { text: `${who} again` }), `Echo: ${who} again`);
    const after = await as.counts();
    assert.equal(after.authorize, before.authorize, `${who} reused the store (no authorize request)`);
    assert.equal(after.registrations, before.registrations, `${who}: no registration`);
    await px.close();
  }
  assert.equal(browserOpens(s.browserLog).length, 1, 'still one browser sign-in');
}

test('npm mcp-remote and ours started at the same moment on one empty store: one sign-in, both connected, store usable by both', { timeout: 180000 },
  (t) => mixedPair(t, { first: IS_NPM ? 'npm' : 'ours' }));

test('npm mcp-remote runs the sign-in, ours arrives meanwhile and follows', { timeout: 180000 },
  (t) => mixedPair(t, { first: 'npm', waitForLeader: true }));

test('ours runs the sign-in, npm mcp-remote arrives meanwhile and follows', { timeout: 180000 },
  (t) => mixedPair(t, { first: 'ours', waitForLeader: true }));
