// Scenario 8: server->client requests (elicitation, sampling) and progress notifications
// travel through the proxy in both directions.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ElicitRequestSchema, CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { startFixture, connectProxy, cleanupAll, firstText } from './lib.mjs';

afterEach(cleanupAll);

for (const mode of ['sse', 'json']) {
  test(`${mode} mode${mode === 'json' ? ' (server->client on the GET stream)' : ''}: elicitation/create is relayed to the host and the answer back`, { timeout: 60000 }, async () => {
    const srv = await startFixture(['--mode', mode]);
    const seen = [];
    const px = await connectProxy(srv.url, [], {
      capabilities: { elicitation: { form: {} } },
      setup: (client) => client.setRequestHandler(ElicitRequestSchema, async (req) => {
        seen.push(req.params);
        return { action: 'accept', content: { name: 'Ada', age: 36 } };
      }),
    });
    try {
      const r = await px.client.callTool({ name: 'elicit', arguments: { message: 'Who are you?' } }, undefined, { timeout: 30000 });
      assert.equal(seen.length, 1, 'the host got exactly one elicitation/create');
      assert.equal(seen[0].message, 'Who are you?');
      assert.equal(seen[0].requestedSchema.properties.name.type, 'string');
      assert.deepEqual(JSON.parse(firstText(r)), { action: 'accept', content: { name: 'Ada', age: 36 } });
    } finally {
      await px.close();
    }
  });

  test(`${mode} mode${mode === 'json' ? ' (server->client on the GET stream)' : ''}: sampling/createMessage is relayed to the host and the answer back`, { timeout: 60000 }, async () => {
    const srv = await startFixture(['--mode', mode]);
    const seen = [];
    const px = await connectProxy(srv.url, [], {
      capabilities: { sampling: {} },
      setup: (client) => client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
        seen.push(req.params);
        return { role: 'assistant', content: { type: 'text', text: 'sampled: hi there' }, model: 'e2e-model', stopReason: 'endTurn' };
      }),
    });
    try {
      const r = await px.client.callTool({ name: 'sample', arguments: { prompt: 'greet me' } }, undefined, { timeout: 30000 });
      assert.equal(seen.length, 1);
      assert.equal(seen[0].messages[0].content.text, 'greet me');
      assert.equal(firstText(r), 'sampled: hi there');
    } finally {
      await px.close();
    }
  });

  test(`${mode} mode${mode === 'json' ? ' (notifications on the GET stream)' : ''}: 5 progress notifications reach the host`, { timeout: 60000 }, async () => {
    const srv = await startFixture(['--mode', mode]);
    const px = await connectProxy(srv.url);
    try {
      const progress = [];
      const r = await px.client.callTool({ name: 'progress', arguments: { steps: 5 } }, undefined, {
        timeout: 30000,
        onprogress: (p) => progress.push(p),
      });
      assert.equal(firstText(r), 'progress done: 5 notifications (token present)');
      assert.deepEqual(progress.map((p) => p.progress), [1, 2, 3, 4, 5]);
      assert.ok(progress.every((p) => p.total === 5));
    } finally {
      await px.close();
    }
  });
}
