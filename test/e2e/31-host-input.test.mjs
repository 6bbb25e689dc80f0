// Scenario 31: bad (or merely unusual) input from the host on stdin.
//
// Every case asserts the JSON-RPC answer on the proxy's stdout from its RAW text (ids are compared
// byte for byte, never as parsed values: 9007199254740993 and 9007199254740992 are the same
// JavaScript number), and that the proxy keeps serving afterwards (a following tools/call works).
//
// Cases: malformed JSON; batches with garbage members; request ids of every JSON type (strings
// with escapes and unicode, integers beyond 2^53, negative, float, exponent, null, bool, object,
// array); reserved "mcp-remote-" ids; a duplicate id while the first is in flight; a 100 MB line
// (bounded memory); control characters escaped vs raw; invalid UTF-8; CRLF line endings; empty
// lines; one message split over many small writes.
//
// The fixture is test/fixtures/server.mjs (the TypeScript SDK server, --mode json). Note that the
// SDK validates ids with z.number().int() (safe integers only), so for floats and integers beyond
// 2^53 the server may answer with an error of its own instead of a result; either way the host
// must get exactly one answer carrying ITS id bytes.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  startFixture, spawnProxyRaw, rawHandshake, cleanupAll, npmKnownFailure, sleep,
} from './lib.mjs';

afterEach(cleanupAll);

const T = { timeout: 90000 };
const NPM_NO_ERRORS = 'the SDK StdioServerTransport reports bad input via onerror only; nothing is written to stdout';

// ------------------------------------------------------------------ raw JSON scanning
// Minimal scanner over JSON text: returns the raw text of each member of the top-level object
// (or, for an array, of each element). Used only on the proxy's output, to get ids byte for byte.

function skipWs(s, i) {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  return i;
}

function skipString(s, i) {
  if (s[i] !== '"') throw new Error(`expected a string at ${i}`);
  i++;
  while (i < s.length) {
    if (s[i] === '\\') { i += 2; continue; }
    if (s[i] === '"') return i + 1;
    i++;
  }
  throw new Error('unterminated string');
}

function skipValue(s, i) {
  i = skipWs(s, i);
  const c = s[i];
  if (c === '"') return skipString(s, i);
  if (c === '{' || c === '[') {
    const close = c === '{' ? '}' : ']';
    i = skipWs(s, i + 1);
    if (s[i] === close) return i + 1;
    for (;;) {
      if (c === '{') {
        i = skipString(s, skipWs(s, i));
        i = skipWs(s, i);
        if (s[i] !== ':') throw new Error(`expected ':' at ${i}`);
        i++;
      }
      i = skipWs(s, skipValue(s, i));
      if (s[i] === ',') { i++; continue; }
      if (s[i] === close) return i + 1;
      throw new Error(`expected ',' or '${close}' at ${i}`);
    }
  }
  let j = i;
  while (j < s.length && !',}] \t\r\n'.includes(s[j])) j++;
  if (j === i) throw new Error(`expected a value at ${i}`);
  return j;
}

/** Raw text of each top-level member: {key: rawValueText}. Throws if `s` is not an object. */
function rawMembers(s) {
  let i = skipWs(s, 0);
  if (s[i] !== '{') throw new Error('not an object');
  const out = {};
  i = skipWs(s, i + 1);
  if (s[i] === '}') return out;
  for (;;) {
    i = skipWs(s, i);
    const ks = i;
    i = skipString(s, i);
    const key = JSON.parse(s.slice(ks, i));
    i = skipWs(s, i);
    if (s[i] !== ':') throw new Error(`expected ':' at ${i}`);
    const vs = skipWs(s, i + 1);
    const ve = skipValue(s, vs);
    out[key] = s.slice(vs, ve);
    i = skipWs(s, ve);
    if (s[i] === ',') { i++; continue; }
    if (s[i] === '}') return out;
    throw new Error(`expected ',' or '}' at ${i}`);
  }
}

/** Raw text of each element of a top-level array. */
function rawElements(s) {
  let i = skipWs(s, 0);
  if (s[i] !== '[') throw new Error('not an array');
  const out = [];
  i = skipWs(s, i + 1);
  if (s[i] === ']') return out;
  for (;;) {
    const vs = skipWs(s, i);
    const ve = skipValue(s, vs);
    out.push(s.slice(vs, ve));
    i = skipWs(s, ve);
    if (s[i] === ',') { i++; continue; }
    if (s[i] === ']') return out;
    throw new Error(`expected ',' or ']' at ${i}`);
  }
}

