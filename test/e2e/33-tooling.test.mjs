// Scenario 33: the measuring tools still run. The soak (test/soak) and the benchmark (bench/) are
// not part of CI because they take minutes; this runs the soak on a small scale against the real
// binary and checks that the benchmark script at least parses, so neither can silently rot (the
// soak script once carried a syntax error for a whole session).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { REPO, PROXY_BIN, IS_NPM, cleanupAll, runCli } from './lib.mjs';

afterEach(cleanupAll);

const NODE = process.execPath;
// Under the sanitizers RSS is not the binary's own (shadow memory, quarantine): the soak's
// flat-RSS check means nothing there.
const SANITIZED = process.env.MCPR_SANITIZED === '1';

test('soak, small scale: 3,000 calls at 32 in flight, nothing lost, fds back to where they were',
  { skip: IS_NPM || SANITIZED ? 'release build of ours only' : false, timeout: 120000 }, async () => {
    const r = await runCli(NODE, [
      path.join(REPO, 'test', 'soak', 'soak.mjs'), '--modes', 'json', '--calls', '3000', '--conc', '32',
      '--sample-every', '500', '--warmup', '1000', '--time-limit', '90', '--bin', PROXY_BIN, '--no-write',
    ], { timeoutMs: 110000 });
    assert.equal(r.code, 0, `soak exit ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
    assert.match(r.stdout, /\*\*Result: PASS\*\*/);
    assert.match(r.stdout, /\| Calls \(answered ok \/ errors\) \| 3,000 \/ 0 \|/);
    assert.match(r.stdout, /Missing \/ duplicate \/ unknown-id answers \| 0 \/ 0 \/ 0 \|/);
  });

test('the benchmark scripts parse', async () => {
  for (const f of [path.join(REPO, 'bench', 'bench.mjs'), path.join(REPO, 'bench', 'lib.mjs')]) {
    const r = await runCli(NODE, ['--check', f], { input: '' });
    assert.equal(r.code, 0, `${f}: ${r.stderr}`);
  }
});
