// Scenario 6: the server is restarted mid-session on the same port. A call during the downtime
// must fail fast with a JSON-RPC error (not hang); the next call after the restart succeeds.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, connectProxy, cleanupAll, firstText } from './lib.mjs';

afterEach(cleanupAll);

for (const mode of ['json', 'sse']) {
  test(`${mode} mode: server restart mid-session`, { timeout: 90000 }, async () => {
    const srv = await startFixture(['--mode', mode, '--unknown-session', '404']);
    const px = await connectProxy(srv.url);
    try {
      const r1 = await px.client.callTool({ name: 'echo', arguments: { message: 'before' } }, undefined, { timeout: 20000 });
      assert.equal(firstText(r1), 'Echo: before');

      await srv.stop();
      const t0 = Date.now();
      let err;
      try {
        const r = await px.client.callTool({ name: 'echo', arguments: { message: 'during' } }, undefined, { timeout: 20000 });
        assert.fail(`call during downtime unexpectedly succeeded: ${JSON.stringify(r)}`);
      } catch (e) {
        err = e;
      }
      const waited = Date.now() - t0;
      assert.ok(waited < 15000, `error arrived within 15 s (took ${waited} ms): ${err.message}`);
      assert.ok(typeof err.code === 'number', `a JSON-RPC error with a code: ${err}`);
      assert.doesNotMatch(err.message, /timed out/i, 'a real error, not the host-side timeout');

      const srv2 = await startFixture(['--mode', mode, '--unknown-session', '404'], { port: srv.port });
      assert.equal(srv2.port, srv.port);
      const r2 = await px.client.callTool({ name: 'echo', arguments: { message: 'after' } }, undefined, { timeout: 30000 });
      assert.equal(firstText(r2), 'Echo: after');
    } finally {
      await px.close();
    }
  });
}
