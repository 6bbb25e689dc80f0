// Scenario 3: the deprecated HTTP+SSE transport (GET /sse + POST /messages?sessionId=).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, connectProxy, cleanupAll, firstText, hasRpc, npmKnownFailure } from './lib.mjs';

afterEach(cleanupAll);

async function exercise(px) {
  const { tools } = await px.client.listTools(undefined, { timeout: 20000 });
  const names = tools.map((t) => t.name);
  assert.ok(names.includes('echo') && names.includes('add'), `got ${names}`);
  const echo = await px.client.callTool({ name: 'echo', arguments: { message: 'legacy' } }, undefined, { timeout: 20000 });
  assert.equal(firstText(echo), 'Echo: legacy');
  const add = await px.client.callTool({ name: 'add', arguments: { a: 3, b: 4 } }, undefined, { timeout: 20000 });
  assert.equal(firstText(add), '7');
}

test('legacy SSE with --transport sse-only', { timeout: 60000 }, async () => {
  const srv = await startFixture(['--mode', 'legacy-sse']);
  const px = await connectProxy(srv.url, ['--transport', 'sse-only']);
  try {
    await exercise(px);
    const log = await srv.log();
    assert.equal(log.filter((e) => e.method === 'POST' && e.path === '/sse').length, 0, 'sse-only never POSTs to /sse');
    const msgs = log.filter((e) => e.method === 'POST' && e.path === '/messages');
    assert.ok(msgs.length >= 4, 'initialize, initialized, tools/list, calls went to /messages');
    assert.ok(msgs.every((e) => e.query.sessionId && e.status === 202), `all /messages POSTs carry sessionId and got 202: ${JSON.stringify(msgs.map((e) => [e.query, e.status]))}`);
  } finally {
    await px.close();
  }
});

test('legacy SSE reached by default http-first (POST /sse -> 404 -> fallback)', { timeout: 60000 }, async () => {
  const srv = await startFixture(['--mode', 'legacy-sse']);
  const px = await connectProxy(srv.url);
  try {
    await exercise(px);
    const log = await srv.log();
    const posts = log.filter((e) => e.method === 'POST' && e.path === '/sse');
    assert.ok(posts.length >= 1, 'http-first tried Streamable HTTP first');
    assert.ok(posts.every((e) => e.status === 404 || e.status === 405), `POST /sse answered 404/405: ${JSON.stringify(posts.map((e) => e.status))}`);
  } finally {
    await px.close();
  }
});

test('http-first fallback creates no throw-away session (1 POST /sse, 1 GET /sse, 1 initialize)',
  npmKnownFailure('its start-up probes GET /sse twice more (discovery), each opening an SSE session', { timeout: 60000 }),
  async () => {
    const srv = await startFixture(['--mode', 'legacy-sse']);
    const px = await connectProxy(srv.url);
    try {
      await exercise(px);
      const log = await srv.log();
      const summary = JSON.stringify(log.map((e) => [e.method, e.path, e.status, e.rpc?.map((m) => m.method)]));
      const posts = log.filter((e) => e.method === 'POST' && e.path === '/sse');
      const gets = log.filter((e) => e.method === 'GET' && e.path === '/sse');
      const inits = log.filter((e) => e.path === '/messages' && hasRpc(e, 'initialize'));
      assert.ok(posts.length <= 1, `at most one POST /sse: ${summary}`);
      assert.equal(gets.length, 1, `exactly one GET /sse: ${summary}`);
      assert.equal(inits.length, 1, `exactly one initialize over legacy SSE: ${summary}`);
    } finally {
      await px.close();
    }
  });
