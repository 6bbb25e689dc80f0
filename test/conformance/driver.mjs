#!/usr/bin/env node
// Stdio MCP *host* driver for `@modelcontextprotocol/conformance@0.1.16 client`.
//
//   conformance client --command "<node22> driver.mjs <adapter> [adapter args...]" --scenario X
//
// The runner appends the mock server URL as the LAST argument and sets MCP_CONFORMANCE_SCENARIO
// (and MCP_CONFORMANCE_CONTEXT, JSON, for some scenarios). We spawn `<adapter> [args...] <url>`
// (the stdio proxy under test), speak newline-delimited JSON-RPC to it, and act like a host:
//   initialize (2025-11-25, elicitation + roots capabilities) -> notifications/initialized
//   -> tools/list -> the scenario's tools/call(s) -> close the proxy's stdin -> wait for exit.
// Server->client requests: ping, roots/list, elicitation/create (accept with the schema's
// defaults) are answered; anything else gets a JSON-RPC "method not found" error.
// Exit 0 when every step succeeded, 1 otherwise (reason on stderr). The proxy's stdin stays open
// until we are done (the proxy exits on stdin EOF). Every wait is bounded.

import { spawn } from 'node:child_process';

const REQUEST_TIMEOUT_MS = Number(process.env.DRIVER_REQUEST_TIMEOUT_MS || 25000);
const EXIT_WAIT_MS = 10000;

const args = process.argv.slice(2);
if (args.length < 2) {
  process.stderr.write('usage: driver.mjs <proxy-command> [args...] <server-url>\n');
  process.exit(2);
}
const scenario = process.env.MCP_CONFORMANCE_SCENARIO || '';
let context = {};
try {
  context = process.env.MCP_CONFORMANCE_CONTEXT ? JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT) : {};
} catch (e) {
  process.stderr.write(`driver: bad MCP_CONFORMANCE_CONTEXT: ${e.message}\n`);
}
const say = (m) => process.stderr.write(`[driver] ${m}\n`);

const proxy = spawn(args[0], args.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
let proxyExit = null;
const exitWaiters = [];
proxy.on('exit', (code, signal) => {
  proxyExit = { code, signal };
  say(`proxy exited (${code ?? signal})`);
  for (const w of exitWaiters.splice(0)) w();
  for (const [, p] of pending) p.reject(new Error(`proxy exited (${code ?? signal}) before answering`));
  pending.clear();
});
proxy.on('error', (e) => {
  say(`cannot start proxy: ${e.message}`);
  process.exit(1);
});
proxy.stdin.on('error', (e) => say(`proxy stdin: ${e.message}`));

// ---------------------------------------------------------------- JSON-RPC over stdio
const pending = new Map(); // id -> {resolve, reject, timer}
let nextId = 1;

function write(msg) {
  if (proxyExit || proxy.stdin.destroyed) return;
  proxy.stdin.write(JSON.stringify(msg) + '\n');
}

function request(method, params, timeoutMs = REQUEST_TIMEOUT_MS) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    if (proxyExit) return reject(new Error('proxy is not running'));
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    pending.set(id, {
      resolve: (v) => { clearTimeout(timer); resolve(v); },
      reject: (e) => { clearTimeout(timer); reject(e); },
    });
    write({ jsonrpc: '2.0', id, method, ...(params !== undefined ? { params } : {}) });
  });
}

function defaultsFromSchema(schema) {
  const content = {};
  for (const [k, prop] of Object.entries(schema?.properties ?? {})) {
    if (prop && Object.prototype.hasOwnProperty.call(prop, 'default')) content[k] = prop.default;
  }
  return content;
}

function handleServerRequest(msg) {
  const reply = (result) => write({ jsonrpc: '2.0', id: msg.id, result });
  const fail = (code, message) => write({ jsonrpc: '2.0', id: msg.id, error: { code, message } });
  switch (msg.method) {
    case 'ping':
      return reply({});
    case 'roots/list':
      return reply({ roots: [] });
    case 'elicitation/create': {
      const content = defaultsFromSchema(msg.params?.requestedSchema);
      say(`elicitation/create -> accept ${JSON.stringify(content)}`);
      return reply({ action: 'accept', content });
    }
    default:
      say(`unsupported server request ${msg.method}`);
      return fail(-32601, `Method not found: ${msg.method}`);
  }
}

