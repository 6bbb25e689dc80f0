// OAuth 28: faults at the authorization server's token endpoint and in the token store.
// Promise under test: nothing is lost. Every host request gets its result or a JSON-RPC error
// (-32001 "mcp-remote: …") within a bounded time; the proxy recovers (or the one-shot client exits
// with one clear message); tokens.json is never left half-written, and a grant is only thrown away
// when the authorization server really refused it (invalid_grant).
//
//  1. The token endpoint fails during a refresh (test/fixtures/auth-server.mjs --token-fault,
//     switched at run time): HTTP 500, a 200 HTML error page, 200 non-JSON garbage, 200 JSON without
//     access_token, a TCP reset, a hang (the proxy's token-request deadline is 30 s,
//     kTokenTimeout in src/oauth_client.cc). Expected: the request that needed the refresh fails
//     with -32001 (no browser tab: a new sign-in needs the same broken endpoint), tokens.json is
//     byte-for-byte unchanged (the refresh token is kept), and once the endpoint heals the next
//     request refreshes with that same refresh token and succeeds, without a sign-in. A refresh
//     before sending (expired token) that fails costs one attempt and one deadline per request
//     (it once looped: refresh, flush, refresh…). After three transient failures in a row the
//     proxy falls back to a browser sign-in (an endpoint that never refreshes must not strand us).
//  2. The token endpoint fails during the first sign-in's code exchange (500, garbage): a clear
//     error, no tokens.json, no flow files left, no hang; a later initialize signs in.
//  3. Saving the refreshed tokens fails: the store directory is not writable (0500, the proxy run
//     without CAP_DAC_OVERRIDE through setpriv: EACCES), read-only (bind mount in a private mount
//     namespace: EROFS), the disk is full (a full tmpfs in a private mount namespace: ENOSPC), or
//     the file-size limit is hit (prlimit RLIMIT_FSIZE; the proxy ignores SIGXFSZ: EFBIG). Variants that
//     need root (setpriv, unshare + mount) are skipped where they cannot run. Expected: the old tokens.json survives byte
//     for byte, no temp or lease file remains, every request is answered (the fresh tokens live on
//     in memory, across further rotations), and one warning is printed.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  PROXY_BIN, CLIENT_BIN, cleanupAll, startAuthServer, oauthSetup, connectProxyWith, spawnProxyRaw,
  browserOpens, readTokens, storeFiles, callText, firstText, findLeaks, runCli, tmpDir, exited, sleep,
} from './lib.mjs';

afterEach(cleanupAll);

const TOKEN_DEADLINE_MS = 30000; // kTokenTimeout in src/oauth_client.cc
const LEASE_SUFFIX = '_refresh_in_progress.json';

// ------------------------------------------------------------------ helpers

/** Raw bytes of the one <hash>_tokens.json under storeDir (undefined if none). */
function tokenBytes(storeDir) {
  const t = readTokens(storeDir);
  return t ? fs.readFileSync(t.path) : undefined;
}

/** Store entries that must never be left behind: temp files and the refresh lease. */
function leftovers(storeDir) {
  return storeFiles(storeDir).map((f) => f.name).filter((n) => n.endsWith('.tmp') || n.endsWith(LEASE_SUFFIX));
}

/** tools/call echo through the SDK client: {ms, text} or {ms, error: {code, message}}. */
async function echo(px, text, ms = 90000) {
  const t0 = Date.now();
  try {
    const r = await px.client.callTool({ name: 'echo', arguments: { text } }, undefined, { timeout: ms });
    return { ms: Date.now() - t0, text: firstText(r), isError: r.isError };
  } catch (e) {
    return { ms: Date.now() - t0, error: { code: e.code, message: String(e.message) } };
  }
}

