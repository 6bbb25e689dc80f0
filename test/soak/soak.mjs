#!/usr/bin/env node
// Bounded soak test: many `tools/call echo` through the native proxy against the fixture server
// (test/fixtures/server.mjs), a fixed number in flight, checking that nothing is lost, nothing
// leaks, and nothing is answered twice.
//
// Usage (normally via test/soak/run.sh, which adds a process-group guard):
//   scripts/node22 test/soak/soak.mjs [--modes json[,sse]] [--calls 100000] [--conc 32]
//        [--sample-every 5000] [--warmup 10000] [--time-limit 600] [--bin PATH]
//        [--out docs/soak.md] [--no-write] [--command "<how this run was started>"]
//   MCP_REMOTE_BIN overrides the default binary (build/mcp-remote); --bin overrides both.
//
// Per fixture mode: one fixture server and one proxy (raw newline-delimited JSON-RPC over stdio,
// initialize + notifications/initialized), then --calls echo calls with --conc in flight. Asserts:
//   - zero errors (JSON-RPC errors, wrong results, unparsable lines, unknown ids, proxy exit);
//   - every id answered exactly once;
//   - VmRSS flat after warm-up: sampled every --sample-every completed calls; the last sample must
//     be <= the first sample at or after --warmup calls + 2 MiB;
//   - the proxy's open file descriptors (/proc/<pid>/fd) after the calls settle (6 s, then one ping,
//     which makes libcurl prune the pooled connections the server closed) == before the calls.
// Hard time limit (--time-limit seconds for the whole run): when exceeded, everything started is
// stopped and the run fails. Every process started here is killed on every exit path.
// Prints a summary (stdout) and writes it to --out (Markdown). Exit 0 = all assertions passed.

import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, '..', '..');
const FIXTURE = path.join(REPO, 'test', 'fixtures', 'server.mjs');
const MiB = 1024 * 1024;

// ------------------------------------------------------------------ options
const opt = {
  modes: ['json'],
  calls: 100000,
  conc: 32,
  sampleEvery: 5000,
  warmup: 10000,
  timeLimitS: 600,
  bin: process.env.MCP_REMOTE_BIN ? path.resolve(process.env.MCP_REMOTE_BIN) : path.join(REPO, 'build', 'mcp-remote'),
  out: path.join(REPO, 'docs', 'soak.md'),
  write: true,
  command: `test/soak/soak.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  rssSlackBytes: 2 * MiB,
  fdSettleMs: 20000,
};
{
  const a = process.argv.slice(2);
  const num = (i) => {
    const v = Number(a[i]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`bad number for ${a[i - 1]}: ${a[i]}`);
    return v;
  };
  for (let i = 0; i < a.length; i++) {
    switch (a[i]) {
      case '--modes': case '--mode': opt.modes = a[++i].split(',').filter(Boolean); break;
      case '--calls': opt.calls = Math.floor(num(++i)); break;
      case '--conc': opt.conc = Math.floor(num(++i)); break;
      case '--sample-every': opt.sampleEvery = Math.floor(num(++i)); break;
      case '--warmup': opt.warmup = Math.floor(num(++i)); break;
      case '--time-limit': opt.timeLimitS = num(++i); break;
      case '--bin': opt.bin = path.resolve(a[++i]); break;
      case '--out': opt.out = path.resolve(a[++i]); break;
      case '--no-write': opt.write = false; break;
      case '--command': opt.command = a[++i]; break;
      default: throw new Error(`unknown argument ${a[i]}`);
    }
  }
  for (const m of opt.modes) if (!['json', 'sse'].includes(m)) throw new Error(`--modes: ${m} (json|sse)`);
  if (opt.warmup > opt.calls) opt.warmup = opt.calls;
}

const T0 = Date.now();
const deadline = T0 + opt.timeLimitS * 1000;
const log = (...a) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${a.join(' ')}\n`);
class TimeLimit extends Error {}
const remaining = () => deadline - Date.now();
function checkDeadline(what) {
  if (Date.now() > deadline) throw new TimeLimit(`hard time limit of ${opt.timeLimitS} s exceeded during ${what}`);
}

