// OAuth 25: several instances of the proxy for the same server at once (hosts such as Claude
// Desktop start 2-4). They share one token store: exactly one registration and one browser sign-in
// must serve them all (mcp-remote §1.6).
//  (h) four instances started together: 1 registration, 1 browser open, all get tools/list;
//  (i) the instance running the sign-in (the one holding the callback port) is killed after its
//      browser opened (the fake browser waits 2 s before acting): another instance completes
//      (taking over the callback port; the leader's tab may still deliver the code to it).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROXY_BIN, cleanupAll, startAuthServer, oauthSetup, launchProxy, browserOpens, callText, until,
  pidListeningOn,
} from './lib.mjs';

afterEach(cleanupAll);

// What each instance said about the election and the sign-in (no secrets: these lines carry
// ports and roles only), for a failure message.
function electionLines(handles) {
  const re = /callback (server|port)|sign-in|instance|Registering|Yielding|unrelated|taking it over|asking again|tokens/;
  return handles.map((h, i) => `--- proxy-${i} (pid ${h.pid}):\n` +
    h.stderr().split('\n').filter((l) => re.test(l)).slice(0, 20).join('\n')).join('\n');
}

test('(h) four instances at once: one registration, one browser open, all get tools/list', { timeout: 150000 }, async (t) => {
  const as = await startAuthServer();
  const s = oauthSetup();
  const t0 = Date.now();
  const handles = [0, 1, 2, 3].map((i) => launchProxy(PROXY_BIN, as.url, [], { env: s.env(), name: `proxy-${i}`, noThrow: true, timeoutMs: 90000 }));
  const done = await Promise.all(handles.map(async (h) => {
    await h.ready;
    if (h.error) return { error: h.error.message.split('\n')[0], ms: Date.now() - t0 };
    try {
      const tools = await h.client.listTools(undefined, { timeout: 30000 });
      return { tools: tools.tools.map((x) => x.name).sort(), ms: Date.now() - t0 };
    } catch (e) {
      return { error: e.message, ms: Date.now() - t0 };
    }
  }));
  const allMs = Math.max(...done.map((d) => d.ms));
  t.diagnostic(`time to all four connected with tools/list: ${allMs} ms (each: ${done.map((d) => d.ms).join(', ')} ms)`);
  const errs = done.filter((d) => d.error);
  assert.deepEqual(errs, [], `every instance connected\n${handles.map((h) => h.error?.message ?? '').join('\n').slice(0, 6000)}`);
  for (const d of done) assert.deepEqual(d.tools, ['admin_echo', 'echo', 'whoami']);
  const c = await as.counts();
  assert.equal(c.registrations, 1, `exactly one registration; the instances said:\n${electionLines(handles)}`);
  assert.equal(browserOpens(s.browserLog).length, 1, 'exactly one browser open');
  assert.equal(c.token_requests.authorization_code, 1, 'one code exchange');
  t.diagnostic(`registrations ${c.registrations}, browser opens ${browserOpens(s.browserLog).length}, ` +
    `authorize (browser/other) ${c.authorize_browser}/${c.authorize_other}, code exchanges ${c.token_requests.authorization_code}, refreshes ${c.refreshes}`);
  for (const h of handles) assert.equal(await callText(h, 'echo', { text: 'x' }), 'Echo: x');
  await Promise.all(handles.map((h) => h.close()));
});

test('(i) the sign-in leader killed after opening the browser: a follower completes', { timeout: 150000 }, async (t) => {
  const as = await startAuthServer();
  const s = oauthSetup();
  const env = s.env({ FAKE_BROWSER_DELAY: '2' });
  const handles = [0, 1, 2].map((i) => launchProxy(PROXY_BIN, as.url, [], { env, name: `proxy-${i}`, noThrow: true, timeoutMs: 120000 }));
  const opened = await until(() => {
    if (handles.every((h) => h.error)) throw new Error(`every instance failed before a browser opened:\n${handles[0].error.message}`);
    return browserOpens(s.browserLog)[0];
  }, { ms: 30000, what: 'the browser to open' });
  const redirect = new URL(new URL(opened.url).searchParams.get('redirect_uri'));
  const port = Number(redirect.port);
  const pids = handles.map((h) => h.pid);
  const leaderPid = await until(() => pidListeningOn(port, pids), { ms: 1500, every: 50, what: `the process listening on callback port ${port}` });
  const leader = handles.find((h) => h.pid === leaderPid);
  leader.kill('SIGKILL');
  t.diagnostic(`killed leader pid ${leaderPid} (callback port ${port}) ${Date.now() - opened.t} ms after the browser opened`);

  const followers = handles.filter((h) => h !== leader);
  await Promise.all(followers.map((h) => h.ready));
  const errs = followers.filter((h) => h.error).map((h) => h.error.message);
  assert.deepEqual(errs, [], 'every surviving instance connected');
  for (const h of followers) {
    const tools = await h.client.listTools(undefined, { timeout: 30000 });
    assert.ok(tools.tools.some((x) => x.name === 'echo'));
    assert.equal(await callText(h, 'echo', { text: 'y' }), 'Echo: y');
  }
  const c = await as.counts();
  t.diagnostic(`browser opens ${browserOpens(s.browserLog).length}, registrations ${c.registrations}, code exchanges ${c.token_requests.authorization_code}`);
  assert.equal(c.registrations, 1, `one registration; the instances said:\n${electionLines(handles)}`);
  // The dead leader's tab can still complete (the PKCE verifier is on disk, keyed by state), so the
  // new leader need not open another; npm mcp-remote 0.15.1 does open a second tab. Allow one more.
  assert.ok(browserOpens(s.browserLog).length <= 2, 'at most one extra browser tab');
  assert.ok(c.token_requests.authorization_code >= 1 && c.token_requests.authorization_code <= 2);
  await Promise.all(handles.map((h) => h.close()));
});
