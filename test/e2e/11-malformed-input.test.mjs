// Scenario 11: a malformed JSON line on stdin gets a JSON-RPC parse error (-32700, id null)
// on stdout, and the proxy keeps serving.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, spawnProxyRaw, rawHandshake, cleanupAll, npmKnownFailure } from './lib.mjs';

afterEach(cleanupAll);

test('malformed JSON line -> -32700 with id null, then tools/call still works',
  npmKnownFailure('the SDK StdioServerTransport reports parse errors via onerror only; nothing is written to stdout', { timeout: 60000 }),
  async () => {
    const srv = await startFixture(['--mode', 'json']);
    const p = spawnProxyRaw(srv.url);
    try {
      await rawHandshake(p);
      p.sendRaw('{"jsonrpc":"2.0","id":99,"method":"tools/list",,, this is not json\n');
      const err = await p.waitFor((m) => m.error && m.error.code === -32700, 5000, '-32700 parse error');
      assert.equal(err.id, null, 'id is null');
      assert.equal(err.jsonrpc, '2.0');
      const r = await p.request('tools/call', { name: 'echo', arguments: { message: 'still alive' } });
      assert.equal(r.result.content[0].text, 'Echo: still alive');
    } finally {
      await p.close();
    }
  });

test('malformed JSON line does not kill the proxy', { timeout: 60000 }, async () => {
  const srv = await startFixture(['--mode', 'json']);
  const p = spawnProxyRaw(srv.url);
  try {
    await rawHandshake(p);
    p.sendRaw('not json at all\n');
    const r = await p.request('tools/call', { name: 'echo', arguments: { message: 'still alive' } });
    assert.equal(r.result.content[0].text, 'Echo: still alive');
  } finally {
    await p.close();
  }
});
