// Scenario 5: the server forgets the session (404 + JSON-RPC error for the unknown id);
// the proxy must re-initialize transparently and the host never notices.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, connectProxy, cleanupAll, firstText, hasRpc } from './lib.mjs';

afterEach(cleanupAll);

for (const mode of ['json', 'sse']) {
  test(`${mode} mode: 404 on an expired session -> transparent re-initialize`, { timeout: 90000 }, async () => {
    const srv = await startFixture(['--mode', mode, '--unknown-session', '404', '--forget-sessions-after', '2']);
    const px = await connectProxy(srv.url);
    try {
      for (let i = 1; i <= 4; i++) {
        const r = await px.client.callTool({ name: 'echo', arguments: { message: `call ${i}` } }, undefined, { timeout: 30000 });
        assert.equal(r.isError, undefined, `call ${i} is not an error result`);
        assert.equal(firstText(r), `Echo: call ${i}`);
      }
      const log = await srv.log();
      const summary = JSON.stringify(log.map((e) => [e.seq, e.method, e.status, e.headers['mcp-session-id']?.slice(0, 8), e.rpc?.map((m) => m.method)]));
      // The first request that meets the forgotten session (a POST, or the GET stream's
      // reconnect) gets the 404; a re-initialize without a session id must follow.
      const notFound = log.filter((e) => e.status === 404 && e.headers['mcp-session-id']);
      assert.ok(notFound.length >= 1, `some request got 404 for the forgotten session: ${summary}`);
      const first404 = notFound[0];
      const reinit = log.find((e) => e.seq > first404.seq && e.method === 'POST' && hasRpc(e, 'initialize'));
      assert.ok(reinit, `an initialize POST after the 404: ${summary}`);
      assert.equal(reinit.headers['mcp-session-id'], undefined, 're-initialize carries no session id');
      assert.equal(reinit.status, 200);
      const newSid = log.find((e) => e.seq > reinit.seq && e.headers['mcp-session-id'])?.headers['mcp-session-id'];
      assert.ok(newSid && newSid !== first404.headers['mcp-session-id'], 'later requests use the new session id');
      const okCalls = log.filter((e) => hasRpc(e, 'tools/call') && e.status === 200);
      assert.equal(okCalls.length, 4, `4 tools/call answered 200: ${summary}`);
    } finally {
      await px.close();
    }
  });
}
