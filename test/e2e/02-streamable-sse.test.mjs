// Scenario 2: SDK server, Streamable HTTP with SSE responses, stateful, with an event store.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, connectProxy, cleanupAll, firstText } from './lib.mjs';

afterEach(cleanupAll);

test('sse mode: initialize, tools/list, echo, add', { timeout: 60000 }, async () => {
  const srv = await startFixture(['--mode', 'sse']);
  const px = await connectProxy(srv.url);
  try {
    const { tools } = await px.client.listTools(undefined, { timeout: 20000 });
    const names = tools.map((t) => t.name);
    assert.ok(names.includes('echo') && names.includes('add') && names.includes('drop_stream'), `got ${names}`);
    const echo = await px.client.callTool({ name: 'echo', arguments: { message: 'hello sse' } }, undefined, { timeout: 20000 });
    assert.equal(firstText(echo), 'Echo: hello sse');
    const add = await px.client.callTool({ name: 'add', arguments: { a: -1.5, b: 0.25 } }, undefined, { timeout: 20000 });
    assert.equal(firstText(add), '-1.25');
    const log = await srv.log();
    const call = log.find((e) => e.method === 'POST' && e.rpc?.some((m) => m.method === 'tools/call'));
    assert.match(call.headers.accept, /text\/event-stream/);
    assert.match(call.headers.accept, /application\/json/);
  } finally {
    await px.close();
  }
});

test('sse mode: POST stream closed by the server is resumed with GET + Last-Event-ID', { timeout: 60000 }, async () => {
  const srv = await startFixture(['--mode', 'sse']);
  const px = await connectProxy(srv.url);
  try {
    const r = await px.client.callTool({ name: 'drop_stream', arguments: { ms: 300 } }, undefined, { timeout: 20000 });
    assert.equal(firstText(r), 'resumed yes');
    const log = await srv.log();
    const resumes = log.filter((e) => e.method === 'GET' && e.headers['last-event-id']);
    assert.ok(resumes.length >= 1, `a GET with Last-Event-ID (log: ${JSON.stringify(log.map((e) => [e.method, e.status, e.headers['last-event-id']]))})`);
  } finally {
    await px.close();
  }
});
