// Helpers shared by the fault-injection files (test/e2e/30-faults-*.test.mjs): the faulty server
// (test/fixtures/faulty-server.mjs), a raw proxy that keeps its stdout bytes, and the assertions
// every fault makes (the -32001 error shape, the proxy still serving, clean stdout).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO, spawnProxyRaw, exited, waitExit } from './lib.mjs';

export const FAULTY = path.join(REPO, 'test', 'fixtures', 'faulty-server.mjs');

const servers = new Set();

async function stopServer(proc) {
  if (exited(proc)) return;
  try { proc.kill('SIGTERM'); } catch { /* gone */ }
  if (await waitExit(proc, 2000)) return;
  try { proc.kill('SIGKILL'); } catch { /* gone */ }
  await waitExit(proc, 2000);
}

/** For afterEach: stop every faulty server started by startFaulty. */
export async function stopFaultyServers() {
  await Promise.all([...servers].map(stopServer));
  servers.clear();
}

/** Start faulty-server.mjs; returns {url, base, port, proc, stderr(), stats(), release(), stop()}. */
export async function startFaulty({ port: wanted } = {}) {
  const proc = spawn(process.execPath, [FAULTY, ...(wanted ? ['--port', String(wanted)] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  servers.add(proc);
  const err = { text: '' };
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { err.text += d; });
  proc.stdout.setEncoding('utf8');
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`faulty server not ready in 10 s\n${err.text}`)), 10000);
    proc.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/LISTENING (\d+)\n/);
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    });
    proc.once('exit', (c, s) => { clearTimeout(t); reject(new Error(`faulty server exited (${c ?? s})\n${err.text}`)); });
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    port,
    base,
    url: `${base}/mcp`,
    proc,
    stderr: () => err.text,
    stats: async () => (await fetch(`${base}/_stats`, { signal: AbortSignal.timeout(5000) })).json(),
    release: async () => (await fetch(`${base}/_release`, { method: 'POST', signal: AbortSignal.timeout(5000) })).json(),
    stop: () => stopServer(proc),
  };
}

/** Raw proxy + a copy of every stdout byte (to check the framing and the UTF-8). */
export function proxyWithBytes(url, flags = []) {
  const p = spawnProxyRaw(url, flags);
  const raw = [];
  p.proc.stdout.on('data', (b) => raw.push(Buffer.from(b)));
  p.stdoutBytes = () => Buffer.concat(raw);
  return p;
}

export function describe(p, extra = '') {
  return `${extra}\n--- host got ---\n${JSON.stringify(p.messages).slice(-3000)}\n--- bad lines ---\n${p.badLines.join('\n')}` +
    `\n--- proxy stderr (tail) ---\n${p.stderr().slice(-3000)}\n--- proxy exit ---\n${JSON.stringify({ code: p.proc.exitCode, signal: p.proc.signalCode })}`;
}

let nextId = 1000;
/** A fresh JSON-RPC id (shared with call(), so ids never repeat within a file). */
export function nextCallId() { return nextId++; }

/** Send tools/call `name`; resolves with the response message (result or error) within ms. */
export function call(p, name, args = {}, ms = 20000) {
  const id = nextId++;
  p.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
  return p.waitFor((m) => m.id === id && (m.result !== undefined || m.error !== undefined), ms, `tools/call ${name} (id ${id})`);
}

/** The proxy's error shape for a request it could not complete. */
export function assertProxyError(m, what) {
  assert.ok(m.error, `${what}: expected a JSON-RPC error, got ${JSON.stringify(m).slice(0, 500)}`);
  assert.equal(m.error.code, -32001, `${what}: error code -32001 (got ${JSON.stringify(m.error).slice(0, 500)})`);
  assert.match(String(m.error.message), /^mcp-remote: \S/, `${what}: message "mcp-remote: …" (got ${JSON.stringify(m.error.message)})`);
}

export async function assertStillServes(p, what) {
  assert.ok(!exited(p.proc), `${what}: proxy still running (exit ${JSON.stringify({ code: p.proc.exitCode, signal: p.proc.signalCode })})`);
  const r = await call(p, 'ok', { tag: 'after' }, 15000);
  assert.ok(r.result, `${what}: following ok call answered with a result: ${JSON.stringify(r).slice(0, 500)}`);
  assert.equal(r.result.content[0].text, 'ok: after');
}

export function assertCleanStdout(p, what) {
  assert.deepEqual(p.badLines, [], `${what}: every stdout line is JSON`);
  const bytes = p.stdoutBytes();
  assert.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes), `${what}: proxy stdout is valid UTF-8`);
  assert.ok(bytes.length === 0 || bytes[bytes.length - 1] === 0x0a, `${what}: stdout ends at a line boundary`);
}
