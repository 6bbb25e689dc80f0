// Scenario 7: 32 concurrent calls, one of them slow; no head-of-line blocking in the proxy.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, connectProxy, cleanupAll, firstText } from './lib.mjs';

afterEach(cleanupAll);

for (const mode of ['json', 'sse']) {
  test(`${mode} mode: 31 fast calls complete before 1 slow concurrent call`, { timeout: 90000 }, async () => {
    const srv = await startFixture(['--mode', mode]);
    const px = await connectProxy(srv.url);
    try {
      const order = [];
      const calls = [];
      calls.push(px.client.callTool({ name: 'slow', arguments: { ms: 3000 } }, undefined, { timeout: 30000 })
        .then((r) => { order.push('slow'); assert.equal(firstText(r), 'slept 3000'); }));
      for (let i = 0; i < 31; i++) {
        const msg = `fast ${i}`;
        calls.push(px.client.callTool({ name: 'echo', arguments: { message: msg } }, undefined, { timeout: 30000 })
          .then((r) => { order.push(msg); assert.equal(firstText(r), `Echo: ${msg}`); }));
      }
      await Promise.all(calls);
      assert.equal(order.length, 32);
      assert.equal(order.indexOf('slow'), 31, `slow finished last; order: ${order.join(', ')}`);
    } finally {
      await px.close();
    }
  });
}
