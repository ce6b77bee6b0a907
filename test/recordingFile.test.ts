import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSource } from '../src/commands/replayCommand.ts';
import { loadConfig } from '../src/node/config.ts';
import { FrameRecorder, readRecording, recordingPath, recordingSource, type RecordingHeader } from '../src/replay/recordingFile.ts';
import { runReplay } from '../src/replay/replayRun.ts';
import { tempDir } from './support/nodeHarness.ts';

const T0 = 1_700_000_000_000_000_000;
const MS = 1_000_000;
const META = { tickSize1e9: 10_000_000, lotSize1e8: 1, minQty1e8: 1, minNotional1e9: 0, pricePrecision: 2, qtyPrecision: 8 };

function header(venue = 'cb'): RecordingHeader {
  return { venue, kind: 'coinbase', depth: 0, symbols: ['BTC/USD'], meta: { 'BTC/USD': META }, startedNs: T0 };
}

function l2(seq: number, type: 'snapshot' | 'update', levels: [string, string, string][]): string {
  const updates = levels.map(([side, px, qty]) => `{"side":"${side}","event_time":"2023-02-09T20:32:50Z","price_level":"${px}","new_quantity":"${qty}"}`);
  return `{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50Z","sequence_num":${seq},"events":[{"type":"${type}","product_id":"BTC-USD","updates":[${updates.join(',')}]}]}`;
}

/** A market that drifts down and up again around 100, so a maker quoting it gets filled both ways. */
function market(): string[] {
  const frames = [l2(0, 'snapshot', [['bid', '100.00', '1'], ['offer', '100.50', '1']])];
  let bid = 10000;
  for (let i = 1; i <= 400; i++) {
    const step = i % 80 < 40 ? -5 : 5;
    frames.push(l2(i, 'update', [['bid', (bid / 100).toFixed(2), '0'], ['offer', ((bid + 50) / 100).toFixed(2), '0']]));
    bid += step;
    frames.push(l2(i, 'update', [['bid', (bid / 100).toFixed(2), '1'], ['offer', ((bid + 50) / 100).toFixed(2), '1']]));
  }
  return frames;
}

function record(dir: string, frames: string[], maxBytes = 10_000_000): FrameRecorder {
  const recorder = new FrameRecorder(recordingPath(dir, 'cb'), header(), maxBytes, () => {});
  frames.forEach((f, i) => recorder.record(i % 2 === 0 ? f : Buffer.from(f), T0 + i * 10 * MS));
  recorder.close();
  return recorder;
}

describe('the market-data recording', () => {
  it('reads back every frame byte for byte with its receive time, and the venue header', () => {
    const dir = tempDir('rec');
    const frames = market();
    record(dir, frames);
    const file = readRecording(recordingPath(dir, 'cb'));
    expect(file.header).toEqual(header());
    const read = [...file.frames()];
    expect(read.map((f) => f.frame.toString())).toEqual(frames);
    expect(read.map((f) => f.recvNs)).toEqual(frames.map((_, i) => T0 + i * 10 * MS));
  });

  it('stops at its size limit, says so once, and keeps the frames before it', () => {
    const dir = tempDir('rec');
    const frames = market();
    let limits = 0;
    const recorder = new FrameRecorder(recordingPath(dir, 'cb'), header(), 5_000, () => limits++);
    for (const f of frames) recorder.record(f, T0);
    expect(limits).toBe(1);
    expect(recorder.stopped).toBe(true);
    expect(statSync(recordingPath(dir, 'cb')).size).toBeLessThanOrEqual(5_000);
    expect([...readRecording(recordingPath(dir, 'cb')).frames()].length).toBe(recorder.frames);
    expect(recorder.frames).toBeGreaterThan(0);
  });

  it('reads a file cut short by a crash up to its last whole frame', () => {
    const dir = tempDir('rec');
    const frames = market().slice(0, 3);
    record(dir, frames);
    const path = recordingPath(dir, 'cb');
    truncateSync(path, statSync(path).size - 5);
    expect([...readRecording(path).frames()].map((f) => f.frame.toString())).toEqual(frames.slice(0, 2));
  });

  it('refuses to overwrite a recording, a limit below its header, a damaged header and a damaged length, each with a clear error', () => {
    const dir = tempDir('rec');
    record(dir, market().slice(0, 2));
    const path = recordingPath(dir, 'cb');
    expect(() => new FrameRecorder(path, header(), 1_000, () => {})).toThrow(/EEXIST/);
    expect(() => new FrameRecorder(join(dir, 'x.rec'), header(), 10, () => {})).toThrow(/smaller than its header/);
    const badHeader = join(dir, 'bad.rec');
    writeFileSync(badHeader, 'SEQREC1\n{"venue":"cb","kind":"binance"}\n');
    expect(() => readRecording(badHeader)).toThrow(/"kind" must be "kraken" or "coinbase"/);
    const badLength = join(dir, 'len.rec');
    writeFileSync(badLength, readFileSync(path).subarray(0, readFileSync(path).indexOf(10, 8) + 1));
    appendFileSync(badLength, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]));
    expect(() => [...readRecording(badLength).frames()]).toThrow(/a frame of 4294967295 bytes/);
    expect(() => recordingSource(tempDir('empty'))).toThrow(/no recordings/);
    expect(() => openSource(join(dir, 'missing'))).toThrow(/no such file or directory/);
  });

  it('replays a recorded Coinbase venue through the maker, the same way twice', async () => {
    const dir = tempDir('rec-replay');
    record(dir, market());
    const file = join(dir, 'Sequence.toml');
    writeFileSync(
      file,
      `
[venues.cb]
kind = "coinbase"

[deploy.maker]
venue = "cb"
label = "maker"
symbols = ["BTC/USD"]
bundle = "${resolve('algos/maker/build/maker.wasm')}"

[deploy.maker.params]
spread_bps = 10
quote_qty = "0.1"
`,
    );
    const config = loadConfig(file);
    const a = await runReplay(config, openSource(dir), { outDir: join(dir, 'a'), latencyMs: 1 });
    const b = await runReplay(config, openSource(recordingPath(dir, 'cb')), { outDir: join(dir, 'b'), latencyMs: 1 });
    expect(a.frames).toBe(801);
    expect(a.instances[0].orders).toBeGreaterThan(0);
    expect(a.instances[0].fills).toBeGreaterThan(0);
    expect({ ...b, source: '' }).toEqual({ ...a, source: '' });
  }, 60_000);
});
