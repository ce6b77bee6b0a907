import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreState } from '../src/node/coreState.ts';
import { Journal } from '../src/node/journal/journal.ts';
import type { TradingMessage } from '../src/node/tradingMessage.ts';
import { OrderType } from '../src/wasm/abi.ts';
import type { BenchFigure } from './benchOnBook.ts';
import { summarize } from './stats.ts';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'sequence.js');
const TS = 1_700_000_000_000_000_000;
const PX = 60_000_000_000_000;

// ---------------------------------------------------------------------------------------
// Bootstrap

/**
 * The journal a maker and its hedger leave behind, record by record: each cycle the maker
 * replaces one side's quote (order, ack, and the old quote's canceled); every fourth new
 * quote is filled instead of replaced, and the fill goes over the mesh to the hedger, which
 * sends an IOC that is acked and filled. Client order ids are `<label>.<algo id>.<request>`.
 */
export function* makerTraffic(): Generator<TradingMessage> {
  let request = 0;
  let ts = TS;
  const live: (string | undefined)[] = [undefined, undefined];
  for (let cycle = 0; ; cycle++) {
    const sideIndex = cycle & 1;
    const side = sideIndex === 0 ? 1 : -1;
    const algoId = sideIndex + 1;
    const id = `maker.${algoId}.${++request}`;
    const px1e9 = PX + side * -150_000_000 + (cycle % 50) * 100_000_000;
    const previous = live[sideIndex];
    yield { kind: 'order', tsNs: ++ts, label: 'maker', venue: 'sim_a', symbol: 'BTC/USD', algoOrderId: algoId, clientOrderId: id, side, px1e9, qty1e8: 1_000_000, orderType: OrderType.PostOnly, replaces: previous ?? '' };
    yield { kind: 'ack', clientOrderId: id, venueOrderId: `sim_a-${request}`, tsNs: ++ts };
    if (previous !== undefined) yield { kind: 'canceled', clientOrderId: previous, reason: 'replaced', tsNs: ++ts };
    if (cycle % 4 === 3) {
      yield { kind: 'fill', clientOrderId: id, fillId: `sim_a-f${request}`, px1e9, qty1e8: 1_000_000, fee1e9: 0, liquidity: 'maker', tsNs: ++ts };
      yield { kind: 'mesh', tsNs: ++ts, from: 'maker', to: 'hedger', payload: Uint8Array.from({ length: 24 }, (_, k) => (k + cycle) & 0xff) };
      const hedge = `hedger.${cycle}.${++request}`;
      yield { kind: 'order', tsNs: ++ts, label: 'hedger', venue: 'sim_b', symbol: 'BTC/USD', algoOrderId: cycle, clientOrderId: hedge, side: -side as 1 | -1, px1e9: px1e9 - side * 500_000_000, qty1e8: 1_000_000, orderType: OrderType.Ioc, replaces: '' };
      yield { kind: 'ack', clientOrderId: hedge, venueOrderId: `sim_b-${request}`, tsNs: ++ts };
      yield { kind: 'fill', clientOrderId: hedge, fillId: `sim_b-f${request}`, px1e9, qty1e8: 1_000_000, fee1e9: 30_000_000, liquidity: 'taker', tsNs: ++ts };
      live[sideIndex] = undefined;
    } else {
      live[sideIndex] = id;
    }
  }
}

/** With no asynchronous writes pending, lmdb closes the environment before close() returns. */
function closeNow(closing: Promise<void>): void {
  closing.catch((error: unknown) => {
    throw error;
  });
}

/**
 * Bootstrap's core on a journal of 1,000,000 records (100,000 with --quick): open the
 * journal, read and decode every record and apply it to a fresh CoreState, per record, in
 * batches of 10,000. Baseline: the same read and decode (journal.records()) without the
 * apply, interleaved with ours. The figure's name carries the whole journal's time, open
 * included, from the first (JIT-cold) pass, as a node starting up would see it.
 */
