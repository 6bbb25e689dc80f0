#!/usr/bin/env node
// Benchmark: direct SDK client (A) vs npm mcp-remote 0.15.1 (B) vs the native mcp-remote (C),
// all against the same local fixture MCP server (test/fixtures/server.mjs), in one run.
// A0 (raw fetch, no SDK) is an informational baseline: the leanest client in this process.
// Normally started by bench/run.sh, which bounds the run time and stops every process.
//
// Usage: node22 bench/bench.mjs [--modes sse[,json]] [--ours build/mcp-remote] [--out docs/benchmark.md]
//          [--rounds 3] [--budget-s 270] [--startup 10] [--warmup 200] [--calls 2000]
//          [--thr-calls 4000] [--conc 32] [--big-bytes 10485760] [--big-reps 9] [--idle-s 10]
//          [--keep-env] [--quick] [--no-write] [--command "<how this run was started>"]
//
// --rounds is the maximum number of latency+throughput rounds; rounds after the first are run
// only while the estimated finish stays within --budget-s (the machine may be loaded).
// Results: a Markdown report on stdout and in --out; progress on stderr.

import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  REPO, NPM_PROXY_JS, RawHttp, RawProxy, cleanupAll, directConnect, killAllSync, loadSdk, log, median,
  now, pct, pkgVersion, procCpu, procStatus, sleep, startFixture, tmpDir,
} from './lib.mjs';