// ------------------------------------------------------------------ process registry / cleanup
const live = new Set();
const tmpDirs = new Set();
function track(proc) {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  return proc;
}
const exited = (p) => p.exitCode !== null || p.signalCode !== null;
function waitExit(proc, ms) {
  if (exited(proc)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => { proc.off('exit', on); resolve(false); }, ms);
    const on = () => { clearTimeout(t); resolve(true); };
    proc.once('exit', on);
  });
}
async function killProc(proc, graceMs = 2000) {
  if (exited(proc)) return;
  try { proc.kill('SIGTERM'); } catch { /* gone */ }
  if (await waitExit(proc, graceMs)) return;
  try { proc.kill('SIGKILL'); } catch { /* gone */ }
  await waitExit(proc, 2000);
}
function killAllSync() {
  for (const p of live) { try { p.kill('SIGKILL'); } catch { /* gone */ } }
  for (const d of tmpDirs) { try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* ignore */ } }
  tmpDirs.clear();
}
process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { log(`${sig}: stopping`); killAllSync(); process.exit(130); });
}
process.on('uncaughtException', (e) => { log(`uncaught: ${e.stack || e}`); killAllSync(); process.exit(1); });

// ------------------------------------------------------------------ /proc helpers
function procStatus(pid) {
  const out = {};
  const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  for (const k of ['VmRSS', 'VmHWM', 'Threads']) {
    const m = st.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'));
    if (m) out[k] = k === 'Threads' ? Number(m[1]) : Number(m[1]) * 1024;
  }
  return out;
}
const TCP_STATES = ['?', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE',
  'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING'];
function tcpSockets() {
  // inode -> "tcp STATE local -> remote" from /proc/net/tcp{,6}
  const map = new Map();
  const addr = (hex) => {
    const [h, p] = hex.split(':');
    const port = parseInt(p, 16);
    if (h.length === 8) return `${[3, 2, 1, 0].map((i) => parseInt(h.slice(i * 2, i * 2 + 2), 16)).join('.')}:${port}`;
    return `[v6]:${port}`;
  };
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = fs.readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 10) continue;
      map.set(c[9], `tcp ${TCP_STATES[parseInt(c[3], 16)] ?? c[3]} ${addr(c[1])} -> ${addr(c[2])}`);
    }
  }
  return map;
}
function fdList(pid) {
  const out = [];
  const tcp = tcpSockets();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let target = '?';
    try { target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { /* closed meanwhile */ }
    const m = target.match(/^socket:\[(\d+)\]$/);
    if (m && tcp.has(m[1])) target += ` ${tcp.get(m[1])}`;
    out.push(`${fd} -> ${target}`);
  }
  return out.sort((x, y) => parseInt(x, 10) - parseInt(y, 10));
}
const mib = (b) => (b / MiB).toFixed(2);

// ------------------------------------------------------------------ fixture + proxy
async function startFixture(mode) {
  const env = { ...process.env };
  delete env.PORT;
  const proc = track(spawn(process.execPath, [FIXTURE, '--mode', mode], { stdio: ['ignore', 'pipe', 'pipe'], env }));
  let err = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { err = (err + d).slice(-20000); });
  proc.stdout.setEncoding('utf8');
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => fin(new Error(`fixture not ready within 15 s\n${err}`)), 15000);
    const onData = (d) => { buf += d; const m = buf.match(/LISTENING (\d+)\n/); if (m) fin(null, Number(m[1])); };
    const onExit = (c, s) => fin(new Error(`fixture exited (${c ?? s})\n${err}`));
    function fin(e, v) { clearTimeout(t); proc.stdout.off('data', onData); proc.off('exit', onExit); if (e) reject(e); else resolve(v); }
    proc.stdout.on('data', onData);
    proc.once('exit', onExit);
  });
  return { proc, port, url: `http://127.0.0.1:${port}/mcp`, stderr: () => err };
}

