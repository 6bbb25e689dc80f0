// OAuth 27: no secret in the proxy's output. After a sign-in with a confidential client
// (client_secret_post, so DCR returns a secret), refreshes (3 s tokens) and a step-up, every
// access token, refresh token, authorization code, PKCE verifier and client secret the AS saw
// (GET /_secrets), plus a custom header value, is searched for in the proxy's stderr and in its
// --debug log (<config>/mcp-remote-v1/<hash>_debug.log).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  PROXY_BIN, cleanupAll, startAuthServer, oauthSetup, connectProxyWith, callText, findLeaks, sleep,
} from './lib.mjs';

afterEach(cleanupAll);

test('(l) no token, code, verifier, client secret or header value in stderr or the --debug log', { timeout: 120000 }, async (t) => {
  const as = await startAuthServer(['--token-ttl', '3', '--auth-methods', 'client_secret_post', '--prm-scopes', 'mcp:basic,mcp:admin,mcp:read']);
  const s = oauthSetup();
  const headerValue = `hv-${randomBytes(12).toString('hex')}`;
  const px = await connectProxyWith(PROXY_BIN, as.url, ['--debug', '--header', 'X-Api-Key: ${LEAK_TEST_HEADER}'], {
    env: s.env({ LEAK_TEST_HEADER: headerValue }),
  });
  for (let i = 0; i < 4; i++) {
    assert.equal(await callText(px, 'echo', { text: `n${i}` }), `Echo: n${i}`);
    await sleep(1200);
  }
  // Step-up: a second authorization code and verifier; failure here is not this test's subject.
  await callText(px, 'admin_echo', { text: 'x' }, 40000).catch((e) => t.diagnostic(`admin_echo failed: ${e.message.split('\n')[0]}`));
  await px.close();

  const sec = await as.secrets();
  const c = await as.counts();
  t.diagnostic(`checked: ${sec.access_tokens.length} access tokens, ${sec.refresh_tokens.length} refresh tokens, ` +
    `${sec.codes.length} codes, ${sec.code_verifiers.length} verifiers, ${sec.client_secrets.length} client secrets; refreshes ${c.refreshes}`);
  assert.ok(sec.client_secrets.length >= 1, 'a client secret was issued');
  assert.ok(sec.code_verifiers.length >= 1 && sec.refresh_tokens.length >= 2, 'sign-in and refresh happened');
  const values = [...sec.access_tokens, ...sec.refresh_tokens, ...sec.codes, ...sec.code_verifiers, ...sec.client_secrets, headerValue];

  const debugLogs = (() => {
    try { return fs.readdirSync(s.storeDir).filter((n) => n.endsWith('_debug.log')).map((n) => path.join(s.storeDir, n)); } catch { return []; }
  })();
  assert.ok(debugLogs.length >= 1, '--debug wrote a debug log in the store directory');
  const leaks = [
    ...findLeaks(px.stderr(), values, 'stderr'),
    ...debugLogs.flatMap((f) => findLeaks(fs.readFileSync(f, 'utf8'), values, path.basename(f))),
  ];
  assert.deepEqual(leaks, [], 'no secret value in the output');
});