// ------------------------------------------------------------------ options
const opt = {
  modes: ['sse'],
  ours: path.join(REPO, 'build', 'mcp-remote'),
  out: path.join(REPO, 'docs', 'benchmark.md'),
  rounds: 3,
  budgetS: 270,
  startup: 10,
  warmup: 200,
  calls: 2000,
  thrCalls: 4000,
  conc: 32,
  bigBytes: 10 * 1024 * 1024,
  bigReps: 9,
  idleS: 10,
  keepEnv: false,
  write: true,
  command: `node bench/bench.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  notes: [],
};
{
  const a = process.argv.slice(2);
  const num = (i) => {
    const v = Number(a[i]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`bad number for ${a[i - 1]}: ${a[i]}`);
    return v;
  };
  for (let i = 0; i < a.length; i++) {
    switch (a[i]) {
      case '--modes': opt.modes = a[++i].split(',').filter(Boolean); break;
      case '--ours': opt.ours = path.resolve(a[++i]); break;
      case '--out': opt.out = path.resolve(a[++i]); break;
      case '--rounds': opt.rounds = Math.max(1, num(++i)); break;
      case '--budget-s': opt.budgetS = num(++i); break;
      case '--startup': opt.startup = Math.max(1, num(++i)); break;
      case '--warmup': opt.warmup = num(++i); break;
      case '--calls': opt.calls = Math.max(1, num(++i)); break;
      case '--thr-calls': opt.thrCalls = Math.max(1, num(++i)); break;
      case '--conc': opt.conc = Math.max(1, num(++i)); break;
      case '--big-bytes': opt.bigBytes = num(++i); break;
      case '--big-reps': opt.bigReps = Math.max(1, num(++i)); break;
      case '--idle-s': opt.idleS = num(++i); break;
      case '--keep-env': opt.keepEnv = true; break;
      case '--no-write': opt.write = false; break;
      case '--command': opt.command = a[++i]; break;
      case '--note': opt.notes.push(a[++i]); break;
      case '--quick': Object.assign(opt, { rounds: 1, startup: 3, warmup: 50, calls: 300, thrCalls: 600, bigReps: 2, idleS: 3 }); break;
      default: throw new Error(`unknown argument ${a[i]}`);
    }
  }
  for (const m of opt.modes) if (!['sse', 'json'].includes(m)) throw new Error(`--modes: ${m} (sse|json)`);
}

// ------------------------------------------------------------------ cleanup on every exit path
let stopping = false;
async function stopAndExit(code, why) {
  if (stopping) return;
  stopping = true;
  if (why) log(why);
  await cleanupAll().catch(() => {});
  process.exit(code);
}
process.on('SIGINT', () => stopAndExit(130, 'SIGINT: stopping all child processes'));
process.on('SIGTERM', () => stopAndExit(143, 'SIGTERM: stopping all child processes'));
process.on('SIGHUP', () => stopAndExit(129, 'SIGHUP: stopping all child processes'));
process.on('exit', killAllSync);
process.on('unhandledRejection', (e) => stopAndExit(1, `unhandled rejection: ${e?.stack ?? e}`));
process.on('uncaughtException', (e) => stopAndExit(1, `uncaught exception: ${e?.stack ?? e}`));

// ------------------------------------------------------------------ targets
const NODE = process.execPath; // the Node 22 binary (scripts/node22 execs exactly this)
if (!fs.existsSync(opt.ours)) throw new Error(`${opt.ours} not found (build it: ninja -C build)`);
if (!fs.existsSync(NPM_PROXY_JS)) throw new Error(`${NPM_PROXY_JS} not found (run scripts/setup-node.sh)`);

// Measure a private snapshot of the binary: build/ is shared, and a concurrent rebuild must not
// swap (or half-write) the executable in the middle of a run.
const OURS_SRC = opt.ours;
opt.oursSource = OURS_SRC;
const OURS_SHA = crypto.createHash('sha256').update(fs.readFileSync(OURS_SRC)).digest('hex').slice(0, 16);
const OURS_MTIME = fs.statSync(OURS_SRC).mtime;
opt.ours = path.join(tmpDir('mcp-bench-bin-'), 'mcp-remote');
fs.copyFileSync(OURS_SRC, opt.ours);
fs.chmodSync(opt.ours, 0o755);
const oursName = path.relative(REPO, OURS_SRC).startsWith('..') ? OURS_SRC : path.relative(REPO, OURS_SRC);

const cfgB = tmpDir('mcp-bench-cfg-npm-');
const cfgC = tmpDir('mcp-bench-cfg-ours-');
// This machine exports NODE_EXTRA_CA_CERTS=<the whole system bundle>, which a typical host does
// not; both proxies honour it (ours parses it at start). It is removed from the proxies'
// environment unless --keep-env; the start-up phase measures both variants.
const SYSTEM_BUNDLE = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'].find((f) => fs.existsSync(f));
const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS || SYSTEM_BUNDLE;
const proxyEnv = (cfg, { withCa = false } = {}) => {
  const env = { ...process.env, MCP_REMOTE_CONFIG_DIR: cfg, BROWSER: '/bin/true' };
  delete env.NODE_OPTIONS;
  if (!opt.keepEnv) delete env.NODE_EXTRA_CA_CERTS;
  if (withCa && EXTRA_CA) env.NODE_EXTRA_CA_CERTS = EXTRA_CA;
  return env;
};

const TARGETS = [
  { key: 'A', label: 'A: direct SDK client', short: 'direct', kind: 'direct' },
  { key: 'B', label: `B: npm mcp-remote ${pkgVersion('mcp-remote')}`, short: 'npm', kind: 'proxy', cmd: NODE, args: (url) => [NPM_PROXY_JS, url], cfg: cfgB },
  { key: 'C', label: 'C: ours (native)', short: 'ours', kind: 'proxy', cmd: opt.ours, args: (url) => [url], cfg: cfgC },
  { key: 'A0', label: 'A0: raw fetch, no SDK (info)', short: 'raw', kind: 'raw' },
];
const T = Object.fromEntries(TARGETS.map((t) => [t.key, t]));
const PROXIES = TARGETS.filter((t) => t.kind === 'proxy');
const rot = (arr, k) => arr.map((_, i) => arr[(i + k) % arr.length]);

// A connected session with a uniform interface: echo() -> ms, big(bytes) -> {ms,...}, close().
async function openSession(t, url) {
  if (t.kind === 'direct') {
    const d = await directConnect(url);
    await d.client.listTools();
    return {
      t,
      async echo() {
        const t1 = now();
        const r = await d.client.callTool({ name: 'echo', arguments: { message: 'ping' } });
        const t2 = now();
        if (r.content?.[0]?.text !== 'Echo: ping') throw new Error(`direct echo: ${JSON.stringify(r).slice(0, 200)}`);
        return t2 - t1;
      },
      async big(bytes) {
        const t1 = now();
        const r = await d.client.callTool({ name: 'big', arguments: { bytes } }, undefined, { timeout: 120000 });
        const t2 = now();
        const len = r.content?.[0]?.text?.length;
        if (len !== bytes) throw new Error(`direct big: got ${len} bytes of text, want ${bytes}`);
        return { ms: t2 - t1 };
      },
      close: () => d.close(),
    };
  }
  if (t.kind === 'raw') {
    const h = new RawHttp(url);
    await h.initialize();
    return {
      t,
      async echo() {
        const t1 = now();
        const { msg } = await h.request('tools/call', { name: 'echo', arguments: { message: 'ping' } });
        const t2 = now();
        if (msg.result?.content?.[0]?.text !== 'Echo: ping') throw new Error(`raw echo: ${JSON.stringify(msg).slice(0, 200)}`);
        return t2 - t1;
      },
      async big(bytes) {
        const t1 = now();
        const { msg } = await h.request('tools/call', { name: 'big', arguments: { bytes } });
        const t2 = now();
        const len = msg.result?.content?.[0]?.text?.length;
        if (len !== bytes) throw new Error(`raw big: got ${len} bytes of text, want ${bytes}`);
        return { ms: t2 - t1 };
      },
      close: () => h.close(),
    };
  }
  const p = new RawProxy(t.cmd, t.args(url), proxyEnv(t.cfg));
  await p.initialize(45000);
  p.initialized();
  await p.request('tools/list', {}, 30000);
  return {
    t,
    pid: p.pid,
    async echo() {
      const r = await p.callTool('echo', { message: 'ping' }, 30000);
      if (r.msg.result?.content?.[0]?.text !== 'Echo: ping') throw new Error(`${t.short} echo: ${JSON.stringify(r.msg).slice(0, 200)}`);
      return r.tp - r.t1;
    },
    async big(bytes) {
      const r = await p.callTool('big', { bytes }, 120000);
      const len = r.msg.result?.content?.[0]?.text?.length;
      if (len !== bytes) throw new Error(`${t.short} big: got ${len} bytes of text, want ${bytes}`);
      // ms: send -> line parsed (used in the table: the SDK client parses too);
      // lineMs: send -> last chunk of the line arrived (before JSON.parse)
      return { ms: r.tp - r.t1, lineMs: r.t - r.t1, lineBytes: r.bytes };
    },
    close: () => p.close(),
  };
}

// ------------------------------------------------------------------ phases
async function startupOnce(t, url, { withCa = false } = {}) {
  if (t.kind === 'direct') {
    const d = await directConnect(url);
    const ms = d.initMs;
    await d.close();
    return { ms };
  }
  if (t.kind === 'raw') {
    const t0 = now();
    const h = new RawHttp(url);
    const { r } = await h.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } });
    const ms = now() - t0;
    const sid = r.headers.get('mcp-session-id');
    if (sid) h.headers['mcp-session-id'] = sid;
    await h.close();
    return { ms };
  }
  const p = new RawProxy(t.cmd, t.args(url), proxyEnv(t.cfg, { withCa }));
  try {
    const r = await p.initialize(45000);
    return { ms: r.t - p.t0, hwmKiB: procStatus(p.pid).VmHWM };
  } finally {
    await p.close();
  }
}

async function latency(s) {
  for (let i = 0; i < opt.warmup; i++) await s.echo();
  const lat = new Array(opt.calls);
  for (let i = 0; i < opt.calls; i++) lat[i] = await s.echo();
  return { p50: pct(lat, 50), p99: pct(lat, 99), mean: lat.reduce((x, y) => x + y, 0) / lat.length, max: Math.max(...lat) };
}

async function throughput(s) {
  let issued = 0;
  const worker = async () => {
    while (issued < opt.thrCalls) {
      issued++;
      await s.echo();
    }
  };
  const t1 = now();
  await Promise.all(Array.from({ length: Math.min(opt.conc, opt.thrCalls) }, worker));
  const ms = now() - t1;
  return { callsPerS: (opt.thrCalls / ms) * 1000, ms };
}

// With --expose-gc (bench/run.sh passes it), collect this process's garbage before each timed
// phase, so a GC of an earlier phase's 10 MB strings does not land inside the next measurement.
const gcNow = () => { if (typeof globalThis.gc === 'function') globalThis.gc(); };

const cpuOf = (pid) => (pid ? procCpu(pid) : { ticks: NaN, ns: NaN });
const cpuDelta = (a, b) => ({ ticks: b.ticks - a.ticks, ms: (b.ns - a.ns) / 1e6 });

const runStart = now();
async function runMode(mode, deadline) {
  const R = { mode, startup: {}, startupCa: {}, rounds: [], big: {}, mem: {}, idle: {}, cpu: {}, roundsSkipped: 0 };
  for (const t of TARGETS) {
    R.startup[t.key] = [];
    R.startupCa[t.key] = [];
    R.big[t.key] = [];
    R.mem[t.key] = {};
    R.cpu[t.key] = { lat: [], thr: [], big: [] };
  }
  R.cpu.server = { lat: {}, thr: {} };
  log(`mode ${mode}: starting fixture`);
  const fx = await startFixture(mode);
  R.url = fx.url;
  await loadSdk();
  const S = {};
  try {
    // 1. start-up, interleaved, the order rotated every iteration
    log(`mode ${mode}: start-up x${opt.startup}`);
    for (let i = 0; i < opt.startup; i++) {
      for (const t of rot(TARGETS, i)) {
        R.startup[t.key].push(await startupOnce(t, fx.url));
        await sleep(30);
      }
    }
    const nCa = Math.ceil(opt.startup / 2);
    if (EXTRA_CA) {
      log(`mode ${mode}: start-up with NODE_EXTRA_CA_CERTS x${nCa}`);
      for (let i = 0; i < nCa; i++) {
        for (const t of rot(PROXIES, i)) {
          R.startupCa[t.key].push(await startupOnce(t, fx.url, { withCa: true }));
          await sleep(30);
        }
      }
    }

    // long-lived sessions
    for (const t of TARGETS) S[t.key] = await openSession(t, fx.url);
    await sleep(500);
    for (const t of PROXIES) R.mem[t.key].init = procStatus(S[t.key].pid);

    // 2. + 3. latency and throughput, rounds with the order rotated; later rounds only in budget
    const reserveS = opt.bigReps * 3 + opt.idleS + 6; // big phase + idle + closing, generous
    for (let r = 0; r < opt.rounds; r++) {
      if (r > 0) {
        const perRound = (now() - R.roundsStart) / r;
        if (now() + perRound + reserveS * 1000 > deadline) {
          R.roundsSkipped = opt.rounds - r;
          log(`mode ${mode}: skipping ${R.roundsSkipped} round(s) to stay within the time budget`);
          break;
        }
      } else {
        R.roundsStart = now();
      }
      const round = { order: [], lat: {}, thr: {} };
      for (const t of rot(TARGETS, r)) {
        round.order.push(t.key);
        log(`mode ${mode}: round ${r + 1}/${opt.rounds} latency ${t.short}`);
        gcNow();
        let c0 = cpuOf(S[t.key].pid);
        let f0 = cpuOf(fx.pid);
        round.lat[t.key] = await latency(S[t.key]);
        R.cpu[t.key].lat.push(cpuDelta(c0, cpuOf(S[t.key].pid)));
        (R.cpu.server.lat[t.key] ??= []).push(cpuDelta(f0, cpuOf(fx.pid)));
        log(`mode ${mode}: round ${r + 1}/${opt.rounds} throughput ${t.short}`);
        gcNow();
        c0 = cpuOf(S[t.key].pid);
        f0 = cpuOf(fx.pid);
        round.thr[t.key] = await throughput(S[t.key]);
        R.cpu[t.key].thr.push(cpuDelta(c0, cpuOf(S[t.key].pid)));
        (R.cpu.server.thr[t.key] ??= []).push(cpuDelta(f0, cpuOf(fx.pid)));
      }
      R.rounds.push(round);
    }
    for (const t of PROXIES) R.mem[t.key].afterLatThr = procStatus(S[t.key].pid);

    // 4. big result, interleaved
    for (let i = 0; i < opt.bigReps; i++) {
      for (const t of rot(TARGETS, i)) {
        log(`mode ${mode}: big ${i + 1}/${opt.bigReps} ${t.short}`);
        gcNow();
        await sleep(50);
        const c0 = cpuOf(S[t.key].pid);
        R.big[t.key].push(await S[t.key].big(opt.bigBytes));
        R.cpu[t.key].big.push(cpuDelta(c0, cpuOf(S[t.key].pid)));
        await sleep(100);
      }
    }
    for (const t of PROXIES) R.mem[t.key].afterBig = procStatus(S[t.key].pid);

    // 6. idle: every proxy connected and idle over the same window
    log(`mode ${mode}: idle ${opt.idleS} s`);
    await sleep(1000);
    const i0 = Object.fromEntries(PROXIES.map((t) => [t.key, cpuOf(S[t.key].pid)]));
    await sleep(opt.idleS * 1000);
    for (const t of PROXIES) {
      R.idle[t.key] = cpuDelta(i0[t.key], cpuOf(S[t.key].pid));
      R.mem[t.key].afterIdle = procStatus(S[t.key].pid);
    }
  } finally {
    for (const s of Object.values(S)) await s.close().catch(() => {});
    await fx.stop();
  }
  delete R.roundsStart;
  return R;
}

// ------------------------------------------------------------------ report
const f1 = (x) => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2)) : 'n/a');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const fx3 = (x) => (Number.isFinite(x) ? (Math.abs(x) >= 0.1 ? x.toFixed(2) : x.toFixed(3)) : 'n/a');
const mib = (kib) => (Number.isFinite(kib) ? (kib / 1024).toFixed(1) : 'n/a');
const pf = (ok) => (ok === undefined ? '' : ok ? '**PASS**' : '**FAIL**');
const ratio = (x, y) => (Number.isFinite(x) && Number.isFinite(y) && y !== 0 ? `${fx3(x / y)}×` : 'n/a');

function summarize(R) {
  const K = TARGETS.map((t) => t.key);
  const per = (fn) => Object.fromEntries(K.map((k) => [k, fn(k)]));
  return {
    startup: per((k) => median(R.startup[k].map((x) => x.ms))),
    startupCa: per((k) => median(R.startupCa[k].map((x) => x.ms))),
    p50: per((k) => median(R.rounds.map((r) => r.lat[k].p50))),
    p99: per((k) => median(R.rounds.map((r) => r.lat[k].p99))),
    thr: per((k) => median(R.rounds.map((r) => r.thr[k].callsPerS))),
    big: per((k) => median(R.big[k].map((x) => x.ms))),
    cpuLat: per((k) => median(R.cpu[k].lat.map((c) => (c.ms / (opt.warmup + opt.calls)) * 1000))),
    cpuThr: per((k) => median(R.cpu[k].thr.map((c) => (c.ms / opt.thrCalls) * 1000))),
    cpuBig: per((k) => median(R.cpu[k].big.map((c) => c.ms))),
    srvLat: per((k) => median((R.cpu.server.lat[k] ?? []).map((c) => c.ms / (opt.warmup + opt.calls)))),
    srvThr: per((k) => median((R.cpu.server.thr[k] ?? []).map((c) => c.ms / opt.thrCalls))),
  };
}

function modeTable(R) {
  const s = summarize(R);
  const rows = [];
  // cells: A, B, C, A0
  const row = (metric, [a, b, c, a0], cvb, target, ok) => rows.push(`| ${metric} | ${a} | ${b} | ${c} | ${cvb} | ${target} | ${pf(ok)} | ${a0} |`);
  const payloadMiB = opt.bigBytes / 1048576;
  const m = (k, ph, f) => R.mem[k][ph]?.[f];

  // 1. start-up
  const suLimit = s.startup.B / 20;
  const suOk = s.startup.C <= suLimit;
  row(`**1. Start-up**: spawn → \`initialize\` response, median of ${opt.startup} (ms)`,
    [f1(s.startup.A), f1(s.startup.B), f1(s.startup.C), f1(s.startup.A0)], ratio(s.startup.C, s.startup.B),
    `≤ 1/20 of npm (≤ ${f1(suLimit)} ms)`, suOk);
  if (EXTRA_CA) {
    row(`Start-up with \`NODE_EXTRA_CA_CERTS\`=system bundle, median of ${Math.ceil(opt.startup / 2)} (ms; info)`,
      ['—', f1(s.startupCa.B), f1(s.startupCa.C), '—'], ratio(s.startupCa.C, s.startupCa.B), '', undefined);
  }
  // 2. latency
  row(`**2. Latency** p50, ${opt.calls} sequential \`echo\` (ms)`, [f2(s.p50.A), f2(s.p50.B), f2(s.p50.C), f2(s.p50.A0)], ratio(s.p50.C, s.p50.B), '', undefined);
  row('Latency p99 (ms)', [f2(s.p99.A), f2(s.p99.B), f2(s.p99.C), f2(s.p99.A0)], ratio(s.p99.C, s.p99.B), '', undefined);
  const addB = s.p50.B - s.p50.A;
  const addC = s.p50.C - s.p50.A;
  const addLimit = Math.max(0, addB) / 20;
  const latOk = addC <= addLimit;
  row('Added p50 over direct A (ms)', ['—', f2(addB), f2(addC), '—'], addB > 0 && addC > 0 ? ratio(addC, addB) : 'n/a (≤ 0)',
    addB > 0 ? `≤ 1/20 of npm's (≤ ${f2(addLimit)} ms)` : '≤ 1/20 of npm\'s (npm adds ≤ 0 here: ≤ 0 ms)', latOk);
  const rawB = s.p50.B - s.p50.A0;
  const rawC = s.p50.C - s.p50.A0;
  row('Added p50 over raw fetch A0 (ms; info)', [f2(s.p50.A - s.p50.A0), f2(rawB), f2(rawC), '—'], rawB > 0 && rawC > 0 ? ratio(rawC, rawB) : 'n/a (≤ 0)', '', undefined);
  // 3. throughput
  const thrRatio = (k) => s.thr[k] / s.thr.A;
  const thrOk = thrRatio('C') >= 0.95;
  row(`**3. Throughput**, ${opt.conc} in flight, ${opt.thrCalls} \`echo\` (calls/s; × direct)`,
    [`${f1(s.thr.A)} (1.00×)`, `${f1(s.thr.B)} (${f2(thrRatio('B'))}×)`, `${f1(s.thr.C)} (${f2(thrRatio('C'))}×)`, `${f1(s.thr.A0)} (${f2(thrRatio('A0'))}×)`],
    ratio(s.thr.C, s.thr.B), '≥ 0.95× direct', thrOk);
  // 4. big
  row(`**4. ${f1(payloadMiB)} MiB result** (\`big\`), median of ${opt.bigReps} (ms)`, [f1(s.big.A), f1(s.big.B), f1(s.big.C), f1(s.big.A0)], ratio(s.big.C, s.big.B), '', undefined);
  const bigAddB = s.big.B - s.big.A;
  const bigAddC = s.big.C - s.big.A;
  const bigOk = bigAddC <= 10;
  row(`${f1(payloadMiB)} MiB result: added over direct A (ms)`, ['—', f1(bigAddB), f1(bigAddC), f1(s.big.A0 - s.big.A)], bigAddB > 0 && bigAddC > 0 ? ratio(bigAddC, bigAddB) : 'n/a (≤ 0)', '≤ 10 ms', bigOk);
  // 5. memory
  const rssOk = m('C', 'afterLatThr', 'VmHWM') <= 8 * 1024;
  const rssBigOk = m('C', 'afterBig', 'VmHWM') <= 2 * payloadMiB * 1024;
  row('**5. Peak RSS** (VmHWM) after init (MiB)', ['n/a', mib(m('B', 'init', 'VmHWM')), mib(m('C', 'init', 'VmHWM')), 'n/a'], ratio(m('C', 'init', 'VmHWM'), m('B', 'init', 'VmHWM')), '', undefined);
  row('Peak RSS (VmHWM) after latency + throughput (MiB)', ['n/a', mib(m('B', 'afterLatThr', 'VmHWM')), mib(m('C', 'afterLatThr', 'VmHWM')), 'n/a'],
    ratio(m('C', 'afterLatThr', 'VmHWM'), m('B', 'afterLatThr', 'VmHWM')), '≤ 8 MiB', rssOk);
  row(`Peak RSS (VmHWM) after the ${f1(payloadMiB)} MiB phase (MiB)`, ['n/a', mib(m('B', 'afterBig', 'VmHWM')), mib(m('C', 'afterBig', 'VmHWM')), 'n/a'],
    ratio(m('C', 'afterBig', 'VmHWM'), m('B', 'afterBig', 'VmHWM')), `≤ 2× payload (≤ ${f1(2 * payloadMiB)} MiB)`, rssBigOk);
  const growth = (k) => m(k, 'afterBig', 'VmHWM') - m(k, 'afterLatThr', 'VmHWM');
  row(`Peak growth in the ${f1(payloadMiB)} MiB phase (MiB; × payload; info)`, ['n/a', `${mib(growth('B'))} (${f2(growth('B') / 1024 / payloadMiB)}×)`, `${mib(growth('C'))} (${f2(growth('C') / 1024 / payloadMiB)}×)`, 'n/a'], ratio(growth('C'), growth('B')), '', undefined);
  const rssCell = (k) => ['init', 'afterLatThr', 'afterBig', 'afterIdle'].map((ph) => mib(m(k, ph, 'VmRSS'))).join(' / ');
  row('VmRSS at init / after lat+thr / after big / after idle (MiB)', ['n/a', rssCell('B'), rssCell('C'), 'n/a'], '', '', undefined);
  // 6. idle
  const idle = (k) => R.idle[k];
  const idleOk = idle('C')?.ticks === 0;
  row(`**6. Idle CPU**, connected, ${opt.idleS} s: utime+stime ticks (on-CPU ms)`,
    ['n/a', `${idle('B')?.ticks} (${f2(idle('B')?.ms)})`, `${idle('C')?.ticks} (${f2(idle('C')?.ms)})`, 'n/a'], '', '0 ticks', idleOk);
  // informational CPU
  row('Proxy CPU per 1k sequential calls (ms; info)', ['n/a', f1(s.cpuLat.B), f1(s.cpuLat.C), 'n/a'], ratio(s.cpuLat.C, s.cpuLat.B), '', undefined);
  row(`Proxy CPU per 1k calls at ${opt.conc} in flight (ms; info)`, ['n/a', f1(s.cpuThr.B), f1(s.cpuThr.C), 'n/a'], ratio(s.cpuThr.C, s.cpuThr.B), '', undefined);
  row(`Proxy CPU per ${f1(payloadMiB)} MiB result (ms; info)`, ['n/a', f1(s.cpuBig.B), f1(s.cpuBig.C), 'n/a'], ratio(s.cpuBig.C, s.cpuBig.B), '', undefined);
  row('Server CPU per sequential call (ms; info)', [f2(s.srvLat.A), f2(s.srvLat.B), f2(s.srvLat.C), f2(s.srvLat.A0)], ratio(s.srvLat.C, s.srvLat.B), '', undefined);

  const head = [
    `### Fixture \`--mode ${R.mode}\` (${R.mode === 'sse' ? 'POST answers as SSE streams, the SDK default' : 'POST answers as JSON bodies'}); ${R.rounds.length} latency/throughput round(s)${R.roundsSkipped ? ` (${R.roundsSkipped} skipped for the time budget)` : ''}`,
    '',
    `| Metric | ${T.A.label} | ${T.B.label} | ${T.C.label} | ours ÷ npm | Target (ours) | Ours | ${T.A0.label} |`,
    '|---|---:|---:|---:|---:|---|---|---:|',
  ];
  const verdicts = { startup: suOk, latency: latOk, throughput: thrOk, big: bigOk, rss: rssOk, rssBig: rssBigOk, idle: idleOk };
  return { text: [...head, ...rows].join('\n'), summary: s, verdicts };
}

