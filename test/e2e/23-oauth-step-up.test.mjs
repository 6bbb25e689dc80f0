// OAuth 23: 403 insufficient_scope step-up. The sign-in grants mcp:basic (the 401 challenge's
// scope); admin_echo needs mcp:admin, so its tools/call gets 403 with
// WWW-Authenticate: Bearer error="insufficient_scope", scope="mcp:basic mcp:admin", resource_metadata=…
// The proxy must re-authorize with the union of scopes and retry the call once.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROXY_BIN, cleanupAll, startAuthServer, oauthSetup, connectProxyWith, browserOpens, callText, npmKnownFailure,
} from './lib.mjs';

afterEach(cleanupAll);

async function stepUp(asArgs) {
  const as = await startAuthServer(asArgs);
  const s = oauthSetup();
  const px = await connectProxyWith(PROXY_BIN, as.url, [], { env: s.env() });
  const who1 = JSON.parse(await callText(px, 'whoami'));
  assert.deepEqual(who1.scopes, ['mcp:basic'], 'first sign-in: least privilege');

  assert.equal(await callText(px, 'admin_echo', { text: 'root' }, 40000), 'Admin echo: root');
  const { counts, entries } = await as.log();
  assert.equal(counts.mcp_403, 1, 'one 403 insufficient_scope');
  assert.equal(counts.authorize_browser, 2, 'two authorization requests from the browser');
  assert.equal(browserOpens(s.browserLog).length, 2);
  const second = entries.filter((e) => e.path === '/authorize' && e.from_browser)[1];
  const asked = new Set((second?.scope ?? '').split(' '));
  assert.ok(asked.has('mcp:basic') && asked.has('mcp:admin'), `second authorization asks for the union (scope=${second?.scope})`);
  assert.equal(counts.registrations, 1, 'same client');

  const who2 = JSON.parse(await callText(px, 'whoami'));
  assert.ok(who2.scopes.includes('mcp:admin') && who2.scopes.includes('mcp:basic'), `new token scopes ${who2.scopes}`);
  assert.equal(await callText(px, 'admin_echo', { text: 'again' }), 'Admin echo: again');
  assert.equal((await as.counts()).mcp_403, 1, 'no further 403');
  await px.close();
}

// PRM scopes_supported is exactly the union (mcp:basic mcp:admin), as a server listing all its
// scopes would have it.
test('(e) step-up: admin_echo -> 403 -> re-authorization with the union scope -> success',
  npmKnownFailure('applyScope() takes a requested scope equal to PRM scopes_supported.join(" ") for its own and ' +
    'replaces it with the challenge scope of the first 401 (mcp:basic), so the step-up re-asks for the refused scope',
  { timeout: 120000 }), () => stepUp([]));

// Same, with PRM advertising more scopes than the union (npm mcp-remote passes this one).
test('(e) step-up, PRM scopes_supported a superset of the union', { timeout: 120000 },
  () => stepUp(['--prm-scopes', 'mcp:basic,mcp:admin,mcp:read']));
