// Scenario 14: the mcp-remote-client binary.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, runCli, closedPort, cleanupAll, CLIENT_BIN, npmKnownFailure } from './lib.mjs';

afterEach(cleanupAll);

test('mcp-remote-client <url> lists tools and resources, exits 0', { timeout: 60000 }, async () => {
  const srv = await startFixture(['--mode', 'json']);
  const r = await runCli(CLIENT_BIN, [srv.url], { timeoutMs: 30000 });
  const out = r.stdout + r.stderr;
  assert.equal(r.timedOut, false, 'finished within 30 s');
  assert.equal(r.code, 0, `exit 0\n${out.slice(-3000)}`);
  for (const n of ['echo', 'add', 'slow', 'whoami']) assert.ok(out.includes(n), `tool ${n} printed`);
  assert.ok(out.includes('fixture://hello'), 'resource printed');
});

test('mcp-remote-client <url> also lists prompts',
  npmKnownFailure('lists tools and resources only', { timeout: 60000 }),
  async () => {
    const srv = await startFixture(['--mode', 'json']);
    const r = await runCli(CLIENT_BIN, [srv.url], { timeoutMs: 30000 });
    assert.equal(r.code, 0);
    assert.ok((r.stdout + r.stderr).includes('greeting'), 'prompt printed');
  });

test('mcp-remote-client against a closed port exits non-zero within 30 s with a clear message', { timeout: 60000 }, async () => {
  const port = await closedPort();
  const r = await runCli(CLIENT_BIN, [`http://127.0.0.1:${port}/mcp`], { timeoutMs: 30000 });
  assert.equal(r.timedOut, false, `exited by itself within 30 s (took ${r.ms} ms)`);
  assert.equal(typeof r.code, 'number', `exited with a code (${r.code}/${r.signal})`);
  assert.notEqual(r.code, 0, 'non-zero exit');
  assert.match(r.stdout + r.stderr, /ECONNREFUSED|refused|connect|unreachable|fetch failed/i, 'message says why');
});

test("mcp-remote-client <url> --call echo '{\"message\":\"hi\"}' prints the result",
  npmKnownFailure('has no --call option', { timeout: 60000 }),
  async () => {
    const srv = await startFixture(['--mode', 'json']);
    const r = await runCli(CLIENT_BIN, [srv.url, '--call', 'echo', '{"message":"hi"}'], { timeoutMs: 30000 });
    assert.equal(r.code, 0, `exit 0\n${(r.stdout + r.stderr).slice(-3000)}`);
    assert.ok((r.stdout + r.stderr).includes('Echo: hi'), 'tool result printed');
  });