function rawSection(R) {
  const L = [];
  const K = TARGETS.map((t) => t.key);
  L.push(`#### Raw numbers, \`--mode ${R.mode}\` (${R.url})`, '');
  L.push('Start-up, spawn (proxies) / `new Client` (A) / first POST (A0) → `initialize` response, ms, in run order:', '');
  for (const k of K) L.push(`- ${k}: ${R.startup[k].map((x) => f1(x.ms)).join(', ')}`);
  for (const k of ['B', 'C']) L.push(`- ${k} with NODE_EXTRA_CA_CERTS: ${R.startupCa[k].map((x) => f1(x.ms)).join(', ')}`);
  for (const k of ['B', 'C']) L.push(`- ${k} VmHWM at the \`initialize\` response (MiB): ${R.startup[k].map((x) => mib(x.hwmKiB)).join(', ')}; with NODE_EXTRA_CA_CERTS: ${R.startupCa[k].map((x) => mib(x.hwmKiB)).join(', ')}`);
  L.push('', 'Latency / throughput per round (order rotates every round):', '');
  L.push('| Round | Order | Target | p50 ms | p99 ms | mean ms | max ms | calls/s | proxy CPU ms (lat phase) | proxy CPU ms (thr phase) | server CPU ms (lat / thr) |');
  L.push('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  R.rounds.forEach((r, i) => {
    for (const k of K) {
      const l = r.lat[k];
      L.push(`| ${i + 1} | ${r.order.join(' ')} | ${k} | ${f2(l.p50)} | ${f2(l.p99)} | ${f2(l.mean)} | ${f1(l.max)} | ${f1(r.thr[k].callsPerS)} | ${f1(R.cpu[k].lat[i]?.ms)} | ${f1(R.cpu[k].thr[i]?.ms)} | ${f1(R.cpu.server.lat[k]?.[i]?.ms)} / ${f1(R.cpu.server.thr[k]?.[i]?.ms)} |`);
    }
  });
  L.push('', `${f1(opt.bigBytes / 1048576)} MiB result, ms per repetition (proxies: send → line parsed; in brackets send → last byte of the line, before JSON.parse):`, '');
  for (const k of K) {
    const cpu = R.cpu[k].big.map((c) => f1(c.ms));
    L.push(`- ${k}: ${R.big[k].map((x) => (x.lineMs !== undefined ? `${f1(x.ms)} [${f1(x.lineMs)}]` : f1(x.ms))).join(', ')}${PROXIES.some((t) => t.key === k) ? `; proxy CPU ms per result: ${cpu.join(', ')}` : ''}`);
  }
  L.push('', 'Memory (/proc/<pid>/status, KiB):', '');
  L.push('| Target | point | VmHWM | VmRSS | threads |', '|---|---|---:|---:|---:|');
  for (const k of ['B', 'C']) {
    for (const ph of ['init', 'afterLatThr', 'afterBig', 'afterIdle']) {
      const x = R.mem[k][ph] ?? {};
      L.push(`| ${k} | ${ph} | ${x.VmHWM} | ${x.VmRSS} | ${x.threads} |`);
    }
  }
  L.push('', `Idle ${opt.idleS} s: ${['B', 'C'].map((k) => `${k} ${R.idle[k]?.ticks} ticks, ${f2(R.idle[k]?.ms)} ms on CPU`).join('; ')}`, '');
  return L.join('\n');
}

