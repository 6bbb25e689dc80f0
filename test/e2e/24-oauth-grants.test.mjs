// OAuth 24: the grants without a browser.
//  (f) --device-code: RFC 8628 device authorization, polled token endpoint (auto-approved after
//      the first poll), no browser;
//  (g) --client-credentials with a pre-registered confidential client (--static-oauth-client-info,
//      secret from ${VAR}), client_secret_basic and client_secret_post;
//  and the authorization-code flow with a pre-registered client (AS without DCR, fixed callback port).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  PROXY_BIN, cleanupAll, startAuthServer, oauthSetup, connectProxyWith, browserOpens, readTokens,
  callText, closedPort, storeFiles,
} from './lib.mjs';

afterEach(cleanupAll);

test('(f) --device-code: device authorization + polling, no browser, tools/call works', { timeout: 120000 }, async () => {
  const as = await startAuthServer();
  const s = oauthSetup();
  const px = await connectProxyWith(PROXY_BIN, as.url, ['--device-code'], { env: s.env() });
  const who = JSON.parse(await callText(px, 'whoami'));
  assert.equal(who.grant, 'device_code');
  assert.equal(who.sub, 'user-1');
  const c = await as.counts();
  assert.equal(c.device_authorizations, 1, 'one device authorization request');
  assert.ok(c.token_requests.device_code >= 2, `polled at least twice (pending, then tokens): ${c.token_requests.device_code}`);
  assert.equal(c.slow_down, 0, 'never polled faster than the interval');
  assert.equal(c.authorize, 0, 'no authorization-code flow');
  assert.equal(browserOpens(s.browserLog).length, 0, 'no browser');
  assert.match(px.stderr(), new RegExp(`${as.asBase.replace(/[.]/g, '\\.')}/device`), 'the verification URI is shown on stderr');
  assert.ok(readTokens(s.storeDir)?.tokens?.refresh_token, 'tokens (with refresh token) stored');
  await px.close();
});

for (const method of ['client_secret_basic', 'client_secret_post']) {
  test(`(g) --client-credentials with a pre-registered client (${method})`, { timeout: 90000 }, async () => {
    const secret = `cc-secret-${randomBytes(12).toString('hex')}`;
    const as = await startAuthServer([
      '--auth-methods', method,
      '--static-client', JSON.stringify({
        client_id: 'cc-client', client_secret: secret, grant_types: ['client_credentials'],
        token_endpoint_auth_method: method, redirect_uris: [],
      }),
    ]);
    const s = oauthSetup();
    const px = await connectProxyWith(PROXY_BIN, as.url, [
      '--client-credentials',
      '--static-oauth-client-info', '{"client_id":"cc-client","client_secret":"${CC_SECRET}"}',
    ], { env: s.env({ CC_SECRET: secret }) });
    const who = JSON.parse(await callText(px, 'whoami'));
    assert.equal(who.grant, 'client_credentials');
    assert.equal(who.sub, 'cc-client');
    assert.equal(who.client_id, 'cc-client');
    const c = await as.counts();
    assert.ok(c.token_requests.client_credentials >= 1);
    assert.ok(c.token_client_auth[method] >= 1, `client authenticated with ${method}`);
    assert.equal(c.invalid_client, 0);
    assert.equal(c.registrations, 0, 'no registration');
    assert.equal(c.authorize, 0, 'no authorization request');
    assert.equal(browserOpens(s.browserLog).length, 0, 'no browser');
    assert.ok(!px.stderr().includes(secret), 'the client secret is not on stderr');
    await px.close();
  });
}

test('pre-registered client (--static-oauth-client-info, no DCR): browser sign-in with client_secret_basic', { timeout: 90000 }, async () => {
  const secret = `pre-secret-${randomBytes(12).toString('hex')}`;
  const port = await closedPort();
  const as = await startAuthServer([
    '--no-dcr', '--auth-methods', 'client_secret_basic',
    '--static-client', JSON.stringify({
      client_id: 'pre-client', client_secret: secret, token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [`http://localhost:${port}/oauth/callback`], grant_types: ['authorization_code', 'refresh_token'],
    }),
  ]);
  const s = oauthSetup();
  const px = await connectProxyWith(PROXY_BIN, as.url, [
    String(port), '--static-oauth-client-info', '{"client_id":"pre-client","client_secret":"${PRE_SECRET}"}',
  ], { env: s.env({ PRE_SECRET: secret }) });
  const who = JSON.parse(await callText(px, 'whoami'));
  assert.equal(who.client_id, 'pre-client');
  assert.equal(who.grant, 'authorization_code');
  const c = await as.counts();
  assert.equal(c.registrations, 0);
  assert.equal(browserOpens(s.browserLog).length, 1);
  assert.ok(c.token_client_auth.client_secret_basic >= 1, 'HTTP Basic at the token endpoint');
  assert.equal(c.invalid_client, 0);
  assert.ok(!storeFiles(s.storeDir).some((f) => f.name.endsWith('_client_info.json')), 'static client info is not written to the store');
  assert.ok(!px.stderr().includes(secret), 'the client secret is not on stderr');
  await px.close();
});