class RawProxy {
  constructor(bin, url) {
    const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-soak-cfg-'));
    tmpDirs.add(cfg);
    const env = { ...process.env, MCP_REMOTE_CONFIG_DIR: cfg, BROWSER: '/bin/true' };
    delete env.NODE_OPTIONS;
    this.proc = track(spawn(bin, [url], { stdio: ['pipe', 'pipe', 'pipe'], env }));
    this.pid = this.proc.pid;
    this.err = '';
    this.errBytes = 0;
    this.badLines = [];
    this.onMessage = () => {};
    this.proc.stdin.on('error', () => {});
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (d) => { this.errBytes += d.length; this.err = (this.err + d).slice(-20000); });
    let chunks = [];
    this.proc.stdout.on('data', (buf) => {
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, start);
        if (nl === -1) break;
        chunks.push(buf.subarray(start, nl));
        const line = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
        chunks = [];
        start = nl + 1;
        if (line.trim() === '') continue;
        let msg;
        try { msg = JSON.parse(line); } catch { if (this.badLines.length < 20) this.badLines.push(line.slice(0, 300)); continue; }
        this.onMessage(msg, line);
      }
      if (start < buf.length) chunks.push(buf.subarray(start));
    });
  }
  send(obj) { this.proc.stdin.write(`${JSON.stringify(obj)}\n`); }
  async request(id, method, params, ms) {
    const prev = this.onMessage;
    try {
      return await new Promise((resolve, reject) => {
        const t = setTimeout(() => fin(new Error(`${method}: no answer within ${ms} ms\n${this.err.slice(-3000)}`)), ms);
        const onExit = (c, s) => fin(new Error(`proxy exited (${c ?? s}) during ${method}\n${this.err.slice(-3000)}`));
        this.onMessage = (m) => { if (m.id === id) fin(null, m); };
        const fin = (e, v) => { clearTimeout(t); this.proc.off('exit', onExit); if (e) reject(e); else resolve(v); };
        this.proc.once('exit', onExit);
        this.send({ jsonrpc: '2.0', id, method, params });
      });
    } finally {
      this.onMessage = prev;
    }
  }
}

