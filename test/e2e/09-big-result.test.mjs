// Scenario 9: a 10 MB tool result arrives intact. Uses raw stdio with our own linear line
// splitter: the SDK's StdioClientTransport re-scans its buffer per chunk (quadratic on 10 MB).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, spawnProxyRaw, rawHandshake, cleanupAll } from './lib.mjs';

afterEach(cleanupAll);

const BYTES = 10 * 1024 * 1024;

for (const mode of ['json', 'sse']) {
  test(`${mode} mode: 10 MB tool result arrives intact`, { timeout: 120000 }, async () => {
    const srv = await startFixture(['--mode', mode]);
    const p = spawnProxyRaw(srv.url);
    try {
      await rawHandshake(p);
      const t0 = Date.now();
      const res = await p.request('tools/call', { name: 'big', arguments: { bytes: BYTES } }, 90000);
      const ms = Date.now() - t0;
      assert.equal(res.error, undefined, `no error: ${JSON.stringify(res.error)}`);
      const text = res.result.content[0].text;
      assert.equal(text.length, BYTES, 'exact length');
      const block = 'x'.repeat(1023) + '|';
      for (let off = 0; off + 1024 <= BYTES; off += 1024 * 997) {
        assert.equal(text.slice(off, off + 1024), block, `block at ${off} intact`);
      }
      assert.equal(text.split('|').length - 1, BYTES / 1024, 'every 1 KiB marker present');
      assert.equal(p.badLines.length, 0, 'stdout carried only JSON lines');
      console.error(`# ${mode}: 10 MB result through the proxy in ${ms} ms`);
      // and the proxy is still usable afterwards
      const echo = await p.request('tools/call', { name: 'echo', arguments: { message: 'after big' } });
      assert.equal(echo.result.content[0].text, 'Echo: after big');
    } finally {
      await p.close();
    }
  });
}