function onMessage(msg) {
  if (msg && typeof msg === 'object' && msg.method !== undefined && msg.id !== undefined) {
    handleServerRequest(msg);
  } else if (msg && msg.id !== undefined && (msg.result !== undefined || msg.error !== undefined)) {
    const p = pending.get(msg.id);
    if (p) {
      pending.delete(msg.id);
      if (msg.error) p.reject(Object.assign(new Error(`JSON-RPC error ${msg.error.code}: ${msg.error.message}`), { rpc: msg.error }));
      else p.resolve(msg.result);
    } else {
      say(`response for unknown id ${JSON.stringify(msg.id)}`);
    }
  } else if (msg && msg.method) {
    // notification: nothing to do
  } else {
    say(`unexpected message: ${JSON.stringify(msg).slice(0, 200)}`);
  }
}

// Linear newline splitter over raw bytes.
let chunks = [];
proxy.stdout.on('data', (buf) => {
  let start = 0;
  for (let i = 0; i < 1e9; i++) {
    const nl = buf.indexOf(0x0a, start);
    if (nl === -1) break;
    chunks.push(buf.subarray(start, nl));
    const line = Buffer.concat(chunks).toString('utf8').trim();
    chunks = [];
    start = nl + 1;
    if (!line) continue;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      say(`non-JSON line on proxy stdout: ${line.slice(0, 200)}`);
      continue;
    }
    if (Array.isArray(msg)) msg.forEach(onMessage);
    else onMessage(msg);
  }
  if (start < buf.length) chunks.push(buf.subarray(start));
});

// ---------------------------------------------------------------- the scenario
async function callTool(name, args = {}) {
  const r = await request('tools/call', { name, arguments: args });
  say(`tools/call ${name} -> ${JSON.stringify(r).slice(0, 300)}`);
  if (r?.isError) throw new Error(`tool ${name} returned isError: ${JSON.stringify(r.content).slice(0, 300)}`);
  return r;
}

async function run() {
  const init = await request('initialize', {
    protocolVersion: '2025-11-25',
    capabilities: { elicitation: {}, roots: { listChanged: false } },
    clientInfo: { name: 'mcp-remote-conformance-driver', version: '1.0.0' },
  }, 45000);
  say(`initialized: server ${JSON.stringify(init?.serverInfo)} protocol ${init?.protocolVersion}`);
  write({ jsonrpc: '2.0', method: 'notifications/initialized' });

  const { tools = [] } = await request('tools/list', {});
  say(`tools: ${tools.map((t) => t.name).join(', ') || '(none)'}`);

  if (Array.isArray(context.toolCalls) && context.toolCalls.length) {
    for (const c of context.toolCalls) await callTool(c.name, c.arguments ?? {});
  } else if (scenario === 'tools_call') {
    await callTool('add_numbers', { a: 5, b: 3 });
  } else if (scenario === 'elicitation-sep1034-client-defaults') {
    await callTool('test_client_elicitation_defaults', {});
  } else if (scenario === 'sse-retry') {
    await callTool('test_reconnection', {});
  } else if (scenario.startsWith('auth/')) {
    if (tools.length === 0) throw new Error('no tool listed to call');
    await callTool(tools[0].name, {});
  }
}

function waitProxyExit(ms) {
  if (proxyExit) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    exitWaiters.push(() => { clearTimeout(t); resolve(true); });
  });
}

async function finish(ok) {
  if (!proxyExit) {
    proxy.stdin.end();
    if (!(await waitProxyExit(EXIT_WAIT_MS))) {
      say(`proxy still running ${EXIT_WAIT_MS} ms after stdin EOF; killing it`);
      proxy.kill('SIGTERM');
      if (!(await waitProxyExit(3000))) {
        proxy.kill('SIGKILL');
        await waitProxyExit(2000);
      }
      ok = false;
    }
  }
  say(ok ? 'done: OK' : 'done: FAILED');
  process.exit(ok ? 0 : 1);
}

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    say(`${sig}: stopping proxy`);
    try { proxy.kill('SIGTERM'); } catch { /* gone */ }
    setTimeout(() => process.exit(1), 2000).unref();
    waitProxyExit(2000).then(() => process.exit(1));
  });
}

run().then(() => finish(true), (e) => {
  say(`FAILED: ${e.message}`);
  finish(false);
});
