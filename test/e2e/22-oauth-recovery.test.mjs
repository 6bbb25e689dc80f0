// OAuth 22: recovery when the stored grant is no good any more.
//  (d) refresh token corrupted in tokens.json -> invalid_grant -> new browser sign-in (same client);
//  (d) the AS forgets every token mid-session -> 401 -> refresh -> invalid_grant -> browser sign-in,
//      the call that hit it still succeeds;
//  the AS forgets the client registration (--forget-clients) -> invalid_client on refresh ->
//      re-registration + browser sign-in.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  PROXY_BIN, cleanupAll, startAuthServer, oauthSetup, connectProxyWith, browserOpens, readTokens,
  callText, sleep,
} from './lib.mjs';

afterEach(cleanupAll);

test('(d) corrupted refresh token in tokens.json -> invalid_grant -> browser sign-in, call succeeds', { timeout: 120000 }, async () => {
  const as = await startAuthServer(['--token-ttl', '3']);
  const s = oauthSetup();
  const first = await connectProxyWith(PROXY_BIN, as.url, [], { env: s.env(), name: 'proxy-1' });
  assert.equal(await callText(first, 'echo', { text: 'one' }), 'Echo: one');
  await first.close();

  const tok = readTokens(s.storeDir);
  assert.ok(tok?.tokens?.refresh_token, 'signed in with a refresh token');
  const corrupted = { ...tok.tokens, refresh_token: 'rt_corrupted-by-the-test-0123456789' };
  fs.writeFileSync(tok.path, JSON.stringify(corrupted, null, 2), { mode: 0o600 });
  await sleep(3500); // the access token is dead too now
  const before = await as.counts();

  const second = await connectProxyWith(PROXY_BIN, as.url, [], { env: s.env(), name: 'proxy-2' });
  assert.equal(await callText(second, 'echo', { text: 'two' }), 'Echo: two');
  const after = await as.counts();
  assert.ok(after.invalid_grant > before.invalid_grant, 'the AS answered invalid_grant to the corrupted refresh token');
  assert.equal(browserOpens(s.browserLog).length, 2, 'a second browser sign-in');
  assert.equal(after.token_requests.authorization_code, 2);
  assert.equal(after.registrations, 1, 'the client registration is kept');
  const now = readTokens(s.storeDir)?.tokens;
  assert.notEqual(now?.refresh_token, corrupted.refresh_token, 'tokens.json replaced');
  assert.ok((await as.secrets()).refresh_tokens.includes(now.refresh_token));
  await second.close();
});

test('(d) the AS forgets all tokens mid-session -> re-sign-in via the browser, the call succeeds', { timeout: 120000 }, async () => {
  const as = await startAuthServer();
  const s = oauthSetup();
  const px = await connectProxyWith(PROXY_BIN, as.url, [], { env: s.env() });
  assert.equal(await callText(px, 'echo', { text: 'before' }), 'Echo: before');
  await as.control('forget-tokens');
  assert.equal(await callText(px, 'echo', { text: 'after' }, 40000), 'Echo: after');
  const c = await as.counts();
  assert.ok(c.invalid_grant >= 1, 'the refresh was refused with invalid_grant');
  assert.equal(browserOpens(s.browserLog).length, 2, 'browser opened again');
  assert.equal(c.token_requests.authorization_code, 2);
  assert.equal(c.registrations, 1);
  assert.equal(await callText(px, 'echo', { text: 'later' }), 'Echo: later');
  await px.close();
});

test('--forget-clients: the AS drops the registration -> invalid_client -> re-registration + sign-in', { timeout: 120000 }, async () => {
  const as = await startAuthServer(['--token-ttl', '3', '--forget-clients']);
  const s = oauthSetup();
  const px = await connectProxyWith(PROXY_BIN, as.url, [], { env: s.env() });
  assert.equal(await callText(px, 'echo', { text: 'one' }), 'Echo: one');
  await sleep(3500); // access token expired; the refresh meets the forgotten client
  assert.equal(await callText(px, 'echo', { text: 'two' }, 40000), 'Echo: two');
  const c = await as.counts();
  assert.equal(c.clients_forgotten, 1);
  assert.ok(c.invalid_client >= 1, 'the AS answered invalid_client');
  assert.equal(c.registrations, 2, 'the proxy registered again');
  assert.equal(browserOpens(s.browserLog).length, 2, 'and signed in again');
  const info = fs.readdirSync(s.storeDir).filter((n) => n.endsWith('_client_info.json'));
  assert.equal(info.length, 1);
  await px.close();
});
