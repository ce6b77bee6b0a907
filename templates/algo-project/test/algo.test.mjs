// Runs the built bundle (`npm test` builds it first) in the real node, headless, on the
// simulated venue of Sequence.toml: the same loader, risk gate and matching a live run uses.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const LABEL = '{{name}}';
const PROJECT = fileURLToPath(new URL('..', import.meta.url));
const SEQUENCE = fileURLToPath(import.meta.resolve('sequence-node/bin/sequence.js'));
const dataDir = mkdtempSync(join(tmpdir(), `${LABEL}-test-`));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function sequence(...args) {
  const run = spawnSync(process.execPath, [SEQUENCE, ...args], { cwd: PROJECT, encoding: 'utf8', timeout: 120_000 });
  return { ...run, events: () => run.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line)) };
}

test('the bundle passes the checks the node makes before running it', () => {
  const check = sequence('deploy', '--check', '--config', 'Sequence.toml');
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, new RegExp(`label\\s+${LABEL}\\n`));
});

test('on the simulated venue it quotes both sides, the venue acks them, and shutdown leaves nothing open', () => {
  const run = sequence('run', '--daemon', '--duration', '3', '--config', 'Sequence.toml', '--data-dir', dataDir);
  assert.equal(run.status, 0, run.stderr);
  const events = run.events();
  const orders = events.filter((e) => e.type === 'order' && e.label === LABEL);
  assert.deepEqual(new Set(orders.map((o) => o.side)), new Set(['buy', 'sell']));
  const acked = new Set(events.filter((e) => e.type === 'ack').map((e) => e.id));
  assert.ok(orders.some((o) => acked.has(o.id)), 'no order of this algorithm was acked');
  const aborted = events.filter((e) => e.type === 'instance' && e.status === 'aborted');
  assert.deepEqual(aborted, []);
  assert.equal(events.find((e) => e.type === 'shutdown')?.open_orders, 0);
});
