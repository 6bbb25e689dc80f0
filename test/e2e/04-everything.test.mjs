// Scenario 4: @modelcontextprotocol/server-everything (forced onto 127.0.0.1 by a preload).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startEverything, connectProxy, cleanupAll, firstText } from './lib.mjs';

afterEach(cleanupAll);

async function exercise(px) {
  const { tools } = await px.client.listTools(undefined, { timeout: 20000 });
  const names = tools.map((t) => t.name);
  for (const n of ['echo', 'get-sum', 'get-tiny-image']) assert.ok(names.includes(n), `${n} listed (got ${names})`);
  const echo = await px.client.callTool({ name: 'echo', arguments: { message: 'everything' } }, undefined, { timeout: 20000 });
  assert.equal(firstText(echo), 'Echo: everything');
  const sum = await px.client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } }, undefined, { timeout: 20000 });
  assert.equal(firstText(sum), 'The sum of 2 and 3 is 5.');
}

test('server-everything streamableHttp: tools/list, echo, get-sum', { timeout: 60000 }, async () => {
  const srv = await startEverything('streamableHttp');
  const px = await connectProxy(srv.url);
  try {
    await exercise(px);
  } finally {
    await px.close();
  }
});

test('server-everything sse (legacy) with --transport sse-only: tools/list, echo, get-sum', { timeout: 60000 }, async () => {
  const srv = await startEverything('sse');
  const px = await connectProxy(srv.url, ['--transport', 'sse-only']);
  try {
    await exercise(px);
  } finally {
    await px.close();
  }
});

test('server-everything sse (legacy) via default http-first fallback', { timeout: 60000 }, async () => {
  const srv = await startEverything('sse');
  const px = await connectProxy(srv.url);
  try {
    await exercise(px);
  } finally {
    await px.close();
  }
});
