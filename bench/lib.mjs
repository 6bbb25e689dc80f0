// Helpers for bench/bench.mjs: child-process registry (everything started is stopped on exit,
// error or signal), the fixture server, a raw newline-delimited JSON-RPC driver for the stdio
// proxies, the direct SDK client, /proc readers and statistics.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };
export const now = () => performance.now();

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..');
export const E2E = path.join(REPO, 'test', 'e2e');
export const FIXTURE = path.join(REPO, 'test', 'fixtures', 'server.mjs');
export const NPM_PROXY_JS = path.join(E2E, 'node_modules', 'mcp-remote', 'dist', 'proxy.js');

// The SDK lives in test/e2e/node_modules (bench/ has no package.json of its own).
const e2eRequire = createRequire(path.join(E2E, 'package.json'));
export const importE2E = async (spec) => import(pathToFileURL(e2eRequire.resolve(spec)).href);
export function pkgVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(E2E, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

export const log = (...a) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${a.join(' ')}\n`);

// ------------------------------------------------------------------ process registry
const live = new Set();
const tmpDirs = new Set();

export function exited(proc) {
  return proc.exitCode !== null || proc.signalCode !== null;
}

export function waitExit(proc, ms) {
  if (exited(proc)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => { proc.off('exit', onExit); resolve(false); }, ms);
    const onExit = () => { clearTimeout(t); resolve(true); };
    proc.once('exit', onExit);
  });
}

export function track(proc) {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  return proc;
}

/** SIGTERM, then SIGKILL after graceMs. */
export async function killProc(proc, graceMs = 2000) {
  if (exited(proc)) return;
  try { proc.kill('SIGTERM'); } catch { /* gone */ }
  if (await waitExit(proc, graceMs)) return;
  try { proc.kill('SIGKILL'); } catch { /* gone */ }
  await waitExit(proc, 2000);
}

export async function cleanupAll() {
  await Promise.all([...live].map((p) => killProc(p, 1500)));
  for (const d of tmpDirs) {
    try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* ignore */ }
  }
  tmpDirs.clear();
}

/** Last-resort synchronous cleanup (process 'exit' handler). */
export function killAllSync() {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* gone */ }
  }
  for (const d of tmpDirs) {
    try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* ignore */ }
  }
}

export function tmpDir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.add(d);
  return d;
}

function tail(sink, max = 8000) {
  return (d) => {
    sink.text += d;
    if (sink.text.length > 2 * max) sink.text = sink.text.slice(-max);
  };
}

// ------------------------------------------------------------------ fixture server
export async function startFixture(mode) {
  const env = { ...process.env };
  delete env.PORT;
  const proc = track(spawn(process.execPath, [FIXTURE, '--mode', mode], { stdio: ['ignore', 'pipe', 'pipe'], env }));
  const err = { text: '' };
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', tail(err));
  proc.stdout.setEncoding('utf8');
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => { fin(); reject(new Error(`fixture not ready in 15 s\n${err.text}`)); }, 15000);
    const onData = (d) => {
      buf += d;
      const m = buf.match(/LISTENING (\d+)\n/);
      if (m) { fin(); resolve(Number(m[1])); }
    };
    const onExit = (c, s) => { fin(); reject(new Error(`fixture exited (${c ?? s})\n${err.text}`)); };
    function fin() { clearTimeout(t); proc.stdout.off('data', onData); proc.off('exit', onExit); }
    proc.stdout.on('data', onData);
    proc.once('exit', onExit);
  });
  return { mode, port, url: `http://127.0.0.1:${port}/mcp`, proc, pid: proc.pid, stderr: () => err.text, stop: () => killProc(proc) };
}

// ------------------------------------------------------------------ raw stdio JSON-RPC driver
/**
 * Spawns a stdio proxy with plain pipes. stdout is split on '\n' by collecting chunk
 * references and concatenating once per line (linear in the line size, unlike the SDK's
 * StdioClientTransport ReadBuffer which rescans its whole buffer per chunk).
 * Each response resolves the pending request with {msg, t, tp, bytes}: t = performance.now() when
 * the line's final chunk arrived, tp = after JSON.parse of the line (a client must parse, and the
 * SDK client used for 'direct' parses too).
 */
