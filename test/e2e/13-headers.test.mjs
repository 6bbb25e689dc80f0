// Scenario 13: --header with ${VAR} expansion from the environment; values never logged.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startFixture, connectProxy, cleanupAll, firstText } from './lib.mjs';

afterEach(cleanupAll);

const SECRET = `s3cr3t-${randomBytes(8).toString('hex')}`;
const TOKEN = `tok-${randomBytes(8).toString('hex')}`;

async function whoami(flags) {
  const srv = await startFixture(['--mode', 'json']);
  const px = await connectProxy(srv.url, flags, { env: { TEST_VAR: SECRET, TEST_TOKEN: TOKEN } });
  try {
    const r = await px.client.callTool({ name: 'whoami', arguments: {} }, undefined, { timeout: 20000 });
    await px.client.listTools(undefined, { timeout: 20000 });
    return { seen: JSON.parse(firstText(r)), stderr: px.stderr(), log: await srv.log() };
  } finally {
    await px.close();
  }
}

test('--header "X-Test-A: ${TEST_VAR}" sends the expanded value', { timeout: 60000 }, async () => {
  const { seen, log } = await whoami(['--header', 'X-Test-A: ${TEST_VAR}']);
  assert.equal(seen['x-test-a'], SECRET);
  const posts = log.filter((e) => e.method === 'POST' && e.path === '/mcp');
  assert.ok(posts.length >= 3 && posts.every((e) => e.headers['x-test-a'] === SECRET), 'on every POST, initialize included');
});

test('--header values (expanded secrets, Authorization) never appear on stderr', { timeout: 60000 }, async () => {
  const { seen, stderr } = await whoami(['--header', 'X-Test-A: ${TEST_VAR}', '--header', 'Authorization:Bearer ${TEST_TOKEN}']);
  assert.equal(seen['x-test-a'], SECRET);
  assert.equal(seen.authorization, 'yes');
  assert.ok(stderr.length > 0, 'the proxy did log something');
  assert.ok(!stderr.includes(SECRET), 'expanded header value not on stderr');
  assert.ok(!stderr.includes(TOKEN), 'bearer token not on stderr');
});
