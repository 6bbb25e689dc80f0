// OAuth 21: refresh over a long session. The fixture's access tokens live 3 s.
//  - proactive: the AS reports expires_in 3, so the proxy can refresh before sending;
//  - reactive: the AS reports expires_in 3600 but the token dies after 3 s, so the proxy meets a
//    401 invalid_token and must refresh and retry.
// Refresh tokens rotate: the old one is invalid after use, and tokens.json must end up holding
// the newest one.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROXY_BIN, cleanupAll, startAuthServer, oauthSetup, connectProxyWith, browserOpens, readTokens,
  callText, sleep,
} from './lib.mjs';

afterEach(cleanupAll);

const SESSION_MS = 12000;
const EVERY_MS = 1000;

async function longSession(t, asArgs) {
  const as = await startAuthServer(asArgs);
  const s = oauthSetup();
  const px = await connectProxyWith(PROXY_BIN, as.url, [], { env: s.env() });
  const started = Date.now();
  let calls = 0;
  const failures = [];
  for (let i = 0; i < 100 && Date.now() - started < SESSION_MS; i++) {
    try {
      const txt = await callText(px, 'echo', { text: `n${i}` }, 20000);
      if (txt !== `Echo: n${i}`) failures.push(`call ${i}: ${txt}`);
    } catch (e) {
      failures.push(`call ${i}: ${e.message.split('\n')[0]}`);
    }
    calls++;
    await sleep(EVERY_MS);
  }
  const counts = await as.counts();
  const sec = await as.secrets();
  const stored = readTokens(s.storeDir)?.tokens;
  t.diagnostic(`${calls} calls in ${Date.now() - started} ms; refreshes ${counts.refreshes}, 401s ${counts.mcp_401}, ` +
    `invalid_grant ${counts.invalid_grant}, refresh reuse ${counts.refresh_reuse}, browser opens ${browserOpens(s.browserLog).length}`);
  await px.close();
  return { as, s, calls, failures, counts, sec, stored, stderr: px.stderr() };
}

function checkRotation(r) {
  assert.deepEqual(r.failures, [], 'every call succeeds');
  assert.ok(r.calls >= 8, `enough calls (${r.calls})`);
  assert.ok(r.counts.refreshes >= 2, `at least 2 refreshes (got ${r.counts.refreshes})`);
  assert.equal(r.counts.refresh_reuse, 0, 'a rotated (used) refresh token is never sent again');
  assert.equal(r.counts.invalid_grant, 0, 'no invalid_grant');
  assert.equal(browserOpens(r.s.browserLog).length, 1, 'only the first sign-in opened the browser');
  assert.equal(r.counts.token_requests.authorization_code, 1, 'no second sign-in');
  assert.ok(r.stored?.refresh_token, 'tokens.json has a refresh token');
  const newest = r.sec.refresh_tokens[r.sec.refresh_tokens.length - 1];
  assert.equal(r.stored.refresh_token, newest, 'tokens.json holds the newest (rotated) refresh token');
  assert.ok(r.sec.access_tokens.includes(r.stored.access_token));
}

test('(c) proactive refresh (expires_in 3 s) across a 12 s session; rotated refresh token stored', { timeout: 120000 }, async (t) => {
  const r = await longSession(t, ['--token-ttl', '3']);
  checkRotation(r);
});

test('(c) reactive refresh: token dies after 3 s though expires_in says 3600 -> 401 -> refresh -> retry', { timeout: 120000 }, async (t) => {
  const r = await longSession(t, ['--token-ttl', '3', '--report-expires-in', '3600']);
  checkRotation(r);
  assert.ok(r.counts.mcp_401 >= 2, `the proxy met expired-token 401s (got ${r.counts.mcp_401})`);
});