// ------------------------------------------------------------------ one mode
async function soakMode(mode) {
  const r = {
    mode, calls: opt.calls, conc: opt.conc, ok: 0, errors: 0, errorSamples: [], unknownIds: 0, duplicates: 0,
    missing: 0, lateAnswers: 0, timeLimit: false, badLines: [], samples: [], fdStart: null, fdEnd: null, fdSeries: [], fdStartList: [], fdEndList: [],
    durationMs: 0, callsPerS: 0, proxyExit: null, aborted: null, checks: [], stderrBytes: 0, hwmEnd: null, threads: null,
  };
  log(`mode ${mode}: starting fixture`);
  const fx = await startFixture(mode);
  const px = new RawProxy(opt.bin, fx.url);
  let countMissing = null;
  try {
    const init = await px.request('soak-init', 'initialize', {
      protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'soak', version: '1.0.0' },
    }, 30000);
    if (init.error) throw new Error(`initialize failed: ${JSON.stringify(init.error)}`);
    px.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const first = await px.request('soak-first', 'tools/call', { name: 'echo', arguments: { message: 'first' } }, 30000);
    if (first.error || first.result?.content?.[0]?.text !== 'Echo: first') throw new Error(`first call failed: ${JSON.stringify(first)}`);
    await sleep(1000); // let start-up settle (standalone GET stream etc.)
    r.fdStartList = fdList(px.pid);
    r.fdStart = r.fdStartList.length;
    const s0 = procStatus(px.pid);
    r.samples.push({ calls: 0, rss: s0.VmRSS, hwm: s0.VmHWM });
    log(`mode ${mode}: proxy pid ${px.pid}, fds ${r.fdStart}, VmRSS ${mib(s0.VmRSS)} MiB; ${opt.calls} calls, ${opt.conc} in flight`);

    // --- the calls
    const answered = new Uint8Array(opt.calls);
    countMissing = () => { let n = 0; for (let i = 0; i < sent; i++) if (!answered[i]) n++; return n; };
    const BASE = 1000000; // ids BASE .. BASE+calls-1
    let sent = 0;
    let done = 0;
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      const sendNext = () => {
        const i = sent++;
        px.proc.stdin.write(`{"jsonrpc":"2.0","id":${BASE + i},"method":"tools/call","params":{"name":"echo","arguments":{"message":"m${i}"}}}\n`);
      };
      const fail = (e) => { fin(); reject(e); };
      const onExit = (c, s) => fail(new Error(`proxy exited (${c ?? s}) after ${done} answers\n${px.err.slice(-3000)}`));
      const timer = setInterval(() => {
        if (Date.now() > deadline) fail(new TimeLimit(`hard time limit of ${opt.timeLimitS} s exceeded after ${done}/${opt.calls} answers (mode ${mode})`));
      }, 250);
      // Stall guard: no answer for 30 s = something is stuck.
      let lastDone = -1;
      const stall = setInterval(() => {
        if (done === lastDone) fail(new Error(`no progress for 30 s at ${done}/${opt.calls} answers, ${sent - done} in flight\n${px.err.slice(-3000)}`));
        lastDone = done;
      }, 30000);
      function fin() { clearInterval(timer); clearInterval(stall); px.proc.off('exit', onExit); px.onMessage = onLate; }
      const onLate = (m) => {
        // Anything arriving after the run: a late duplicate or stray answer.
        if (m.id === undefined || m.method !== undefined) return;
        const i = typeof m.id === 'number' ? m.id - BASE : -1;
        if (i >= 0 && i < sent && answered[i]) { r.duplicates++; if (answered[i] < 255) answered[i]++; }
        else if (i >= 0 && i < sent) { answered[i] = 1; r.lateAnswers++; } // in flight when the run stopped
        else r.unknownIds++;
      };
      px.proc.once('exit', onExit);
      px.onMessage = (m) => {
        if (m.method !== undefined) return; // server notification / request: not counted
        const i = typeof m.id === 'number' ? m.id - BASE : -1;
        if (!(i >= 0 && i < opt.calls && i < sent)) {
          r.unknownIds++;
          if (r.errorSamples.length < 10) r.errorSamples.push(`unknown id: ${JSON.stringify(m).slice(0, 300)}`);
          return;
        }
        if (answered[i]) {
          r.duplicates++;
          if (answered[i] < 255) answered[i]++;
          if (r.errorSamples.length < 10) r.errorSamples.push(`duplicate answer for id ${m.id}: ${JSON.stringify(m).slice(0, 300)}`);
          return;
        }
        answered[i] = 1;
        done++;
        if (m.error || m.result?.content?.[0]?.text !== `Echo: m${i}`) {
          r.errors++;
          if (r.errorSamples.length < 10) r.errorSamples.push(JSON.stringify(m).slice(0, 300));
        } else {
          r.ok++;
        }
        if (done % opt.sampleEvery === 0) {
          const s = procStatus(px.pid);
          r.samples.push({ calls: done, rss: s.VmRSS, hwm: s.VmHWM, t: performance.now() - t0 });
          if (done % (opt.sampleEvery * 4) === 0) log(`mode ${mode}: ${done} answered, VmRSS ${mib(s.VmRSS)} MiB, ${(done / ((performance.now() - t0) / 1000)).toFixed(0)} calls/s`);
        }
        if (sent < opt.calls) sendNext();
        else if (done === opt.calls) { fin(); resolve(); }
      };
      for (let k = 0; k < Math.min(opt.conc, opt.calls); k++) sendNext();
    });
    r.durationMs = performance.now() - t0;
    r.callsPerS = opt.calls / (r.durationMs / 1000);
    r.missing = countMissing() + (opt.calls - sent);

    // --- settle: fds back to the start count (bounded), late answers counted meanwhile.
    // libcurl keeps finished connections in its pool and notices that the server closed one
    // (Node's keep-alive timeout is 5 s) only when the next request looks for a connection; so
    // after 6 s one `ping` goes through, as a host's next message would, and then the count must
    // be back where it started.
    const settleStart = Date.now();
    const settleUntil = Math.min(settleStart + opt.fdSettleMs, deadline - 5000);
    await sleep(6000);
    r.fdBeforePing = fs.readdirSync(`/proc/${px.pid}/fd`).length;
    const pong = await px.request('soak-ping', 'ping', {}, 30000);
    if (pong.error) throw new Error(`ping after the run failed: ${JSON.stringify(pong.error)}`);
    for (;;) {
      const n = fs.readdirSync(`/proc/${px.pid}/fd`).length;
      r.fdSeries.push({ ms: Date.now() - settleStart, fds: n });
      if ((n === r.fdStart && Date.now() - settleStart >= 1000) || Date.now() >= settleUntil) break;
      await sleep(500);
    }
    r.fdEndList = fdList(px.pid);
    r.fdEnd = r.fdEndList.length;
    const sEnd = procStatus(px.pid);
    r.afterSettle = { rss: sEnd.VmRSS, hwm: sEnd.VmHWM };
    r.threads = sEnd.Threads;
    r.badLines = px.badLines;
    r.stderrBytes = px.errBytes;
    r.stderrTail = px.err.slice(-1500);
  } catch (e) {
    r.timeLimit = e instanceof TimeLimit;
    r.aborted = r.timeLimit ? `TIME LIMIT: ${e.message}` : `${e.message}`;
    if (countMissing) { await sleep(500); r.missing = countMissing(); } // sent but never answered (after a short grace)
    log(`mode ${mode}: ABORTED: ${e.message}`);
  } finally {
    // EOF on stdin = the proxy's normal shutdown; then make sure of it.
    try { px.proc.stdin.end(); } catch { /* gone */ }
    const ok = await waitExit(px.proc, 5000);
    r.proxyExit = ok ? `code ${px.proc.exitCode ?? px.proc.signalCode} after stdin EOF` : 'did not exit within 5 s of stdin EOF (killed)';
    await killProc(px.proc);
    await killProc(fx.proc);
  }

  // --- checks
  const chk = (name, pass, detail) => r.checks.push({ name, pass: !!pass, detail });
  if (r.aborted) chk('run completed', false, r.aborted);
  chk('zero errors', r.errors === 0 && r.badLines.length === 0 && r.unknownIds === 0,
    `${r.errors} error/wrong answers, ${r.badLines.length} unparsable lines, ${r.unknownIds} unknown ids`);
  chk('every id answered exactly once', !r.aborted && r.missing === 0 && r.duplicates === 0,
    `${r.aborted ? `run aborted (${r.lateAnswers} answers arrived after the stop); sent but unanswered: ` : ''}${r.missing} missing, ${r.duplicates} duplicate answers`);
  const warm = r.samples.find((s) => s.calls >= opt.warmup && s.calls > 0);
  const last = r.samples[r.samples.length - 1];
  if (warm && last && last.calls === opt.calls) {
    chk(`VmRSS flat after warm-up (last <= sample at ${warm.calls} calls + ${mib(opt.rssSlackBytes)} MiB)`,
      last.rss <= warm.rss + opt.rssSlackBytes,
      `${mib(warm.rss)} MiB at ${warm.calls} calls -> ${mib(last.rss)} MiB at ${last.calls} calls (${last.rss - warm.rss >= 0 ? '+' : ''}${((last.rss - warm.rss) / 1024).toFixed(0)} KiB)`);
  } else {
    chk('VmRSS flat after warm-up', false, 'not enough samples (run incomplete)');
  }
  chk('open fds after settle == at start', r.fdEnd !== null && r.fdEnd === r.fdStart,
    `${r.fdStart} at start, ${r.fdEnd} after settle (${r.fdSeries.map((x) => `${x.fds}@${x.ms}ms`).join(' ')})`);
  r.pass = r.checks.every((c) => c.pass);
  return r;
}