const show = (s) => JSON.stringify(s.length > 600 ? `${s.slice(0, 600)}…(${s.length} chars)` : s);

// ------------------------------------------------------------------ raw stdio driver
/**
 * spawnProxyRaw (registered for cleanup, parses lines for p.request) plus a tap that keeps every
 * stdout line as raw text (newline removed, nothing else touched) and a cursor over them.
 */
async function startRaw() {
  const srv = await startFixture(['--mode', 'json']);
  const p = spawnProxyRaw(srv.url);
  const lines = [];
  const waiters = new Set();
  let chunks = [];
  p.proc.stdout.on('data', (buf) => {
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl === -1) break;
      chunks.push(buf.subarray(start, nl));
      lines.push(Buffer.concat(chunks).toString('utf8'));
      chunks = [];
      start = nl + 1;
      for (const w of [...waiters]) w();
    }
    if (start < buf.length) chunks.push(buf.subarray(start));
  });
  await rawHandshake(p);
  let cursor = lines.length; // everything up to the handshake is consumed

  const isServerMessage = (raw) => {
    // A notification or request from the server (not an answer to the host): skip it.
    try { return !raw.trimStart().startsWith('[') && rawMembers(raw).method !== undefined; } catch { return false; }
  };
  const context = () => `\n--- raw stdout lines after the handshake ---\n${lines.slice(cursor > 50 ? cursor - 50 : 0).map(show).join('\n')}\n--- proxy stderr (tail) ---\n${p.stderr().slice(-3000)}`;

  /** The next line that is an answer to the host (raw text); bounded. */
  const next = (ms = 10000, what = 'an answer') => new Promise((resolve, reject) => {
    const scan = () => {
      while (cursor < lines.length) {
        const raw = lines[cursor++];
        if (isServerMessage(raw)) continue;
        fin();
        resolve(raw);
        return true;
      }
      return false;
    };
    const onExit = (code, sig) => { fin(); reject(new Error(`proxy exited (${code ?? sig}) while waiting for ${what}${context()}`)); };
    const t = setTimeout(() => { fin(); reject(new Error(`timeout (${ms} ms) waiting for ${what}${context()}`)); }, ms);
    function fin() { clearTimeout(t); waiters.delete(scan); p.proc.off('exit', onExit); }
    if (scan()) return;
    waiters.add(scan);
    p.proc.once('exit', onExit);
  });

  /** Assert no answer line arrives within ms. */
  const silence = async (ms, what) => {
    await sleep(ms);
    const extra = lines.slice(cursor).filter((l) => !isServerMessage(l));
    assert.deepEqual(extra, [], `unexpected output ${what}${context()}`);
    cursor = lines.length;
  };

  let seq = 0;
  /** A tools/call echo with a fresh id; asserts the answer is its result with the same id bytes. */
  const echoWorks = async (what = 'follow-up tools/call') => {
    const id = `"alive-${++seq}"`;
    p.sendRaw(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"message":"still alive ${seq}"}}}\n`);
    const raw = await next(15000, what);
    assertResult(raw, id, `Echo: still alive ${seq}`, what);
  };

  const vmHWM = () => {
    const st = fs.readFileSync(`/proc/${p.proc.pid}/status`, 'utf8');
    const m = st.match(/^VmHWM:\s+(\d+) kB/m);
    return m ? Number(m[1]) * 1024 : NaN;
  };

  return { srv, p, lines, next, silence, echoWorks, vmHWM };
}

/** Parse + check an error answer: code, id bytes (one of rawIds), jsonrpc, no result. */
function assertError(raw, code, rawIds, what) {
  let msg;
  try { msg = JSON.parse(raw); } catch (e) { assert.fail(`${what}: answer is not JSON (${e.message}): ${show(raw)}`); }
  const ids = Array.isArray(rawIds) ? rawIds : [rawIds];
  const m = rawMembers(raw);
  assert.ok(ids.includes(m.id), `${what}: id bytes ${m.id === undefined ? '(missing)' : show(m.id)}, expected ${ids.map(show).join(' or ')}; raw: ${show(raw)}`);
  assert.equal(msg.jsonrpc, '2.0', `${what}: jsonrpc; raw: ${show(raw)}`);
  assert.ok(msg.error && typeof msg.error === 'object', `${what}: expected an error; raw: ${show(raw)}`);
  assert.equal(msg.result, undefined, `${what}: error and result; raw: ${show(raw)}`);
  if (code !== undefined) {
    const codes = Array.isArray(code) ? code : [code];
    assert.ok(codes.includes(msg.error.code), `${what}: error code ${msg.error.code}, expected ${codes.join(' or ')}; raw: ${show(raw)}`);
  }
  assert.equal(typeof msg.error.message, 'string', `${what}: error.message; raw: ${show(raw)}`);
  return msg;
}

/** Parse + check a tools/call echo result: id bytes, text. */
function assertResult(raw, rawId, text, what) {
  let msg;
  try { msg = JSON.parse(raw); } catch (e) { assert.fail(`${what}: answer is not JSON (${e.message}): ${show(raw)}`); }
  const m = rawMembers(raw);
  assert.equal(m.id, rawId, `${what}: id bytes ${m.id === undefined ? '(missing)' : show(m.id)}, expected ${show(rawId)}; raw: ${show(raw)}`);
  assert.equal(msg.jsonrpc, '2.0', `${what}: jsonrpc; raw: ${show(raw)}`);
  assert.equal(msg.error, undefined, `${what}: unexpected error; raw: ${show(raw)}`);
  assert.equal(msg.result?.content?.[0]?.text, text, `${what}: result text; raw: ${show(raw)}`);
  return msg;
}

const echoReq = (rawId, message = 'm') =>
  `{"jsonrpc":"2.0","id":${rawId},"method":"tools/call","params":{"name":"echo","arguments":{"message":${JSON.stringify(message)}}}}`;

// ------------------------------------------------------------------ tests

test('malformed JSON -> -32700 with id null, proxy keeps serving', npmKnownFailure(NPM_NO_ERRORS, T), async () => {
  const h = await startRaw();
  const cases = [
    '{"jsonrpc":"2.0","id":99,"method":"tools/list",,, this is not json',
    'not json at all',
    '{"jsonrpc":"2.0","id":7,"method":"tools/list"',           // truncated
    '{"jsonrpc":"2.0","id":7,"method":"tools/list"}}',         // trailing garbage
    '{"jsonrpc":"2.0","id":7,"method":"tools/list"} {"x":1}',  // two values on one line
    "{'jsonrpc':'2.0','id':7,'method':'tools/list'}",         // single quotes
    '{"jsonrpc":"2.0","id":07,"method":"tools/list"}',         // leading zero
    '{"jsonrpc":"2.0","id":7,"method":"tools/list",}',         // trailing comma
    '[1,2',
  ];
  for (const c of cases) {
    h.p.sendRaw(`${c}\n`);
    const raw = await h.next(5000, `-32700 for ${show(c)}`);
    assertError(raw, -32700, 'null', `malformed ${show(c)}`);
  }
  await h.silence(300, 'after the malformed lines (one answer each)');
  await h.echoWorks();
});

test('batch with garbage members -> ONE array: the tools/call result and -32600 for each invalid member, nothing for the notification',
  npmKnownFailure(NPM_NO_ERRORS, T), async () => {
    const h = await startRaw();
    const batch = '[' + [
      echoReq('"b-call"', 'from batch'),
      '42',
      '{"id":"b-nojsonrpc","method":"tools/list"}',
      '{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}',
    ].join(',') + ']';
    h.p.sendRaw(`${batch}\n`);
    const raw = await h.next(10000, 'the batch answer');
    assert.ok(raw.trimStart().startsWith('['), `the batch answer must be one array; raw: ${show(raw)}`);
    const els = rawElements(raw);
    assert.equal(els.length, 3, `3 answers (call, number, no-jsonrpc), none for the notification; raw: ${show(raw)}`);
    const byId = new Map(els.map((e) => [rawMembers(e).id, e]));
    const call = byId.get('"b-call"');
    assert.ok(call, `the tools/call result is in the array; raw: ${show(raw)}`);
    assertResult(call, '"b-call"', 'Echo: from batch', 'batch tools/call');
    const errs = els.filter((e) => e !== call);
    // The number member: its id cannot be known -> null. The object without "jsonrpc": null, or its id.
    const nullErrs = errs.filter((e) => rawMembers(e).id === 'null');
    assert.ok(nullErrs.length >= 1, `an error with id null for the member 42; raw: ${show(raw)}`);
    for (const e of errs) assertError(e, -32600, ['null', '"b-nojsonrpc"'], 'batch invalid member');
    await h.silence(500, 'after the batch answer (members must not be answered separately)');
    await h.echoWorks();

    // Edge cases: an empty batch is one -32600 (not an array); a batch of notifications gets no answer.
    h.p.sendRaw('[]\n');
    assertError(await h.next(5000, 'answer to []'), -32600, 'null', 'empty batch []');
    h.p.sendRaw('[{"jsonrpc":"2.0","method":"notifications/roots/list_changed"},{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}]\n');
    await h.silence(700, 'after a batch of notifications only');
    await h.echoWorks();
  });

// Ids the server (SDK, z.number().int()) accepts: a result is required, with the host's id bytes.
const GOOD_IDS = [
  '"plain"',
  '""',
  '"with \\"quotes\\", a \\\\ backslash and \\/ a solidus"',
  '"escapes \\b\\f\\n\\r\\t end"',
  '"\\u00e9\\u4e2d\\ud83d\\ude00 escaped unicode"',
  '"é中😀 raw unicode"',
  '"\\u0041\\u0062c"',
  '"mcp-remote"',            // not the reserved prefix (no trailing dash)
  '"x-mcp-remote-1"',
  '0',
  '1',
  '-1',
  '-42',
  '9007199254740991',        // 2^53 - 1: the largest safe integer
  '-9007199254740991',
  '1e3',                     // exponent (an integer value: JavaScript prints it as 1000)
  '1E+2',
  '2.5e1',
  '1.0',                     // float spelling of an integer (JavaScript prints 1)
  '-0',                      // JavaScript prints 0
];
// Ids the JavaScript server cannot keep (rounding) or refuses (not a safe integer): the host must
// still get exactly one answer with ITS id bytes (a result or an error).
const ODD_IDS = [
  '12345678901234567890123',
  '9007199254740993',
  '-9007199254740993',
  '18446744073709551617',
  '1.5',
  '-2.75',
  '2.5e-3',
  '0.1',
  '1e400',                   // a valid JSON number beyond double range
];

test('request ids of every valid JSON type are echoed byte for byte', T, async () => {
  const h = await startRaw();
  const failures = [];
  const oddSeen = [];
  for (const id of [...GOOD_IDS, ...ODD_IDS]) {
    h.p.sendRaw(`${echoReq(id, `id ${id}`)}\n`);
    let raw;
    try {
      raw = await h.next(15000, `the answer for id ${id}`);
    } catch (e) {
      failures.push(`id ${id}: no answer (${e.message.split('\n')[0]})`);
      continue;
    }
    let m;
    try { m = rawMembers(raw); } catch (e) { failures.push(`id ${id}: answer not a JSON object: ${show(raw)}`); continue; }
    if (m.id !== id) { failures.push(`id ${id}: answered with id bytes ${m.id === undefined ? '(missing)' : m.id}; raw: ${show(raw)}`); continue; }
    const msg = JSON.parse(raw);
    if (ODD_IDS.includes(id)) oddSeen.push(`${id} -> ${msg.result !== undefined ? 'result' : `error ${msg.error?.code} ${JSON.stringify(msg.error?.message)}`}`);
    if (GOOD_IDS.includes(id)) {
      if (msg.result?.content?.[0]?.text !== `Echo: id ${id}`) failures.push(`id ${id}: expected the echo result; raw: ${show(raw)}`);
    } else if (msg.result !== undefined && msg.result?.content?.[0]?.text !== `Echo: id ${id}`) {
      failures.push(`id ${id}: wrong result; raw: ${show(raw)}`);
    } else if (msg.result === undefined && (!msg.error || typeof msg.error.code !== 'number')) {
      failures.push(`id ${id}: neither a result nor an error; raw: ${show(raw)}`);
    }
  }
  process.stderr.write(`[31] odd ids: ${oddSeen.join(', ')}\n`);
  await h.silence(500, 'after the id round trips (exactly one answer per request)');
  assert.deepEqual(failures, [], `id round trips:\n${failures.join('\n')}`);
  await h.echoWorks();
});

test('ids that a JavaScript server conflates, in flight together: each answered once with its own bytes', T, async () => {
  const h = await startRaw();
  // 9007199254740993 and 9007199254740992 are the same double; so are 1e3 and 1000.
  const pairs = [['9007199254740993', '9007199254740992'], ['1e3', '1000'], ['7', '"7"']];
  for (const [a, b] of pairs) {
    h.p.sendRaw(`{"jsonrpc":"2.0","id":${a},"method":"tools/call","params":{"name":"slow","arguments":{"ms":600}}}\n`);
    h.p.sendRaw(`${echoReq(b, 'second')}\n`);
    const got = [await h.next(10000, `first answer of ${a} / ${b}`), await h.next(10000, `second answer of ${a} / ${b}`)];
    const ids = got.map((r) => rawMembers(r).id).sort();
    assert.deepEqual(ids, [a, b].sort(), `one answer per id, with its own bytes; raw: ${got.map(show).join(' | ')}`);
    if (a === '7') {
      // A string and a number are different ids: both must succeed.
      assertResult(got.find((r) => rawMembers(r).id === '"7"'), '"7"', 'Echo: second', 'string id "7" next to number 7');
      const slow = JSON.parse(got.find((r) => rawMembers(r).id === '7'));
      assert.equal(slow.result?.content?.[0]?.text, 'slept 600', `number id 7: ${show(got.join(' | '))}`);
    }
    await h.silence(200, `after ${a} / ${b}`);
  }
  await h.echoWorks();
});

test('invalid ids: null -> -32600 id null; bool/object/array -> -32600 id null', npmKnownFailure(NPM_NO_ERRORS, T), async () => {
  const h = await startRaw();
  for (const id of ['null', 'true', 'false', '{"a":1}', '[1]', '[]', '{}']) {
    h.p.sendRaw(`${echoReq(id)}\n`);
    const raw = await h.next(5000, `-32600 for id ${id}`);
    assertError(raw, -32600, 'null', `request with id ${id}`);
  }
  await h.silence(500, 'after the invalid ids (one answer each, nothing from the server)');
  await h.echoWorks();
});

test('ids starting with "mcp-remote-" are reserved -> -32600 echoing the id', npmKnownFailure(NPM_NO_ERRORS, T), async () => {
  const h = await startRaw();
  const ids = [
    '"mcp-remote-1"',
    '"mcp-remote-keepalive-1"',
    '"mcp-remote-reinit-1"',
    '"mcp-remote-"',
    '"\\u006dcp-remote-escaped"', // the same string value, spelled with an escape
    '"mcp\\u002dremote-escaped-dash"',
  ];
  const failures = [];
  for (const id of ids) {
    h.p.sendRaw(`${echoReq(id)}\n`);
    try {
      const raw = await h.next(5000, `-32600 for id ${id}`);
      assertError(raw, -32600, id, `reserved id ${id}`);
    } catch (e) {
      failures.push(e.message.split('\n')[0]);
    }
  }
  await h.silence(500, 'after the reserved ids');
  await h.echoWorks();
  assert.deepEqual(failures, [], `reserved ids:\n${failures.join('\n')}`);
});

test('duplicate id while the first is in flight -> -32600 for the second, the first still answered', npmKnownFailure(NPM_NO_ERRORS, T), async () => {
  const h = await startRaw();
  for (const id of ['77', '"dup"']) {
    h.p.sendRaw(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"slow","arguments":{"ms":1500}}}\n`);
    await sleep(100);
    h.p.sendRaw(`${echoReq(id, 'duplicate')}\n`);
    const first = await h.next(1400, `the -32600 for the duplicate ${id} (before the slow call ends)`);
    assertError(first, -32600, id, `duplicate id ${id}`);
    const second = await h.next(10000, `the slow call's answer (${id})`);
    const msg = JSON.parse(second);
    assert.equal(rawMembers(second).id, id, `slow answer id bytes; raw: ${show(second)}`);
    assert.equal(msg.result?.content?.[0]?.text, 'slept 1500', `the first request's result; raw: ${show(second)}`);
    await h.silence(300, `after the duplicate ${id}`);
    // The id is free again once answered.
    h.p.sendRaw(`${echoReq(id, 'reused')}\n`);
    assertResult(await h.next(10000, `reused id ${id}`), id, 'Echo: reused', `id ${id} reused after its answer`);
  }
  await h.echoWorks();
});

