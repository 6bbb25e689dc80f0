// OAuth 20: first sign-in through the browser (DCR + PKCE + resource + iss), reuse of the stored
// tokens by a second run, token-store permissions, RFC 9207 iss checks.
// Fixture: test/fixtures/auth-server.mjs (MCP server and authorization server on two ports).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  PROXY_BIN, cleanupAll, startAuthServer, oauthSetup, connectProxyWith, browserOpens, storeFiles,
  readTokens, callText, npmKnownFailure,
} from './lib.mjs';

afterEach(cleanupAll);

test('(a) first sign-in via the browser, then tools/call works', { timeout: 90000 }, async () => {
  const as = await startAuthServer();
  const s = oauthSetup();
  const px = await connectProxyWith(PROXY_BIN, as.url, [], { env: s.env() });
  assert.equal(await callText(px, 'echo', { text: 'hi' }), 'Echo: hi');
  const who = JSON.parse(await callText(px, 'whoami'));
  assert.equal(who.sub, 'user-1');
  assert.equal(who.grant, 'authorization_code');
  assert.ok(who.scopes.includes('mcp:basic'), `granted scopes ${who.scopes}`);
  assert.equal(who.resource, as.url);

  const { counts, entries } = await as.log();
  assert.equal(counts.registrations, 1, 'one dynamic client registration');
  assert.equal(counts.authorize_browser, 1, 'one authorization request from the browser');
  assert.equal(browserOpens(s.browserLog).length, 1, 'browser opened once');
  assert.equal(counts.token_requests.authorization_code, 1, 'one code exchange');
  assert.equal(counts.invalid_grant, 0);
  const authz = entries.find((e) => e.server === 'as' && e.path === '/authorize' && e.from_browser);
  assert.ok(authz, 'authorize request logged');
  assert.equal(authz.code_challenge_method, 'S256');
  assert.ok(authz.has_state && authz.has_code_challenge);
  assert.equal(authz.resource, as.url, 'RFC 8707 resource = the PRM resource');
  assert.match(authz.redirect_uri, /^http:\/\/(localhost|127\.0\.0\.1):\d+\//, 'loopback redirect_uri');
  // The MCP requests after sign-in carry the bearer token.
  const mcpAfter = entries.filter((e) => e.server === 'rs' && e.path === '/mcp' && e.status === 200);
  assert.ok(mcpAfter.length > 0 && mcpAfter.every((e) => e.auth === 'bearer'));

  const tok = readTokens(s.storeDir);
  assert.ok(tok, 'tokens.json written');
  const sec = await as.secrets();
  assert.ok(sec.access_tokens.includes(tok.tokens.access_token), 'stored access token is one the AS issued');
  assert.ok(sec.refresh_tokens.includes(tok.tokens.refresh_token), 'stored refresh token is one the AS issued');
  await px.close();
});

test('(b) a second run reuses the stored tokens: no authorize request, no browser', { timeout: 90000 }, async () => {
  const as = await startAuthServer();
  const s = oauthSetup();
  const first = await connectProxyWith(PROXY_BIN, as.url, [], { env: s.env(), name: 'proxy-1' });
  assert.equal(await callText(first, 'echo', { text: 'one' }), 'Echo: one');
  await first.close();
  const before = await as.counts();
  assert.equal(browserOpens(s.browserLog).length, 1);

  const second = await connectProxyWith(PROXY_BIN, as.url, [], { env: s.env(), name: 'proxy-2' });
  assert.equal(await callText(second, 'echo', { text: 'two' }), 'Echo: two');
  const after = await as.counts();
  assert.equal(after.authorize, before.authorize, 'no authorize request (browser or pre-flight)');
  assert.equal(after.registrations, before.registrations, 'no new registration');
  assert.equal(after.token_requests.authorization_code, before.token_requests.authorization_code, 'no new code exchange');
  assert.equal(browserOpens(s.browserLog).length, 1, 'no browser opened by the second run');
  await second.close();
});

test('(k) the token store: files mode 0600 inside a 0700 directory',
  npmKnownFailure('without --debug the store directory is created with mkdir -p default mode (0755 under umask 022)', { timeout: 90000 }), async () => {
    const as = await startAuthServer();
    const s = oauthSetup();
    // No --debug: npm's debug logger would create the directory 0700 first (and hide the bug).
    const px = await connectProxyWith(PROXY_BIN, as.url, [], { env: s.env() });
    assert.equal(await callText(px, 'echo', { text: 'x' }), 'Echo: x');
    await px.close();
    const files = storeFiles(s.storeDir);
    assert.ok(files.some((f) => f.name.endsWith('_tokens.json')), 'tokens.json present');
    assert.ok(files.some((f) => f.name.endsWith('_client_info.json')), 'client_info.json present');
    const bad = files.filter((f) => f.isFile && f.mode !== 0o600).map((f) => `${f.name} ${f.mode.toString(8)}`);
    assert.deepEqual(bad, [], 'every store file is 0600');
    const dirMode = fs.statSync(s.storeDir).mode & 0o777;
    assert.equal(dirMode.toString(8), '700', 'store directory is 0700');
  });

test('RFC 9207: a wrong iss on the authorization response is refused (no tokens stored)', { timeout: 90000 }, async () => {
  const as = await startAuthServer(['--iss', 'wrong']);
  const s = oauthSetup();
  const px = await connectProxyWith(PROXY_BIN, as.url, ['--auth-timeout', '10'], { env: s.env(), noThrow: true, timeoutMs: 30000 });
  let worked = false;
  if (!px.error) {
    worked = await callText(px, 'echo', { text: 'x' }, 10000).then(() => true, () => false);
    await px.close();
  }
  assert.equal(worked, false, 'a tools/call must not succeed');
  const c = await as.counts();
  assert.ok(c.codes_issued >= 1, 'the flow got as far as the authorization response');
  assert.equal(c.token_requests.authorization_code, 0, 'the code is not redeemed');
  assert.equal(readTokens(s.storeDir), undefined, 'no tokens stored');
});

test('RFC 9207: iss missing while the AS advertises it is refused', { timeout: 90000 }, async () => {
  const as = await startAuthServer(['--iss', 'omit']);
  const s = oauthSetup();
  const px = await connectProxyWith(PROXY_BIN, as.url, ['--auth-timeout', '10'], { env: s.env(), noThrow: true, timeoutMs: 30000 });
  let worked = false;
  if (!px.error) {
    worked = await callText(px, 'echo', { text: 'x' }, 10000).then(() => true, () => false);
    await px.close();
  }
  assert.equal(worked, false, 'a tools/call must not succeed');
  const c = await as.counts();
  assert.ok(c.codes_issued >= 1, 'the flow got as far as the authorization response');
  assert.equal(c.token_requests.authorization_code, 0, 'the code is not redeemed');
  assert.equal(readTokens(s.storeDir), undefined, 'no tokens stored');
});