export class RawProxy {
  constructor(cmd, args, env) {
    this.t0 = now();
    this.proc = track(spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env }));
    this.pid = this.proc.pid;
    this.err = { text: '' };
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', tail(this.err));
    this.proc.stdin.on('error', () => {});
    this.pending = new Map();
    this.nextId = 1;
    this.badLines = 0;
    this.otherMessages = 0;
    let chunks = [];
    this.proc.stdout.on('data', (buf) => {
      const t = now();
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, start);
        if (nl === -1) break;
        let line;
        if (chunks.length) {
          chunks.push(buf.subarray(start, nl));
          line = Buffer.concat(chunks);
          chunks = [];
        } else {
          line = buf.subarray(start, nl);
        }
        start = nl + 1;
        this.#onLine(line, t);
      }
      if (start < buf.length) chunks.push(start === 0 ? buf : buf.subarray(start));
    });
    this.exitPromise = new Promise((resolve) => this.proc.once('exit', (code, sig) => {
      const e = new Error(`proxy exited (${code ?? sig})\n--- proxy stderr tail ---\n${this.err.text.slice(-3000)}`);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      resolve({ code, sig });
    }));
  }

  #onLine(line, t) {
    if (line.length === 0 || (line.length === 1 && line[0] === 0x0d)) return;
    let msg;
    try { msg = JSON.parse(line.toString('utf8')); } catch { this.badLines++; return; }
    if (msg.id !== undefined && msg.method === undefined) {
      const p = this.pending.get(msg.id);
      if (p) { this.pending.delete(msg.id); p.resolve({ msg, t, tp: now(), bytes: line.length }); return; }
    } else if (msg.id !== undefined && msg.method !== undefined) {
      // server -> client request (e.g. ping): answer so nothing stalls
      this.send(msg.method === 'ping' ? { jsonrpc: '2.0', id: msg.id, result: {} }
        : { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'not supported by bench' } });
      return;
    }
    this.otherMessages++;
  }

  send(obj) { this.proc.stdin.write(JSON.stringify(obj) + '\n'); }

  /** Sends a request; resolves {msg, t, tp, bytes, t1} (t1 = just before the write). Rejects on error/exit/timeout. */
  request(method, params, timeoutMs = 60000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} id ${id}: no response in ${timeoutMs} ms\n--- proxy stderr tail ---\n${this.err.text.slice(-3000)}`));
      }, timeoutMs);
      const t1 = now();
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          if (r.msg.error) reject(new Error(`${method}: ${JSON.stringify(r.msg.error)}`));
          else resolve({ ...r, t1 });
        },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.send({ jsonrpc: '2.0', id, method, ...(params !== undefined ? { params } : {}) });
    });
  }

  initialize(timeoutMs = 30000) {
    return this.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'mcp-remote-bench', version: '1.0.0' },
    }, timeoutMs);
  }

  initialized() { this.send({ jsonrpc: '2.0', method: 'notifications/initialized' }); }

  async callTool(name, args, timeoutMs) {
    const r = await this.request('tools/call', { name, arguments: args }, timeoutMs);
    return r;
  }

  stderr() { return this.err.text; }

  /** Close stdin (the documented shutdown), then SIGTERM/SIGKILL if it lingers. */
  async close(graceMs = 3000) {
    try { this.proc.stdin.end(); } catch { /* ignore */ }
    if (await waitExit(this.proc, graceMs)) return;
    await killProc(this.proc);
  }
}

// ------------------------------------------------------------------ direct SDK client
let sdk;
export async function loadSdk() {
  if (!sdk) {
    const { Client } = await importE2E('@modelcontextprotocol/sdk/client/index.js');
    const { StreamableHTTPClientTransport } = await importE2E('@modelcontextprotocol/sdk/client/streamableHttp.js');
    sdk = { Client, StreamableHTTPClientTransport };
  }
  return sdk;
}

/** Creates Client + StreamableHTTPClientTransport and connects. initMs: creation -> initialize response. */
export async function directConnect(url) {
  const { Client, StreamableHTTPClientTransport } = await loadSdk();
  const t0 = now();
  const client = new Client({ name: 'mcp-remote-bench', version: '1.0.0' }, { capabilities: {} });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  let tInit;
  // Protocol.connect() chains a pre-set onmessage, so this sees every incoming message first.
  transport.onmessage = (m) => {
    if (tInit === undefined && m && m.id !== undefined && m.result && m.result.protocolVersion) tInit = now();
  };
  await client.connect(transport, { timeout: 30000 });
  const tConnected = now();
  return {
    client,
    transport,
    initMs: (tInit ?? tConnected) - t0,
    connectMs: tConnected - t0,
    async close() {
      try { await transport.terminateSession(); } catch { /* ignore */ }
      try { await client.close(); } catch { /* ignore */ }
    },
  };
}

// ------------------------------------------------------------------ raw HTTP client (informational baseline)
/**
 * The leanest possible client in this process: Node's fetch straight to the server, no SDK
 * (no schema validation, no web-stream SSE parser). POST answers are read whole with text();
 * for an SSE answer the `data:` lines of the event carrying our id are joined and parsed.
 */
export class RawHttp {
  constructor(url) {
    this.url = url;
    this.headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    this.nextId = 1;
  }

  static parseBody(ctype, text, id) {
    if (!ctype.includes('text/event-stream')) return JSON.parse(text);
    for (const ev of text.split(/\r?\n\r?\n/)) {
      const data = ev.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(l[5] === ' ' ? 6 : 5)).join('\n');
      if (!data) continue;
      const msg = JSON.parse(data);
      if (msg.id === id) return msg;
    }
    throw new Error('no response event in SSE body');
  }

  async post(body) {
    const r = await fetch(this.url, { method: 'POST', headers: this.headers, body: JSON.stringify(body) });
    const text = await r.text();
    if (!r.ok) throw new Error(`HTTP ${r.status}: ${text.slice(0, 200)}`);
    return { r, text };
  }

  async request(method, params) {
    const id = this.nextId++;
    const { r, text } = await this.post({ jsonrpc: '2.0', id, method, ...(params !== undefined ? { params } : {}) });
    const msg = RawHttp.parseBody(r.headers.get('content-type') ?? '', text, id);
    if (msg.error) throw new Error(`${method}: ${JSON.stringify(msg.error)}`);
    return { msg, r };
  }

  async initialize() {
    const { msg, r } = await this.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'mcp-remote-bench-raw', version: '1.0.0' },
    });
    const sid = r.headers.get('mcp-session-id');
    if (sid) this.headers['mcp-session-id'] = sid;
    this.headers['mcp-protocol-version'] = msg.result.protocolVersion;
    await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return msg;
  }

  async close() {
    if (!this.headers['mcp-session-id']) return;
    try { await (await fetch(this.url, { method: 'DELETE', headers: this.headers, signal: AbortSignal.timeout(3000) })).text(); } catch { /* ignore */ }
  }
}

// ------------------------------------------------------------------ /proc
export function procStatus(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => {
      const m = s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'));
      return m ? Number(m[1]) : NaN;
    };
    return { VmHWM: kb('VmHWM'), VmRSS: kb('VmRSS'), threads: Number((s.match(/^Threads:\s+(\d+)/m) || [])[1]) };
  } catch {
    return { VmHWM: NaN, VmRSS: NaN, threads: NaN };
  }
}

/** utime+stime in clock ticks (1/100 s) from /proc/<pid>/stat, plus on-CPU ns summed over threads. */
export function procCpu(pid) {
  let ticks = NaN;
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime is field 14, stime field 15
    ticks = Number(rest[11]) + Number(rest[12]);
  } catch { /* gone */ }
  let ns = 0;
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try { ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch { /* thread gone */ }
    }
  } catch { ns = NaN; }
  return { ticks, ns };
}

// ------------------------------------------------------------------ statistics
export function sorted(a) { return [...a].sort((x, y) => x - y); }
/** Nearest-rank percentile (p in 0..100). */
export function pct(a, p) {
  if (!a.length) return NaN;
  const s = sorted(a);
  const k = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[k];
}
export function median(a) {
  const v = a.filter((x) => Number.isFinite(x));
  if (!v.length) return NaN;
  const s = sorted(v);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