test('a 100 MB line -> one "too large" error, memory stays bounded, proxy keeps serving', npmKnownFailure('npm buffers the whole line', { timeout: 120000 }), async () => {
  const h = await startRaw();
  const before = h.vmHWM();
  const total = 100 * 1000 * 1000;
  const head = '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"message":"';
  const tail = '"}}}\n';
  const chunk = Buffer.alloc(1024 * 1024, 'x'.charCodeAt(0));
  const write = (b) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`stdin write stalled (proxy not reading?)\n${h.p.stderr().slice(-2000)}`)), 30000);
    const ok = h.p.proc.stdin.write(b, (err) => { if (err) { clearTimeout(t); reject(err); } });
    if (ok) { clearTimeout(t); resolve(); } else h.p.proc.stdin.once('drain', () => { clearTimeout(t); resolve(); });
  });
  const started = Date.now();
  await write(head);
  let sent = head.length;
  while (sent + chunk.length < total - tail.length) { await write(chunk); sent += chunk.length; }
  await write(Buffer.alloc(total - tail.length - sent, 'x'.charCodeAt(0)));
  await write(tail);
  const raw = await h.next(30000, 'the "too large" error');
  const msg = assertError(raw, [-32600, -32700], ['null', '5'], '100 MB line');
  assert.match(msg.error.message, /too large/i, `error message; raw: ${show(raw)}`);
  await h.silence(1000, 'after the "too large" error (exactly one answer)');
  const after = h.vmHWM();
  const growth = after - before;
  process.stderr.write(`[31] 100 MB line written in ${Date.now() - started} ms; VmHWM ${(before / 2 ** 20).toFixed(1)} -> ${(after / 2 ** 20).toFixed(1)} MiB\n`);
  // Under AddressSanitizer every realloc copies and freed blocks sit in a 256 MiB quarantine, so the
  // high-water mark says nothing about the release build; scripts/test.sh sets MCPR_SANITIZED there.
  if (!process.env.MCPR_SANITIZED) {
    assert.ok(growth < 100 * 2 ** 20, `VmHWM grew by ${(growth / 2 ** 20).toFixed(1)} MiB (limit 100 MiB)`);
  }
  await h.echoWorks('tools/call after the 100 MB line');
  // And the next line is read from its start (the rest of the big line was discarded, not glued on).
  h.p.sendRaw(`${echoReq('6', 'after big')}\n`);
  assertResult(await h.next(10000, 'id 6 after the big line'), '6', 'Echo: after big', 'request after the big line');
});

