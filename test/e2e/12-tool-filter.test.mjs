// Scenario 12: tool filtering with --ignore-tool (glob, case-insensitive) and --allow-tool.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, connectProxy, cleanupAll, firstText, npmKnownFailure } from './lib.mjs';

afterEach(cleanupAll);

test("--ignore-tool 'ec*' hides echo and refuses calls to it locally", { timeout: 60000 }, async () => {
  const srv = await startFixture(['--mode', 'json']);
  const px = await connectProxy(srv.url, ['--ignore-tool', 'ec*']);
  try {
    const names = (await px.client.listTools(undefined, { timeout: 20000 })).tools.map((t) => t.name);
    assert.ok(!names.includes('echo'), `echo hidden (got ${names})`);
    assert.ok(names.includes('add') && names.includes('elicit'), `other tools still listed (got ${names})`);
    let rejected = false;
    try {
      const r = await px.client.callTool({ name: 'echo', arguments: { message: 'x' } }, undefined, { timeout: 20000 });
      rejected = r.isError === true;
      assert.ok(rejected, `echo call must fail, got ${JSON.stringify(r)}`);
    } catch (e) {
      rejected = true;
      assert.match(e.message, /echo/i, 'the error names the tool');
    }
    assert.ok(rejected);
    const add = await px.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } }, undefined, { timeout: 20000 });
    assert.equal(firstText(add), '2');
    const log = await srv.log();
    assert.ok(!log.some((e) => e.rpc?.some((m) => m.method === 'tools/call' && m.name === 'echo')), 'the echo call was not forwarded');
  } finally {
    await px.close();
  }
});

test('--ignore-tool matching is case-insensitive and anchored', { timeout: 60000 }, async () => {
  const srv = await startFixture(['--mode', 'json']);
  const px = await connectProxy(srv.url, ['--ignore-tool', 'SLOW', '--ignore-tool', 'b']);
  try {
    const names = (await px.client.listTools(undefined, { timeout: 20000 })).tools.map((t) => t.name);
    assert.ok(!names.includes('slow'), `slow hidden by SLOW (got ${names})`);
    assert.ok(names.includes('big'), `'b' is anchored, so big stays (got ${names})`);
  } finally {
    await px.close();
  }
});

test('--allow-tool add lists only add',
  npmKnownFailure('there is no --allow-tool flag (it is ignored, every tool is listed)', { timeout: 60000 }),
  async () => {
    const srv = await startFixture(['--mode', 'json']);
    const px = await connectProxy(srv.url, ['--allow-tool', 'add']);
    try {
      const names = (await px.client.listTools(undefined, { timeout: 20000 })).tools.map((t) => t.name);
      assert.deepEqual(names, ['add']);
      const add = await px.client.callTool({ name: 'add', arguments: { a: 20, b: 22 } }, undefined, { timeout: 20000 });
      assert.equal(firstText(add), '42');
    } finally {
      await px.close();
    }
  });