function sh(cmd, args) {
  try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim(); } catch { return ''; }
}

function machineFacts() {
  const cpuinfo = (() => { try { return fs.readFileSync('/proc/cpuinfo', 'utf8'); } catch { return ''; } })();
  const model = (cpuinfo.match(/^model name\s*:\s*(.*)$/m) || [])[1] ?? 'unknown';
  const st = { mtimeMs: OURS_MTIME.getTime() };
  const git = sh('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['-C', REPO, 'status', '--porcelain', '--', 'src', 'include', 'tools', 'CMakeLists.txt']) ? '; the work tree has uncommitted changes under src/' : '';
  // sources newer than the binary?
  let newer = 0;
  for (const dir of ['src', 'include', 'tools']) {
    const walk = (d) => {
      let ents = [];
      try { ents = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
      for (const e of ents) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(cc|h|hpp|cpp)$/.test(e.name) && !/_test\.cc$/.test(e.name) && fs.statSync(p).mtimeMs > st.mtimeMs) newer++;
      }
    };
    walk(path.join(REPO, dir));
  }
  return {
    nproc: sh('nproc', []) || String(os.cpus().length),
    uname: sh('uname', ['-srvmo']) || `${os.type()} ${os.release()} ${os.arch()}`,
    model,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    load: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    node: process.version,
    sdk: pkgVersion('@modelcontextprotocol/sdk'),
    npmRemote: pkgVersion('mcp-remote'),
    express: pkgVersion('express'),
    ours: `${oursName} (sha256 ${OURS_SHA}…, built ${OURS_MTIME.toISOString()}, repo HEAD ${git}${dirty}; a private copy of it was measured)`,
    stale: newer,
  };
}