test('control characters: escaped ones round-trip, raw ones are invalid JSON (-32700)', npmKnownFailure(NPM_NO_ERRORS, T), async () => {
  const h = await startRaw();
  // Escaped: valid JSON.
  const text = 'a\u0000b\u0001c\u001fd\te\nf\rg\u007fh\\i"j';
  h.p.sendRaw(`${echoReq('"ctl-escaped"', text)}\n`);
  const ok = await h.next(10000, 'escaped control characters');
  assertResult(ok, '"ctl-escaped"', `Echo: ${text}`, 'escaped control characters');
  assert.ok(!/[\u0000-\u001f]/.test(ok), `the answer line carries no raw control characters: ${show(ok)}`);
  // DEL (0x7f) is not a control character for JSON: valid raw.
  h.p.sendRaw(`{"jsonrpc":"2.0","id":"del","method":"tools/call","params":{"name":"echo","arguments":{"message":"a\u007fb"}}}\n`);
  assertResult(await h.next(10000, 'raw DEL'), '"del"', 'Echo: a\u007fb', 'raw DEL in a string');
  // Raw control characters inside a string: invalid JSON.
  for (const c of [0x00, 0x01, 0x09, 0x0b, 0x0c, 0x0d, 0x1b, 0x1f]) {
    const line = Buffer.concat([
      Buffer.from(`{"jsonrpc":"2.0","id":"raw-${c}","method":"tools/call","params":{"name":"echo","arguments":{"message":"a`),
      Buffer.from([c]),
      Buffer.from('b"}}}\n'),
    ]);
    h.p.sendRaw(line);
    const raw = await h.next(5000, `-32700 for raw 0x${c.toString(16)}`);
    assertError(raw, -32700, 'null', `raw control character 0x${c.toString(16).padStart(2, '0')} in a string`);
  }
  await h.silence(500, 'after the raw control characters');
  await h.echoWorks();
});

