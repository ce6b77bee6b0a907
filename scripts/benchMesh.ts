import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshCoordinator } from '../src/node/mesh/meshCoordinator.ts';
import { MeshEdge } from '../src/node/mesh/meshEdge.ts';
import { MeshRouter } from '../src/node/meshRouter.ts';
import { AlgoInstance } from '../src/wasm/algoInstance.ts';
import { compileBundle } from '../src/wasm/loader.ts';
import { summarize } from './stats.ts';
import type { BenchFigure } from './benchOnBook.ts';
import binaryen from 'binaryen';
import { timeBatches } from './timeBatches.ts';

const SECRET = 'bench-secret-of-enough-bytes';

function wat(text: string): Uint8Array<ArrayBuffer> {
  const m = binaryen.parseText(text);
  const bytes = new Uint8Array(m.emitBinary());
  m.dispose();
  return bytes;
}

/** A v1 bundle whose on_book sends one 64-byte message to "receiver", and whose on_message does nothing. */
function meshBundle(): Uint8Array<ArrayBuffer> {
  return wat(`(module
    (import "env" "__seq_send" (func $send (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 2)
    (data (i32.const 7000) "receiver")
    (global $bump (mut i32) (i32.const 1024))
    (func (export "algo_alloc") (param $size i32) (result i32) (local $p i32)
      (local.set $p (global.get $bump))
      (global.set $bump (i32.and (i32.add (i32.add (global.get $bump) (local.get $size)) (i32.const 7)) (i32.const -8)))
      (local.get $p))
    (func (export "algo_on_book") (param i32 i32) (result i32)
      (drop (call $send (i32.const 7000) (i32.const 8) (i32.const 8000) (i32.const 64))) (i32.const 0))
    (func (export "algo_on_fill") (param i32 i32))
    (func (export "algo_on_reject") (param i32))
    (func (export "algo_on_shutdown") (param i32) (result i32) (i32.const 0))
    (func (export "algo_on_message") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0)))`);
}

/**
 * In process: an instance's callback sends a 64-byte message (the __seq_send host call),
 * the router collects it after the callback and delivers it to the receiver's
 * algo_on_message: send to on_message, per message. Baseline: the receiver's
 * algo_on_message call alone, the floor of any delivery. Throughput is 10^9 / median.
 */
export function benchMeshInProcess(quick: boolean): BenchFigure {
  const host = { nowNs: () => 0, log: () => {}, aborted: (_i: unknown, reason: string) => { throw new Error(reason); } };
  const bundle = compileBundle(meshBundle(), 'mesh.wasm', { memoryMaxMib: 64, callbackDeadlineMs: 50 });
  const sender = new AlgoInstance('sender', bundle, 50, host);
  const receiver = new AlgoInstance('receiver', bundle, 50, host);
  const instances = new Map([['sender', sender], ['receiver', receiver]]);
  const router = new MeshRouter((label) => instances.get(label), (d) => receiver.onMessage(d.from, d.payload, d.length));
  const payload = new Uint8Array(64);
  const roundTrip = () => {
    sender.onBook();
    router.collect({ label: 'sender', algo: sender });
    router.deliverNext(true);
  };
  const bare = () => {
    receiver.onMessage('sender', payload, 64);
  };
  const batches = quick ? 300 : 3000;
  timeBatches(batches / 5, 100, roundTrip);
  timeBatches(batches / 5, 100, bare);
  const ours: number[] = [];
  const base: number[] = [];
  for (let round = 0; round < 10; round++) {
    ours.push(...timeBatches(batches / 10, 100, roundTrip));
    base.push(...timeBatches(batches / 10, 100, bare));
  }
  const s = summarize(ours);
  return {
    name: `mesh send to on_message in one node, 64-byte payload (${Math.round(1e9 / s.median).toLocaleString('en-US')} msgs/s at the median)`,
    unit: 'ns',
    ours: s,
    baselineName: 'the receiver\'s algo_on_message call alone',
    baseline: summarize(base),
    goal: 'p99 <= 20 us; >= 100k msgs/s',
  };
}

const ECHO_EDGE = `
import { MeshEdge } from '${join(import.meta.dirname, '..', 'src', 'node', 'mesh', 'meshEdge.ts')}';
const edge = new MeshEdge(process.argv[2], 'echo', '${SECRET}', ['echo'], {
  onMessage: (from, _to, payload) => edge.send('echo', from, payload),
  onNbbo: () => {},
  onLinkChange: (up) => { if (up) process.stdout.write('up\\n'); },
});
edge.start();
process.on('SIGTERM', () => { void edge.stop().then(() => process.exit(0)); });
`;

/**
 * Between two processes over loopback WebSocket, through a coordinator: a message from an
 * edge in this process to an echoing edge in a child process and back; one way is half the
 * round trip. Baseline: the same round trip between two edges in this one process, so the
 * process boundary's share shows.
 */
export async function benchMeshAcrossProcesses(quick: boolean): Promise<BenchFigure> {
  const samples = quick ? 300 : 3000;
  const coordinator = await MeshCoordinator.listen('127.0.0.1', 0, SECRET, { node: 'bench-coordinator' });
  const url = `ws://127.0.0.1:${coordinator.port}`;
  const dir = mkdtempSync(join(tmpdir(), 'sequence-bench-mesh-'));
  const script = join(dir, 'echo.ts');
  writeFileSync(script, ECHO_EDGE);
  const child = spawn(process.execPath, ['--import', 'tsx', script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');

  const measure = async (target: string): Promise<number[]> => {
    let resolveReply: () => void = () => {};
    const edge = new MeshEdge(url, `bench-${target}`, SECRET, [`probe-${target}`], {
      onMessage: () => resolveReply(),
      onNbbo: () => {},
      onLinkChange: () => {},
    });
    edge.start();
    while (!edge.isUp) await new Promise((r) => setTimeout(r, 10));
    const payload = new Uint8Array(64);
    const oneWayUs: number[] = [];
    for (let i = 0; i < samples + 100; i++) {
      const reply = new Promise<void>((resolve) => (resolveReply = resolve));
      const t0 = process.hrtime.bigint();
      edge.send(`probe-${target}`, target, payload);
      await reply;
      if (i >= 100) oneWayUs.push(Number(process.hrtime.bigint() - t0) / 2000);
    }
    await edge.stop();
    return oneWayUs;
  };

  const localEcho = new MeshEdge(url, 'local-echo', SECRET, ['local-echo'], {
    onMessage: (from, _to, payload) => localEcho.send('local-echo', from, payload),
    onNbbo: () => {},
    onLinkChange: () => {},
  });
  localEcho.start();
  while (!localEcho.isUp) await new Promise((r) => setTimeout(r, 10));
  const across = await measure('echo');
  const within = await measure('local-echo');
  await localEcho.stop();
  child.kill('SIGTERM');
  await once(child, 'exit');
  await coordinator.close();
  return {
    name: 'mesh message between two processes over loopback WebSocket via the coordinator, one way (half the round trip)',
    unit: 'us',
    ours: summarize(across),
    baselineName: 'same path, both edges in one process',
    baseline: summarize(within),
    goal: 'p99 <= 1 ms',
  };
}
