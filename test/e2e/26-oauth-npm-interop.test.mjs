// OAuth 26: token-store interoperability with npm mcp-remote 0.15.1 (run on Node 22 from
// test/e2e/node_modules/.bin/mcp-remote). Both keep ${MCP_REMOTE_CONFIG_DIR}/mcp-remote-v1/<hash>_*;
// a user switching between them must not have to sign in again.
//  (j) npm signs in first, the proxy under test reuses its tokens (no browser, no authorize, no
//      registration); and the other way round.
// Against npm itself (MCP_REMOTE_BIN=…/mcp-remote) both directions are npm -> npm.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROXY_BIN, NPM_PROXY_BIN, cleanupAll, startAuthServer, oauthSetup, connectProxyWith, browserOpens,
  readTokens, callText,
} from './lib.mjs';

afterEach(cleanupAll);

async function handOver(firstBin, secondBin, firstName, secondName) {
  // Short-lived tokens, so the second binary also has to refresh with the first one's grant.
  const as = await startAuthServer(['--token-ttl', '3']);
  const s = oauthSetup();
  const a = await connectProxyWith(firstBin, as.url, [], { env: s.env(), name: firstName });
  assert.equal(await callText(a, 'echo', { text: firstName }), `Echo: ${firstName}`);
  await a.close();
  const before = await as.counts();
  assert.equal(browserOpens(s.browserLog).length, 1, `${firstName} signed in through the browser`);
  const stored = readTokens(s.storeDir)?.tokens;
  assert.ok(stored?.refresh_token, `${firstName} stored tokens`);

  const b = await connectProxyWith(secondBin, as.url, [], { env: s.env(), name: secondName });
  assert.equal(await callText(b, 'echo', { text: secondName }), `Echo: ${secondName}`);
  const who = JSON.parse(await callText(b, 'whoami'));
  const after = await as.counts();
  assert.equal(browserOpens(s.browserLog).length, 1, `${secondName} opened no browser`);
  assert.equal(after.authorize, before.authorize, `${secondName} made no authorization request`);
  assert.equal(after.registrations, before.registrations, `${secondName} did not register a client`);
  assert.equal(after.token_requests.authorization_code, before.token_requests.authorization_code);
  assert.equal(after.invalid_grant, 0);
  assert.equal(who.sub, 'user-1');
  await b.close();

  // The grant is still good for the first binary afterwards (rotation recorded in the shared store).
  const c = await connectProxyWith(firstBin, as.url, [], { env: s.env(), name: `${firstName}-again` });
  assert.equal(await callText(c, 'echo', { text: 'again' }), 'Echo: again');
  assert.equal(browserOpens(s.browserLog).length, 1, 'still no second browser sign-in');
  await c.close();
}

test('(j) npm mcp-remote signs in, the proxy under test reuses its tokens without a browser', { timeout: 120000 },
  () => handOver(NPM_PROXY_BIN, PROXY_BIN, 'npm', 'proxy'));

test('(j) the proxy under test signs in, npm mcp-remote reuses its tokens without a browser', { timeout: 120000 },
  () => handOver(PROXY_BIN, NPM_PROXY_BIN, 'proxy', 'npm'));