// ------------------------------------------------------------------ main
const started = new Date();
const loadStart = os.loadavg().map((x) => x.toFixed(2)).join(' ');
log(`targets: direct SDK; npm ${NPM_PROXY_JS}; ours ${OURS_SRC} (sha256 ${OURS_SHA}…); modes ${opt.modes.join(',')}; budget ${opt.budgetS} s`);
const results = [];
for (let i = 0; i < opt.modes.length; i++) {
  const remaining = opt.budgetS * 1000 - (now() - runStart);
  const deadline = now() + remaining / (opt.modes.length - i);
  results.push(await runMode(opt.modes[i], deadline));
}
const elapsedS = (now() - runStart) / 1000;
const mf = machineFacts();

const tables = results.map(modeTable);
const out = [];
out.push('# Benchmark: native mcp-remote vs npm mcp-remote vs the direct SDK client', '');
out.push(`Run ${started.toISOString()} (${elapsedS.toFixed(0)} s). Machine: ${mf.nproc} CPUs (${mf.model}), ${mf.memGiB} GiB RAM, \`${mf.uname}\`; load average ${loadStart} at the start, ${mf.load} at the end (a shared, noisy machine: medians everywhere, ratios next to absolute numbers).`, '');
out.push(`Versions: Node ${mf.node}; @modelcontextprotocol/sdk ${mf.sdk}; npm mcp-remote ${mf.npmRemote}; express ${mf.express}; ours ${mf.ours}.`, '');
if (mf.stale) out.push(`> **Warning**: ${mf.stale} source file(s) under src/ include/ tools/ are newer than the binary measured as "ours" (run \`bench/run.sh --build\`).`, '');
for (const n of opt.notes) out.push(`> ${n}`, '');
out.push(`Command: \`${opt.command}\``, '');
out.push('Targets, all against the same local fixture server (`test/fixtures/server.mjs`, 127.0.0.1), one server per fixture mode:', '');
out.push('- **A direct**: the SDK `Client` + `StreamableHTTPClientTransport` straight to the server, in the benchmark process.');
out.push(`- **B npm**: \`${path.relative(REPO, NODE)} test/e2e/node_modules/mcp-remote/dist/proxy.js <url>\` (the Node 22 binary that \`scripts/node22\` execs).`);
out.push(`- **C ours**: \`${oursName} <url>\` (run from a private copy taken at the start).`);
out.push('- **A0 raw fetch** (informational, no target): Node `fetch` straight to the server without the SDK, answers read whole and parsed by hand: the cheapest client this process can be, to show how much of A is SDK overhead.');
out.push('- B and C are driven over stdio by the same raw newline-delimited JSON-RPC driver (bench/lib.mjs `RawProxy`: linear line splitting, `JSON.parse` per line; not the SDK\'s StdioClientTransport, which rescans its buffer per chunk and is quadratic on a 10 MB line); their timings end when the response line is parsed.');
out.push(`- Proxy environment: a fresh \`MCP_REMOTE_CONFIG_DIR\` per proxy, \`BROWSER=/bin/true\`, no \`NODE_OPTIONS\`${opt.keepEnv ? '; NODE_EXTRA_CA_CERTS kept as in the caller\'s environment' : '; `NODE_EXTRA_CA_CERTS` removed (this machine exports it as the whole system bundle; the start-up row "with NODE_EXTRA_CA_CERTS" shows its cost)'}.`, '');
out.push(`Method: start-up = ${opt.startup} spawns per target, interleaved with the order rotated (A: from \`new Client\` in the already warm benchmark process). Latency = ${opt.warmup} warm-up + ${opt.calls} sequential \`tools/call echo\`; throughput = ${opt.thrCalls} \`echo\` calls with ${opt.conc} in flight; both on one long-lived session per target, repeated for up to ${opt.rounds} rounds with the target order rotated (rounds after the first only while the run stays within its ${opt.budgetS} s budget); the table shows the median over rounds. Big result = \`big {bytes: ${opt.bigBytes}}\` ${opt.bigReps}× per target, interleaved, median${typeof globalThis.gc === 'function' ? ' (the benchmark process collects its garbage before each timed phase)' : ''}. Memory = VmHWM/VmRSS of the long-lived proxy process from /proc/<pid>/status. Idle = utime+stime ticks (1/100 s, /proc/<pid>/stat) over ${opt.idleS} s with both proxies connected and idle in the same window (on-CPU ms summed from /proc/<pid>/task/*/schedstat). "Added" = median(target) − median(direct). CPU rows are informational (from /proc, per phase).`, '');
out.push('## Results', '');
for (const t of tables) out.push(t.text, '');
out.push('Reading the table:', '');
out.push('- A (the SDK client) spends CPU per call in this process (schema validation, web streams) that the raw stdio driver used for B and C does not, and the machine has only 2 CPUs shared by client, proxy and server; so "added over direct" can be ≤ 0 for a proxy. A0 shows what a lean HTTP client gets from the same server; "added over A0" is the closer estimate of the cost of the extra hop.');
out.push('- The server\'s CPU per call can differ between clients (last row; on this machine Node `fetch` clients, i.e. A, A0 and npm\'s transport, cost it more than ours); with the server as the bottleneck this makes throughput ratios above 1× possible.');
out.push('- The 10 MiB timings of B and C include the driver\'s `JSON.parse` of the line (A\'s include the SDK\'s parse); the raw section has both ends. Expect ±50% spread per repetition on this machine: compare the medians and the repetition lists together.');
out.push('- Peak RSS counts the touched file-backed pages of the executable and its shared libraries, not only heap: for ours glibc plus the binary itself, which carries libcurl, OpenSSL and libstdc++ when built with the minimal static libcurl (`scripts/build-curl.sh`; with the system libcurl add ~6 MiB of shared libraries); the Node binary for npm.', '');
out.push('<details><summary>Raw per-run numbers</summary>', '');
for (const R of results) out.push(rawSection(R), '');
out.push('All numbers as JSON:', '', '```json', JSON.stringify({ opt: { ...opt, notes: undefined }, machine: mf, results }, (k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v)), '```', '');
out.push('</details>', '');
const md = out.join('\n');
process.stdout.write(md);
if (opt.write) {
  fs.mkdirSync(path.dirname(opt.out), { recursive: true });
  fs.writeFileSync(opt.out, md);
  log(`wrote ${path.relative(REPO, opt.out)}`);
}
const fails = tables.flatMap((t, i) => Object.entries(t.verdicts).filter(([, ok]) => !ok).map(([k]) => `${results[i].mode}:${k}`));
log(`done in ${elapsedS.toFixed(0)} s; ours misses: ${fails.length ? fails.join(', ') : 'none'}`);
await cleanupAll();
process.exit(0);