const count = (text, re) => (text.match(new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`)) ?? []).length;

/** A proxy signed in against a fresh auth server; the first call works. */
async function signedIn(asArgs = [], flags = []) {
  const as = await startAuthServer(asArgs);
  const s = oauthSetup();
  const px = await connectProxyWith(PROXY_BIN, as.url, flags, { env: s.env() });
  assert.equal(await callText(px, 'echo', { text: 'hello' }), 'Echo: hello');
  assert.ok(readTokens(s.storeDir)?.tokens?.refresh_token, 'signed in with a refresh token');
  return { as, s, px };
}

/** A tools/call that failed the way the proxy reports a failure: -32001 "mcp-remote: …". */
function assertProxyError(r, re, what) {
  assert.ok(r.error, `${what}: expected a JSON-RPC error, got ${JSON.stringify(r)}`);
  assert.equal(r.error.code, -32001, `${what}: code`);
  assert.match(r.error.message, /mcp-remote: /, `${what}: the proxy's error, not the host's own timeout`);
  if (re) assert.match(r.error.message, re, what);
}

// ------------------------------------------------------------------ 1. refresh faults

test('refresh meets 500 / HTML page / garbage / no access_token / reset: -32001, refresh token kept, next request refreshes', { timeout: 170000 }, async (t) => {
  const { as, s, px } = await signedIn();
  const modes = ['500', 'html', 'garbage', 'no-access-token', 'reset'];
  for (const mode of modes) {
    const before = tokenBytes(s.storeDir);
    const c0 = await as.counts();
    const errLen = px.stderr().length;
    await as.control(`token-fault/${mode}?grant=refresh_token`);
    await as.control('expire-access-tokens'); // the next request meets 401 -> refresh -> fault

    const r = await echo(px, `during ${mode}`);
    t.diagnostic(`${mode}: ${r.ms} ms -> ${JSON.stringify(r.error ?? r.text)}`);
    assertProxyError(r, /refresh/i, mode);
    assert.ok(r.ms < 20000, `${mode}: answered promptly (${r.ms} ms)`);
    const c1 = await as.counts();
    assert.ok((c1.token_faults ?? 0) > (c0.token_faults ?? 0), `${mode}: the refresh reached the faulty endpoint`);
    assert.equal(c1.token_requests.authorization_code, c0.token_requests.authorization_code, `${mode}: no sign-in`);
    assert.equal(browserOpens(s.browserLog).length, 1, `${mode}: no browser tab`);
    assert.deepEqual(tokenBytes(s.storeDir), before, `${mode}: tokens.json unchanged byte for byte`);
    assert.deepEqual(leftovers(s.storeDir), [], `${mode}: no temp or lease file left`);
    const said = px.stderr().slice(errLen);
    assert.equal(count(said, /authorization failed/), 1, `${mode}: one error line on stderr:\n${said}`);

    await as.control('token-fault/none');
    assert.equal((await echo(px, `after ${mode}`)).text, `Echo: after ${mode}`, `${mode}: works once healed`);
    const c2 = await as.counts();
    assert.ok(c2.refreshes > c1.refreshes, `${mode}: healed by a refresh with the kept refresh token`);
    assert.equal(c2.invalid_grant, 0);
    assert.equal(c2.token_requests.authorization_code, 1, `${mode}: still the one sign-in`);
    const now = readTokens(s.storeDir).tokens;
    const sec = await as.secrets();
    assert.equal(now.refresh_token, sec.refresh_tokens[sec.refresh_tokens.length - 1], `${mode}: the rotated refresh token is stored`);
  }
  assert.ok(!exited(px.proc), 'the proxy is still running');
  const sec = await as.secrets();
  assert.deepEqual(findLeaks(px.stderr(), [...sec.access_tokens, ...sec.refresh_tokens], 'stderr'), [], 'no token on stderr');
  await px.close();
});

test('refresh meets a hanging token endpoint: given up after the 30 s deadline, refresh token kept, next request works', { timeout: 170000 }, async (t) => {
  const { as, s, px } = await signedIn();
  const before = tokenBytes(s.storeDir);
  await as.control('token-fault/hang?grant=refresh_token');
  await as.control('expire-access-tokens');
  const r = await echo(px, 'during hang');
  t.diagnostic(`hang: ${r.ms} ms -> ${JSON.stringify(r.error ?? r.text)}`);
  assertProxyError(r, /refresh/i, 'hang');
  assert.ok(r.ms < TOKEN_DEADLINE_MS + 25000, `answered within one deadline plus slack (${r.ms} ms)`);
  assert.deepEqual(tokenBytes(s.storeDir), before, 'tokens.json unchanged byte for byte');
  assert.deepEqual(leftovers(s.storeDir), []);
  assert.equal(browserOpens(s.browserLog).length, 1, 'no browser tab');
  assert.equal(count(px.stderr(), /authorization failed/), 1, `one error line on stderr:\n${px.stderr()}`);

  await as.control('token-fault/none');
  assert.equal((await echo(px, 'after hang')).text, 'Echo: after hang');
  const c = await as.counts();
  assert.ok(c.refreshes >= 1 && c.invalid_grant === 0 && c.token_requests.authorization_code === 1);
  await px.close();
});

for (const mode of ['500', 'hang']) {
  test(`proactive refresh of an expired token meets ${mode}: one attempt per request, not a loop, then the next request works`, { timeout: 170000 }, async (t) => {
    // The token is past expires_at: the proxy refreshes before sending (fails), sends the old token
    // anyway (npm does), meets 401, and must neither refresh again for the same request (a second
    // 30 s wait on a hang) nor loop refreshing before sending (the message would never go out).
    const { as, s, px } = await signedIn(['--token-ttl', '2']);
    await sleep(2500);
    const before = tokenBytes(s.storeDir);
    const c0 = await as.counts();
    await as.control(`token-fault/${mode}?grant=refresh_token`);
    const r = await echo(px, 'during fault');
    t.diagnostic(`proactive ${mode}: ${r.ms} ms -> ${JSON.stringify(r.error ?? r.text)}`);
    assertProxyError(r, /refresh/i, `proactive ${mode}`);
    assert.ok(r.ms < 2 * TOKEN_DEADLINE_MS - 5000, `one deadline, not two (${r.ms} ms)`);
    await sleep(300); // anything still looping would show in the count
    const c1 = await as.counts();
    assert.equal(c1.token_requests.refresh_token - c0.token_requests.refresh_token, 1, 'one refresh attempt for one request');
    assert.deepEqual(tokenBytes(s.storeDir), before);
    assert.deepEqual(leftovers(s.storeDir), []);
    assert.equal(browserOpens(s.browserLog).length, 1, 'no browser tab');
    assert.equal(count(px.stderr(), /authorization failed/), 1, `one error line on stderr:\n${px.stderr()}`);
    await as.control('token-fault/none');
    assert.equal((await echo(px, 'after fault')).text, 'Echo: after fault');
    const c2 = await as.counts();
    assert.ok(c2.refreshes > c1.refreshes && c2.invalid_grant === 0 && c2.token_requests.authorization_code === 1);
    await px.close();
  });
}

test('a refresh that keeps failing (3 times in a row) falls back to a browser sign-in', { timeout: 170000 }, async () => {
  // An endpoint that never refreshes (here: 500 for refresh_token only) must not strand the user:
  // after three transient failures the proxy signs in again, and that request gets its result.
  const { as, s, px } = await signedIn();
  await as.control('token-fault/500?grant=refresh_token');
  await as.control('expire-access-tokens');
  for (const i of [1, 2]) assertProxyError(await echo(px, `try ${i}`), /refresh/i, `try ${i}`);
  assert.equal(browserOpens(s.browserLog).length, 1, 'no browser tab for the first two failures');
  const r = await echo(px, 'try 3');
  assert.equal(r.text, 'Echo: try 3', `the third request signs in and succeeds: ${JSON.stringify(r)}`);
  const c = await as.counts();
  assert.equal(c.token_requests.refresh_token, 3, 'three refresh attempts');
  assert.equal(browserOpens(s.browserLog).length, 2, 'one new browser sign-in');
  assert.equal(c.token_requests.authorization_code, 2);
  const sec = await as.secrets();
  assert.equal(readTokens(s.storeDir).tokens.refresh_token, sec.refresh_tokens[sec.refresh_tokens.length - 1], 'the new grant is stored');
  assert.equal((await echo(px, 'later')).text, 'Echo: later');
  await px.close();
});

// ------------------------------------------------------------------ 2. code-exchange faults

const INIT = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e-raw-host', version: '1.0.0' } };

/** No tokens and no flow files of a sign-in in the store (client_info.json may stay). */
function assertNoSignInLeft(storeDir, what) {
  const names = storeFiles(storeDir).map((f) => f.name);
  const bad = names.filter((n) => /_tokens\.json$|_code_verifier_|_discovery_state_|\.tmp$/.test(n) || n.endsWith(LEASE_SUFFIX));
  assert.deepEqual(bad, [], `${what}: nothing of the failed sign-in is left (${names.join(', ')})`);
}

for (const mode of ['500', 'garbage']) {
  test(`first sign-in's code exchange meets ${mode}: clear -32001, no tokens file, no hang; a later initialize signs in`, { timeout: 170000 }, async (t) => {
    const as = await startAuthServer(['--token-fault', mode, '--token-fault-grant', 'authorization_code']);
    const s = oauthSetup();
    const p = spawnProxyRaw(as.url, [], { env: s.env() });
    const t0 = Date.now();
    const init = await p.request('initialize', INIT, 60000);
    const ms = Date.now() - t0;
    t.diagnostic(`${mode}: ${ms} ms -> ${JSON.stringify(init.error ?? init.result)}`);
    assert.ok(init.error, 'initialize fails');
    assert.equal(init.error.code, -32001);
    assert.match(init.error.message, /^mcp-remote: .*token exchange failed/);
    assert.ok(ms < 45000, `no hang (${ms} ms)`);
    assert.equal((await as.counts()).token_faults, 1, 'the exchange reached the faulty endpoint once');
    assert.equal(browserOpens(s.browserLog).length, 1);
    assertNoSignInLeft(s.storeDir, mode);
    assert.equal(count(p.stderr(), /token exchange failed/), 1, `one error line on stderr:\n${p.stderr()}`);
    assert.ok(!exited(p.proc), 'the proxy keeps running for the next initialize');

    await as.control('token-fault/none');
    const again = await p.request('initialize', INIT, 60000);
    assert.ok(again.result, `initialize after healing: ${JSON.stringify(again.error)}`);
    p.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const call = await p.request('tools/call', { name: 'echo', arguments: { text: 'healed' } }, 30000);
    assert.equal(call.result?.content?.[0]?.text, 'Echo: healed');
    assert.ok(readTokens(s.storeDir)?.tokens?.refresh_token, 'signed in now');
    assert.equal(browserOpens(s.browserLog).length, 2);
    await p.close();
  });
}