export function benchBootstrap(quick: boolean): BenchFigure {
  const count = quick ? 100_000 : 1_000_000;
  const batch = 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'sequence-bench-bootstrap-'));
  try {
    const writer = Journal.open(dir);
    writer.beginTerm(1);
    const traffic = makerTraffic();
    const writeStart = performance.now();
    for (let k = 0; k < count; k++) writer.append(1, traffic.next().value as TradingMessage);
    const writeS = (performance.now() - writeStart) / 1000;
    closeNow(writer.close());

    const oursSamples: number[] = [];
    const baseSamples: number[] = [];
    const wholeS: number[] = [];
    let finalLive = -1;
    const pass = (apply: boolean): number[] => {
      const t0 = process.hrtime.bigint();
      const journal = Journal.open(dir, { readOnly: true });
      const core = new CoreState();
      const samples: number[] = [];
      let inBatch = 0;
      let seen = 0;
      let tb = process.hrtime.bigint();
      for (const record of journal.records()) {
        if (apply) core.apply(record.message);
        seen++;
        if (++inBatch === batch) {
          const now = process.hrtime.bigint();
          samples.push(Number(now - tb) / batch);
          tb = now;
          inBatch = 0;
        }
      }
      if (apply) {
        wholeS.push(Number(process.hrtime.bigint() - t0) / 1e9);
        finalLive = core.oms.liveCount;
        if (core.oms.anomalies !== 0) throw new Error(`the replay found ${core.oms.anomalies} anomalies: the generated traffic is not what a maker journals`);
      }
      closeNow(journal.close());
      if (seen !== count) throw new Error(`read ${seen} records of ${count}`);
      return samples;
    };
    const rounds = quick ? 2 : 3;
    for (let round = 0; round < rounds; round++) {
      oursSamples.push(...pass(true));
      baseSamples.push(...pass(false));
    }
    if (finalLive !== 2) throw new Error(`expected the maker's two live quotes after the replay, found ${finalLive}`);
    const label = count >= 1_000_000 ? `${count / 1_000_000}M` : `${count / 1000}k`;
    return {
      name: `Bootstrap replay, ${label}-record journal, per record (whole journal: ${wholeS[0].toFixed(2)} s cold, ${Math.min(...wholeS).toFixed(2)} s best; writing it: ${writeS.toFixed(1)} s)`,
      unit: 'ns',
      ours: summarize(oursSamples),
      baselineName: 'read + decode only (journal.records())',
      baseline: summarize(baseSamples),
      goal: 'none set (the whole-journal time is in the name)',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Failover

const LEASE_TTL_MS = 1000;

/** The repository's demo config in `dir`: bundles from the repository, data in `dir`, a 1 s lease. */
function demoConfig(dir: string): string {
  const toml = readFileSync(join(ROOT, 'Sequence.toml'), 'utf8')
    .replace(/^data_dir = .*$/m, `data_dir = "${join(dir, 'data')}"`)
    .replace(/bundle = "algos\//g, `bundle = "${join(ROOT, 'algos')}/`)
    .replace('[node]\n', `[node]\nlease_ttl_ms = ${LEASE_TTL_MS}\n`);
  const file = join(dir, 'Sequence.toml');
  writeFileSync(file, toml);
  return file;
}

interface Arrival {
  event: Record<string, unknown>;
  /** performance.now() in this process when the line arrived. */
  atMs: number;
}

/** A `sequence run --daemon` child; each JSON line is kept with its arrival time here. */
class Node {
  readonly arrivals: Arrival[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  private stderr = '';
  private buffered = '';

  constructor(config: string) {
    this.child = spawn(process.execPath, [CLI, 'run', '--daemon', '--config', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const atMs = performance.now();
      this.buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        if (line.trim() !== '') this.arrivals.push({ event: JSON.parse(line) as Record<string, unknown>, atMs });
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
  }

  /** The first arrival from index `from` on that matches; fails after timeoutMs with what was seen. */
  async waitFor(match: (e: Record<string, unknown>) => boolean, timeoutMs: number, from = 0): Promise<Arrival & { index: number }> {
    const deadline = performance.now() + timeoutMs;
    for (let scanned = from; ; ) {
      for (; scanned < this.arrivals.length; scanned++) {
        if (match(this.arrivals[scanned].event)) return { ...this.arrivals[scanned], index: scanned };
      }
      if (performance.now() > deadline || this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`failover bench: event not seen within ${timeoutMs} ms (exit ${this.child.exitCode ?? this.child.signalCode}); last events: ${JSON.stringify(this.arrivals.slice(-3).map((a) => a.event))}; stderr: ${this.stderr.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

const isRole = (role: string) => (e: Record<string, unknown>) => e.type === 'node_role' && e.role === role;
const isOrder = (e: Record<string, unknown>) => e.type === 'order';

/**
 * Failover: a Leader and a Follower (`sequence run --daemon`, the demo config with a 1 s
 * lease) on one data directory; once the Leader is trading and the Follower follows, after
 * a random 0..300 ms (so the kill lands anywhere in the 200 ms renew period) the Leader is
 * killed with SIGKILL at t0, and ours is the time until the Follower's first `order` event
 * after its `node_role: leader` event, by arrival time in this process. The runs are
 * chained: the Follower that took over is the next run's Leader, with a new Follower.
 * Baseline: for the same run, t0 until the expiry the killed Leader last wrote into
 * lease.json, the earliest moment any Follower may take over.
 */
export async function benchFailover(quick: boolean): Promise<BenchFigure> {
  const runs = quick ? 3 : 20;
  const dir = mkdtempSync(join(tmpdir(), 'sequence-bench-failover-'));
  const config = demoConfig(dir);
  const nodes: Node[] = [];
  const start = () => {
    const node = new Node(config);
    nodes.push(node);
    return node;
  };
  const toFirstOrder: number[] = [];
  const toExpiry: number[] = [];
  const toRole: number[] = [];
  try {
    let leader = start();
    await leader.waitFor(isRole('leader'), 30_000);
    for (let run = 0; run < runs; run++) {
      const follower = start();
      await follower.waitFor(isRole('follower'), 30_000);
      const leading = await leader.waitFor(isRole('leader'), 30_000);
      await leader.waitFor(isOrder, 30_000, leading.index);
      await new Promise((r) => setTimeout(r, Math.random() * 300));
      const t0 = performance.now();
      const t0WallMs = Date.now();
      leader.child.kill('SIGKILL');
      await leader.exited;
      // The dead Leader's last renewal is final now.
      const lease = JSON.parse(readFileSync(join(dir, 'data', 'lease.json'), 'utf8')) as { expires_at_ms: number };
      const takeover = await follower.waitFor(isRole('leader'), 15_000);
      const firstOrder = await follower.waitFor(isOrder, 15_000, takeover.index);
      toExpiry.push(lease.expires_at_ms - t0WallMs);
      toRole.push(takeover.atMs - t0);
      toFirstOrder.push(firstOrder.atMs - t0);
      leader = follower;
    }
  } finally {
    for (const node of nodes) await node.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  const role = summarize(toRole);
  return {
    name: `failover: kill -9 of the Leader to the Follower's first order (lease ${LEASE_TTL_MS} ms, ${runs} runs; node_role leader at p50 ${role.median.toFixed(0)} / p99 ${role.p99.toFixed(0)} ms)`,
    unit: 'ms',
    ours: summarize(toFirstOrder),
    baselineName: 'kill to the lease expiry in lease.json',
    baseline: summarize(toExpiry),
    goal: `p99 <= lease time + 250 ms (${LEASE_TTL_MS + 250} ms)`,
  };
}