test('invalid UTF-8 inside a string -> -32700', npmKnownFailure(NPM_NO_ERRORS, T), async () => {
  const h = await startRaw();
  const bad = {
    'lone 0xff': [0xff],
    'lone continuation 0x80': [0x80],
    'truncated 2-byte 0xc3 then ASCII': [0xc3, 0x28],
    'overlong "/" 0xc0 0xaf': [0xc0, 0xaf],
    'overlong NUL 0xe0 0x80 0x80': [0xe0, 0x80, 0x80],
    'UTF-16 surrogate 0xed 0xa0 0x80': [0xed, 0xa0, 0x80],
    'beyond U+10FFFF 0xf4 0x90 0x80 0x80': [0xf4, 0x90, 0x80, 0x80],
    'truncated 4-byte at the string end': [0xf0, 0x9f, 0x98],
  };
  for (const [name, bytes] of Object.entries(bad)) {
    const line = Buffer.concat([
      Buffer.from('{"jsonrpc":"2.0","id":"utf8","method":"tools/call","params":{"name":"echo","arguments":{"message":"a'),
      Buffer.from(bytes),
      Buffer.from('b"}}}\n'),
    ]);
    h.p.sendRaw(line);
    const raw = await h.next(5000, `-32700 for ${name}`);
    assertError(raw, -32700, 'null', `invalid UTF-8 (${name})`);
  }
  await h.silence(500, 'after the invalid UTF-8 lines');
  // Valid multi-byte UTF-8 still works.
  h.p.sendRaw(`${echoReq('"utf8-ok"', 'é中😀')}\n`);
  assertResult(await h.next(10000, 'valid UTF-8'), '"utf8-ok"', 'Echo: é中😀', 'valid UTF-8');
  await h.echoWorks();
});