test('mcp-remote-client: the code exchange fails -> exit 1 with one clear Error line, no tokens file', { timeout: 120000 }, async () => {
  const as = await startAuthServer(['--token-fault', '500', '--token-fault-grant', 'authorization_code']);
  const s = oauthSetup();
  const r = await runCli(CLIENT_BIN, [as.url, '--call', 'echo', '{"text":"x"}'], { env: s.env(), timeoutMs: 60000 });
  assert.equal(r.timedOut, false, 'no hang');
  assert.notEqual(r.code, 0, `non-zero exit:\n${r.stderr}`);
  // The final report is one "Error:" line (the proxy core's own log line before it says the same).
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('Error: '));
  assert.equal(errors.length, 1, `one final error line:\n${r.stderr}`);
  assert.match(errors[0], /token exchange failed: HTTP 500/);
  assertNoSignInLeft(s.storeDir, 'client');
});

// ------------------------------------------------------------------ 3. the store cannot be written

const sq = (v) => `'${String(v).replace(/'/g, `'\\''`)}'`;

function wrapperScript(body) {
  const f = path.join(tmpDir('mcp-e2e-wrap-'), 'proxy.sh');
  fs.writeFileSync(f, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return f;
}

// Mount namespaces need CAP_SYS_ADMIN (root here and in CI); probe once.
const canMount = (() => {
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'd=$(mktemp -d) || exit 1; mount -t tmpfs -o size=16k tmpfs "$d" && umount "$d"; rc=$?; rmdir "$d"; exit $rc'], { timeout: 10000 });
  return r.status === 0;
})();
const canDropCaps = process.getuid?.() === 0 && spawnSync('setpriv', ['--bounding-set=-dac_override', '--', 'true'], { timeout: 10000 }).status === 0;

// Each: how to start the second proxy so that its writes into the store fail, and where the store
// looks from inside (a tmpfs mounted in the proxy's own namespace is seen through /proc/<pid>/root).
const STORE_FAULTS = [
  {
    name: 'store directory not writable (EACCES)',
    errno: /Permission denied/,
    skip: !canDropCaps && 'needs root and setpriv to run the proxy without CAP_DAC_OVERRIDE',
    prepare: (s) => { fs.chmodSync(s.storeDir, 0o500); return wrapperScript(`exec setpriv --bounding-set=-dac_override,-dac_read_search -- ${sq(PROXY_BIN)} "$@"`); },
    view: (s) => s.storeDir,
  },
  {
    name: 'read-only store (EROFS)',
    errno: /Read-only file system/,
    skip: !canMount && 'needs unshare -m and mount (root)',
    prepare: (s) => wrapperScript(
      `exec unshare -m sh -c 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"' ${sq(s.storeDir)} ${sq(PROXY_BIN)} "$@"`),
    view: (s) => s.storeDir,
  },
  {
    name: 'full disk (ENOSPC)',
    errno: /No space left on device/,
    skip: !canMount && 'needs unshare -m and mount (root)',
    prepare: (s) => {
      const copy = path.join(tmpDir('mcp-e2e-cfg-copy-'), 'cfg');
      fs.cpSync(s.configDir, copy, { recursive: true });
      return wrapperScript(
        `exec unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs "$0" && cp -a "$1/." "$0/" && ` +
        `{ dd if=/dev/zero of="$0/filler" bs=4k 2>/dev/null; true; } && shift && exec "$@"' ` +
        `${sq(s.configDir)} ${sq(copy)} ${sq(PROXY_BIN)} "$@"`);
    },
    view: (s, pid) => `/proc/${pid}/root${s.storeDir}`,
  },
  {
    name: 'file-size limit (EFBIG; the proxy ignores SIGXFSZ itself)',
    errno: /File too large/,
    skip: false,
    // No `trap '' XFSZ` here: the proxy must ignore the signal on its own, or the first write kills it.
    prepare: () => wrapperScript(`exec prlimit --fsize=32 -- ${sq(PROXY_BIN)} "$@"`),
    view: (s) => s.storeDir,
  },
];

