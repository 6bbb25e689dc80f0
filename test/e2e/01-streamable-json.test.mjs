// Scenario 1: SDK server, Streamable HTTP with JSON responses (enableJsonResponse), stateful.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, connectProxy, cleanupAll, firstText, hasRpc, npmKnownFailure } from './lib.mjs';

afterEach(cleanupAll);

test('json mode: initialize, tools/list, echo, add', { timeout: 60000 }, async () => {
  const srv = await startFixture(['--mode', 'json']);
  const px = await connectProxy(srv.url);
  try {
    assert.equal(px.client.getServerVersion()?.name, 'mcp-remote-fixture');
    const { tools } = await px.client.listTools(undefined, { timeout: 20000 });
    const names = tools.map((t) => t.name).sort();
    for (const n of ['add', 'big', 'echo', 'elicit', 'progress', 'sample', 'slow', 'whoami']) {
      assert.ok(names.includes(n), `tool ${n} listed (got ${names})`);
    }
    const echo = await px.client.callTool({ name: 'echo', arguments: { message: 'hello json' } }, undefined, { timeout: 20000 });
    assert.equal(firstText(echo), 'Echo: hello json');
    const add = await px.client.callTool({ name: 'add', arguments: { a: 2, b: 40 } }, undefined, { timeout: 20000 });
    assert.equal(firstText(add), '42');
  } finally {
    await px.close();
  }
});

test('json mode: one session only (no throw-away probe session)',
  npmKnownFailure('http-first probes with a separate mcp-remote-fallback-test client, so 2 initialize POSTs', { timeout: 60000 }),
  async () => {
    const srv = await startFixture(['--mode', 'json']);
    const px = await connectProxy(srv.url);
    try {
      await px.client.listTools(undefined, { timeout: 20000 });
      const log = await srv.log();
      const inits = log.filter((e) => e.method === 'POST' && hasRpc(e, 'initialize'));
      assert.equal(inits.length, 1, `initialize POSTs: ${JSON.stringify(inits)}`);
      assert.equal(inits[0].headers['mcp-session-id'], undefined, 'initialize carries no session id');
      // every later POST carries the session id and the negotiated protocol version
      const later = log.filter((e) => e.method === 'POST' && !hasRpc(e, 'initialize'));
      assert.ok(later.length >= 2);
      for (const e of later) {
        assert.ok(e.headers['mcp-session-id'], `POST ${JSON.stringify(e.rpc)} has a session id`);
        assert.ok(e.headers['mcp-protocol-version'], `POST ${JSON.stringify(e.rpc)} has mcp-protocol-version`);
      }
    } finally {
      await px.close();
    }
  });

test('stateless server (no session id): tools/list and echo', { timeout: 60000 }, async () => {
  const srv = await startFixture(['--mode', 'stateless']);
  const px = await connectProxy(srv.url);
  try {
    const { tools } = await px.client.listTools(undefined, { timeout: 20000 });
    assert.ok(tools.some((t) => t.name === 'echo'));
    const echo = await px.client.callTool({ name: 'echo', arguments: { message: 'stateless' } }, undefined, { timeout: 20000 });
    assert.equal(firstText(echo), 'Echo: stateless');
    const log = await srv.log();
    assert.ok(log.every((e) => e.headers['mcp-session-id'] === undefined), 'no session id ever sent');
  } finally {
    await px.close();
  }
});