test('framing: CRLF accepted, empty lines ignored, a message split over many small writes, several messages in one write', T, async () => {
  const h = await startRaw();
  // CRLF
  h.p.sendRaw(`${echoReq('"crlf"', 'crlf')}\r\n`);
  assertResult(await h.next(10000, 'the CRLF request'), '"crlf"', 'Echo: crlf', 'CRLF line ending');
  // Empty lines (LF and CRLF): no answer at all.
  h.p.sendRaw('\n\n\r\n\n');
  await h.silence(700, 'for empty lines');
  await h.echoWorks('tools/call after empty lines');
  // One message, byte by byte (with pauses so the proxy sees separate reads), CRLF-terminated.
  const msg = Buffer.from(`${echoReq('"split"', 'split é中😀 message')}\r\n`);
  for (let i = 0; i < msg.length; i++) {
    h.p.sendRaw(msg.subarray(i, i + 1));
    if (i % 4 === 0) await sleep(2);
  }
  assertResult(await h.next(10000, 'the split request'), '"split"', 'Echo: split é中😀 message', 'message split over many writes');
  // Several messages (and an empty line) in one write.
  h.p.sendRaw(`${echoReq('"m1"', 'one')}\n\n${echoReq('"m2"', 'two')}\r\n${echoReq('"m3"', 'three')}\n`);
  const got = [await h.next(10000, 'm1..m3'), await h.next(10000, 'm1..m3'), await h.next(10000, 'm1..m3')];
  const byId = Object.fromEntries(got.map((r) => [rawMembers(r).id, r]));
  assertResult(byId['"m1"'] ?? '{}', '"m1"', 'Echo: one', 'm1');
  assertResult(byId['"m2"'] ?? '{}', '"m2"', 'Echo: two', 'm2');
  assertResult(byId['"m3"'] ?? '{}', '"m3"', 'Echo: three', 'm3');
  await h.silence(300, 'after m1..m3');
  await h.echoWorks();
});