for (const f of STORE_FAULTS) {
  test(`saving refreshed tokens fails: ${f.name} -> old tokens.json intact, no temp file, answers from memory, one warning`, { timeout: 170000, skip: f.skip }, async (t) => {
    const as = await startAuthServer(['--token-ttl', '3']);
    const s = oauthSetup();
    const first = await connectProxyWith(PROXY_BIN, as.url, [], { env: s.env(), name: 'proxy-1' });
    assert.equal(await callText(first, 'echo', { text: 'one' }), 'Echo: one');
    await first.close();
    const tok = readTokens(s.storeDir);
    const before = fs.readFileSync(tok.path);
    const names = storeFiles(s.storeDir).map((x) => x.name).sort();
    const c0 = await as.counts();

    const px = await connectProxyWith(f.prepare(s), as.url, [], { env: s.env(), name: 'proxy-2' });
    // ~8 s of calls: the 3 s tokens are refreshed (and rotated) several times, every save fails.
    const failures = [];
    let calls = 0;
    for (const started = Date.now(); Date.now() - started < 8000 && calls < 50; calls++) {
      const r = await echo(px, `n${calls}`, 30000);
      if (r.text !== `Echo: n${calls}`) failures.push(`call ${calls}: ${JSON.stringify(r.error ?? r.text)}`);
      await sleep(700);
    }
    const view = f.view(s, px.pid);
    const inside = fs.readdirSync(view).sort();
    const bytes = fs.readFileSync(path.join(view, tok.name));
    const c = await as.counts();
    const err = px.stderr();
    t.diagnostic(`${calls} calls; refreshes ${c.refreshes - c0.refreshes}, invalid_grant ${c.invalid_grant}, store ${inside.join(', ')}`);
    await px.close();

    assert.deepEqual(failures, [], 'every request answered');
    assert.ok(c.refreshes - c0.refreshes >= 2, `refreshed (and rotated) at least twice (${c.refreshes - c0.refreshes})`);
    assert.equal(c.invalid_grant, 0, 'the rotated refresh token in memory was used, not the stale one on disk');
    assert.equal(c.refresh_reuse, 0);
    assert.equal(c.token_requests.authorization_code, c0.token_requests.authorization_code, 'no new sign-in');
    assert.equal(browserOpens(s.browserLog).length, 1);
    assert.deepEqual(bytes, before, 'tokens.json unchanged byte for byte');
    assert.deepEqual(inside, names, 'no temp, lease or other new file in the store');
    assert.equal(count(err, /Could not save the new tokens/), 1, `one warning:\n${err}`);
    assert.match(err, f.errno, 'the warning names the cause');
    assert.equal(count(err, /Error writing/), 0, `no second warning for the same failure:\n${err}`);
    const sec = await as.secrets();
    assert.deepEqual(findLeaks(err, [...sec.access_tokens, ...sec.refresh_tokens], 'stderr'), []);
  });
}
