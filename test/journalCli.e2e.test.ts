import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../src/node/journal/journal.ts';
import { demoConfigIn, jsonLines, sequence, startSequence } from './support/cli.ts';
import { tempDir } from './support/nodeHarness.ts';

// `sequence journal` on the journal a real run left behind.

let config = '';
let dataDir = '';

beforeAll(() => {
  expect(sequence(['build', '--if-stale'], { timeoutMs: 120_000 }).code).toBe(0);
  const dir = tempDir('journal-cli');
  config = demoConfigIn(dir);
  dataDir = join(dir, 'data');
  const run = sequence(['run', '--daemon', '--duration', '2', '--config', config], { timeoutMs: 60_000 });
  expect(run.code, run.stderr).toBe(0);
});

describe('sequence journal', () => {
  it('dump --json prints every record from --from on, in order, with seq, term and the message', () => {
    const r = sequence(['journal', 'dump', '--json', '--from', '3', '--config', config]);
    expect(r.code).toBe(0);
    const records = jsonLines(r.stdout);
    const journal = Journal.open(dataDir, { readOnly: true });
    const last = journal.lastSeq;
    void journal.close();
    expect(records.map((x) => x.seq)).toEqual(Array.from({ length: last - 2 }, (_, i) => i + 3));
    expect(records.every((x) => x.term === 1 && typeof x.type === 'string' && typeof x.ts === 'string')).toBe(true);
  });

  it('the journal ends with how the shutdown went', () => {
    const records = jsonLines(sequence(['journal', 'dump', '--json', '--config', config]).stdout);
    expect(records.at(-1)).toMatchObject({ type: 'shutdown_record', reason: 'duration', open_orders: 0, timed_out: false });
  });

  it('tail -n prints the last records as text lines', () => {
    const r = sequence(['journal', 'tail', '-n', '5', '--config', config]);
    expect(r.code).toBe(0);
    const lines = r.stdout.replace(/\n$/, '').split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^\s+\d+ t1 \d{4}-\d\d-\d\dT/);
  });

  it('tail -f prints records as a running node commits them', async () => {
    const dir = tempDir('journal-cli');
    const liveConfig = demoConfigIn(dir);
    const node = startSequence(['run', '--daemon', '--duration', '4', '--config', liveConfig]);
    await new Promise((r) => setTimeout(r, 1500));
    const tail = startSequence(['journal', 'tail', '-f', '-n', '1', '--json', '--config', liveConfig]);
    let out = '';
    tail.stdout!.on('data', (c) => (out += c));
    await new Promise((r) => node.once('exit', r));
    await new Promise((r) => setTimeout(r, 500));
    tail.kill('SIGINT');
    await new Promise((r) => tail.once('exit', r));
    const seqs = jsonLines(out).map((x) => x.seq);
    expect(seqs.length).toBeGreaterThan(10);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0] + i));
  });

  it('verify reports an intact journal and exits 0; stats counts records by kind', () => {
    const v = sequence(['journal', 'verify', '--config', config]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^journal OK: \d+ records, no gaps/);
    const s = sequence(['journal', 'stats', '--config', config]);
    expect(s.stdout).toMatch(/^records \d+ \(seq 1\.\.\d+\), current term 1/);
    expect(s.stdout).toMatch(/\n\s+order\s+\d+/);
  });

  it('a data directory without a journal is one clear line and exit 2', () => {
    const r = sequence(['journal', 'stats', '--data-dir', tempDir('journal-cli')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^sequence: .*journal/);
  });
});