// ------------------------------------------------------------------ report
function machine() {
  const cpus = os.cpus();
  let uname = `${os.type()} ${os.release()} ${os.arch()}`;
  try { uname = execFileSync('uname', ['-srvm'], { encoding: 'utf8' }).trim(); } catch { /* keep */ }
  return {
    cpus: cpus.length,
    model: cpus[0]?.model?.trim() ?? '?',
    ramGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    uname,
    load: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}
function binInfo(bin) {
  try {
    const buf = fs.readFileSync(bin);
    const st = fs.statSync(bin);
    return { sha: crypto.createHash('sha256').update(buf).digest('hex').slice(0, 16), mtime: st.mtime.toISOString() };
  } catch { return { sha: '?', mtime: '?' }; }
}
function gitHead() {
  try {
    const head = execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', REPO, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() ? ' (with uncommitted changes)' : '';
    return head + dirty;
  } catch { return '?'; }
}

function report(results, m0, m1, started, totalMs) {
  const b = binInfo(opt.bin);
  const relBin = path.relative(REPO, opt.bin).startsWith('..') ? opt.bin : path.relative(REPO, opt.bin);
  const L = [];
  const allPass = results.every((r) => r.pass) && results.length === opt.modes.length;
  L.push('# Soak test: native mcp-remote under sustained load');
  L.push('');
  L.push(`**Result: ${allPass ? 'PASS' : 'FAIL'}**`);
  L.push('');
  L.push(`Run ${started.toISOString()} (${(totalMs / 1000).toFixed(1)} s in all; hard limit ${opt.timeLimitS} s). Machine: ${m0.cpus} CPUs (${m0.model}), ${m0.ramGiB} GiB RAM, \`${m0.uname}\`; load average ${m0.load} at the start, ${m1.load} at the end.`);
  L.push('');
  L.push(`Binary: \`${relBin}\` (sha256 ${b.sha}…, built ${b.mtime}), repo HEAD ${gitHead()}; driver Node ${process.version}; fixture \`test/fixtures/server.mjs\` (@modelcontextprotocol/sdk server, 127.0.0.1).`);
  L.push('');
  L.push(`Command: \`${opt.command}\``);
  L.push('');
  L.push(`Method: per fixture mode, one fixture server and one proxy; the driver speaks raw newline-delimited JSON-RPC on the proxy's stdio (initialize, notifications/initialized, one warm call, 1 s settle), then ${opt.calls.toLocaleString('en-US')} \`tools/call echo\` (message \`m<i>\`, numeric ids) with ${opt.conc} in flight (a new call is written as each answer arrives). Every answer is checked (id known, not seen before, result text \`Echo: m<i>\`). VmRSS/VmHWM from /proc/<pid>/status every ${opt.sampleEvery.toLocaleString('en-US')} answers; the RSS check compares the last sample with the first sample at or after ${opt.warmup.toLocaleString('en-US')} calls (warm-up), allowing ${mib(opt.rssSlackBytes)} MiB. Open fds = entries of /proc/<pid>/fd, before the calls and after they settle: 6 s (past the fixture's 5 s keep-alive timeout, so the server has closed the pooled connections), then one \`ping\` through the proxy (libcurl drops the closed connections from its pool when the next request looks for one; an idle proxy keeps them, in CLOSE_WAIT, until then), then polled up to ${opt.fdSettleMs / 1000} s. Then stdin EOF (the proxy's normal shutdown).`);
  L.push('');
  for (const r of results) {
    L.push(`## Fixture \`--mode ${r.mode}\`: ${r.pass ? 'PASS' : 'FAIL'}`);
    L.push('');
    L.push('| Figure | Value |');
    L.push('|---|---:|');
    L.push(`| Calls (answered ok / errors) | ${r.ok.toLocaleString('en-US')} / ${r.errors} |`);
    L.push(`| In flight | ${r.conc} |`);
    L.push(`| Duration of the calls | ${(r.durationMs / 1000).toFixed(1)} s |`);
    L.push(`| Throughput | ${r.callsPerS.toFixed(0)} calls/s |`);
    L.push(`| Missing / duplicate / unknown-id answers | ${r.missing} / ${r.duplicates} / ${r.unknownIds} |`);
    L.push(`| Open fds at start / 6 s after the calls / after one more request | ${r.fdStart ?? '—'} / ${r.fdBeforePing ?? '—'} / ${r.fdEnd ?? '—'} |`);
    const s0 = r.samples[0];
    const sl = r.samples[r.samples.length - 1];
    if (s0) L.push(`| VmRSS at start / after the last call / after settle (MiB) | ${mib(s0.rss)} / ${sl ? mib(sl.rss) : '—'} / ${r.afterSettle ? mib(r.afterSettle.rss) : '—'} |`);
    if (sl) L.push(`| VmHWM (peak RSS) at the end (MiB) | ${mib(r.afterSettle?.hwm ?? sl.hwm)} |`);
    if (r.threads !== null) L.push(`| Threads at the end | ${r.threads} |`);
    L.push(`| Proxy stderr | ${r.stderrBytes} bytes |`);
    L.push(`| Proxy exit | ${r.proxyExit ?? '—'} |`);
    L.push('');
    L.push('Checks:');
    L.push('');
    for (const c of r.checks) L.push(`- ${c.pass ? 'PASS' : '**FAIL**'}: ${c.name}: ${c.detail}`);
    L.push('');
    L.push(`VmRSS series (MiB, every ${opt.sampleEvery.toLocaleString('en-US')} answers; 0 = before the calls):`);
    L.push('');
    L.push('| Answers | ' + r.samples.map((s) => s.calls.toLocaleString('en-US')).join(' | ') + ' |');
    L.push('|---|' + r.samples.map(() => '---:').join('|') + '|');
    L.push('| VmRSS | ' + r.samples.map((s) => mib(s.rss)).join(' | ') + ' |');
    L.push('| VmHWM | ' + r.samples.map((s) => mib(s.hwm)).join(' | ') + ' |');
    L.push('');
    if (r.fdStart !== r.fdEnd) {
      L.push('Open fds at start:');
      L.push('```');
      L.push(...r.fdStartList);
      L.push('```');
      L.push('Open fds after settle:');
      L.push('```');
      L.push(...r.fdEndList);
      L.push('```');
      L.push('');
    }
    if (r.errorSamples.length || r.badLines.length) {
      L.push('First problem answers:');
      L.push('```');
      L.push(...r.errorSamples, ...r.badLines.map((l) => `unparsable: ${l}`));
      L.push('```');
      L.push('');
    }
    if (r.aborted) {
      L.push(`Aborted: ${r.aborted.split('\n')[0]}`);
      L.push('');
    }
  }
  return { text: L.join('\n'), allPass };
}

// ------------------------------------------------------------------ main
async function main() {
  if (!fs.existsSync(opt.bin)) throw new Error(`proxy binary ${opt.bin} not found (build it, or set MCP_REMOTE_BIN / --bin)`);
  const started = new Date();
  const m0 = machine();
  log(`binary ${opt.bin}; modes ${opt.modes.join(',')}; ${opt.calls} calls x ${opt.conc} in flight; time limit ${opt.timeLimitS} s`);
  const results = [];
  for (const mode of opt.modes) {
    if (remaining() < 10000) { log(`skipping mode ${mode}: time limit`); break; }
    results.push(await soakMode(mode));
  }
  const m1 = machine();
  const { text, allPass } = report(results, m0, m1, started, Date.now() - T0);
  process.stdout.write(`${text}\n`);
  if (opt.write) {
    fs.mkdirSync(path.dirname(opt.out), { recursive: true });
    fs.writeFileSync(opt.out, `${text}\n`);
    log(`wrote ${path.relative(process.cwd(), opt.out) || opt.out}`);
  }
  log(allPass ? 'PASS' : 'FAIL');
  if (allPass) return 0;
  return results.some((r) => r.timeLimit) || results.length < opt.modes.length ? 124 : 1;
}

// A last-resort guard independent of the event loop's progress.
const hard = setTimeout(() => { log(`hard time limit of ${opt.timeLimitS} s (+15 s grace) exceeded: killing everything`); killAllSync(); process.exit(124); }, opt.timeLimitS * 1000 + 15000);
hard.unref();

main().then((code) => { killAllSync(); process.exit(code); }, (e) => { log(`FAILED: ${e.stack || e}`); killAllSync(); process.exit(2); });
