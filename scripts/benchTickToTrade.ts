import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LatencyTraceFile } from '../src/node/latencyTrace.ts';
import type { KrakenEmulatorUrls } from '../src/venues/kraken/emulator/krakenEmulator.ts';
import type { BenchFigure } from './benchOnBook.ts';
import { percentile, summarize, type Summary } from './stats.ts';
import type { BotConfig } from './tickToTrade/ccxtBot.ts';
import { BenchChild, rssBytes } from './tickToTrade/benchChild.ts';
import { demoRss, emulatorsDemo, simDemo } from './tickToTrade/demoRss.ts';
import { instanceSymbols, startNode, type MakerParams } from './tickToTrade/nodeRunner.ts';
import { pairFramesToOrders } from './tickToTrade/pairSamples.ts';
import { STAGE_SPANS, WHOLE_PATH, stageBreakdown } from './tickToTrade/stageBreakdown.ts';
import { TickDriver } from './tickToTrade/tickDriver.ts';

// Tick-to-trade on loopback (issue 8): the Kraken emulator, in this process, writes a book
// update that makes the example maker re-quote; a sample is the time from the emulator
// writing that frame to the emulator receiving the resulting order (a WebSocket add_order's
// message event, or a REST AddOrder's arrival before its body is read), both on this
// process's clock. In between: the node's Kraken feed (scan, apply, checksum), the engine,
// the WASM maker, the risk gate, the write-ahead journal, and the adapter's order entry on
// the private WebSocket, which sends the replaced quote's cancel and the new order back to
// back. The baseline is the same quoting rule as a ccxt.pro script
// (scripts/tickToTrade/ccxtBot.ts), which cancels and then places over REST, fed the same
// frames by the same emulator in the same run; the node is also run with order_entry
// "rest" (ccxt REST, private calls one at a time by Kraken's nonce rule). The node's own trace (src/node/latencyTrace.ts)
// splits the in-process part of the same samples into stages; the scale runs repeat the
// measurement with 1, 4 and 16 maker instances over 1, 10 and 50 symbols, with the node's
// RSS; the demos' RSS is read from `sequence run --daemon` on Sequence.toml and on
// Sequence.emulators.toml.
//
// Run alone: node --import tsx scripts/benchTickToTrade.ts [--quick]

const ROOT = join(import.meta.dirname, '..');
const BOT = join(ROOT, 'scripts', 'tickToTrade', 'ccxtBot.ts');
/** Wide enough that the maker's quotes rest behind the synthetic book, so they never move the mid they are priced from. */
const MAKER: MakerParams = { spreadBps: 20, quoteQty: '0.01', requoteTicks: 10 };
/** A client's first re-quotes, from process start (tsx compiling, ccxt loading markets, the node reconciling). */
const READY_TIMEOUT_MS = 120_000;
/** While waiting for a client to quote, a move this often. */
const READY_POLL_MS = 500;
/** One step's re-quotes; a step past this counts as incomplete. */
const STEP_TIMEOUT_MS = 10_000;
/** Pause after a step's re-quotes arrived, so their answers and book echoes are handled before the next move. */
const SETTLE_MS = 8;
const RSS_PERIOD_MS = 500;
const MIB = 1024 * 1024;
/** The goal for the demo's memory. */
const DEMO_RSS_GOAL_MIB = 250;

export interface RunPlan {
  warmupSteps: number;
  steps: number;
}

export interface ClientRun {
  /** Tick-to-trade per answered driven frame, ns on the emulator's clock. */
  latenciesNs: number[];
  /** Driven frames (of quoted symbols) no AddOrder answered in their window. */
  unanswered: number;
  /** With one symbol: from the frame to the first order request of any kind (the replaced quote's cancel), ns. */
  firstRequestNs: number[];
  /** Steps whose expected re-quotes did not all arrive in time. */
  incomplete: number;
  /** The client's RSS, sampled while it ran, bytes. */
  rssBytes: number[];
}

/** AddOrders one move causes per symbol: a bid and an ask per quoting instance. */
function expectedOrders(traded: readonly string[]): Map<string, number> {
  const expected = new Map<string, number>();
  for (const symbol of traded) expected.set(symbol, (expected.get(symbol) ?? 0) + 2);
  return expected;
}

/** Drives `plan` against a started client: its first quotes, warm-up steps, then recorded steps. */
async function measureClient(driver: TickDriver, client: BenchChild, traded: readonly string[], plan: RunPlan): Promise<ClientRun> {
  const expected = expectedOrders(traded);
  const alive = () => client.checkAlive();
  // A client quotes on a book that arrives once it trades (the node ignores books while it
  // starts): move until one move's re-quotes all arrive.
  const readyBy = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    driver.move();
    if (await driver.waitForOrders(expected, READY_POLL_MS, alive)) break;
    if (Date.now() > readyBy) throw new Error(`${client.name} placed no quotes within ${READY_TIMEOUT_MS} ms: ${client.stderr.slice(-4000)}`);
  }
  const options = { settleMs: SETTLE_MS, stepTimeoutMs: STEP_TIMEOUT_MS, alive };
  await driver.run(plan.warmupSteps, expected, { ...options, record: false });
  driver.clearMarks();
  const rss: number[] = [rssBytes(client.pid)];
  const sampler = setInterval(() => {
    try {
      rss.push(rssBytes(client.pid));
    } catch (error) {
      // Gone from /proc: the child exited, which the step loop's alive() check reports.
      if (!client.exited) throw error;
    }
  }, RSS_PERIOD_MS);
  let incomplete: number;
  try {
    ({ incomplete } = await driver.run(plan.steps, expected, { ...options, record: true }));
  } finally {
    clearInterval(sampler);
  }
  const quoted = new Set(traded);
  const pairing = pairFramesToOrders(
    driver.frames.filter((f) => quoted.has(f.symbol)),
    driver.orders,
  );
  // Requests carry no symbol until their body is read: paired only when there is one symbol.
  const firstRequestNs =
    driver.symbols.length === 1 ? pairFramesToOrders(driver.frames.map((f) => ({ symbol: '', atNs: f.atNs })), driver.orderRequests).latenciesNs : [];
  return { latenciesNs: pairing.latenciesNs, unanswered: pairing.unanswered, firstRequestNs, incomplete, rssBytes: rss };
}

export interface NodeRunOptions {
  instances: number;
  plan: RunPlan;
  /** Where the node writes its latency trace; none when absent. */
  tracePath?: string;
  /** Busy wait at the node's gateway handoff (SEQUENCE_LATENCY_INJECT_US). */
  injectUs?: number;
  /** Default "ws": orders over the private WebSocket. */
  orderEntry?: 'ws' | 'rest';
}

/** The node on `driver`'s emulator: `instances` makers over the emulator's symbols, measured, then stopped. */
export async function measureNode(driver: TickDriver, urls: KrakenEmulatorUrls, o: NodeRunOptions): Promise<ClientRun> {
  const dir = mkdtempSync(join(tmpdir(), 'seq-tick-to-trade-'));
  const env: Record<string, string> = { KRAKEN_API_KEY: driver.credentials.apiKey, KRAKEN_API_SECRET: driver.credentials.secret };
  if (o.tracePath !== undefined) env.SEQUENCE_LATENCY_TRACE = o.tracePath;
  if (o.injectUs !== undefined) env.SEQUENCE_LATENCY_INJECT_US = String(o.injectUs);
  const config = { dir, restUrl: urls.restUrl, wsUrl: urls.wsUrl, wsAuthUrl: urls.wsAuthUrl, instances: o.instances, symbols: driver.symbols, maker: MAKER, orderEntry: o.orderEntry ?? 'ws' };
  const node = startNode(config, env);
  try {
    return await measureClient(driver, node, instanceSymbols(o.instances, driver.symbols), o.plan);
  } finally {
    const code = await node.stop();
    rmSync(dir, { recursive: true, force: true });
    if (code !== 0 && code !== null) process.stderr.write(`tick-to-trade: ${node.name} exited with code ${code}: ${node.stderr.slice(-2000)}\n`);
  }
}

/** The ccxt.pro bot on `driver`'s emulator, quoting its first symbol. */
export async function measureBot(driver: TickDriver, urls: KrakenEmulatorUrls, plan: RunPlan): Promise<ClientRun> {
  const symbol = driver.symbols[0] as string;
  const config: BotConfig = { restUrl: urls.restUrl, wsUrl: urls.wsUrl, symbol, spreadBps: MAKER.spreadBps, quoteQty: MAKER.quoteQty, requoteTicks: MAKER.requoteTicks };
  const child = spawn(process.execPath, ['--import', 'tsx', BOT, JSON.stringify(config)], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, KRAKEN_API_KEY: driver.credentials.apiKey, KRAKEN_API_SECRET: driver.credentials.secret },
  });
  const bot = new BenchChild(child, 'the ccxt.pro bot');
  try {
    return await measureClient(driver, bot, [symbol], plan);
  } finally {
    await bot.stop();
  }
}

/** Starts an emulator with `markets` symbols, runs `body`, stops it. */
export async function withDriver<T>(markets: number, body: (driver: TickDriver, urls: KrakenEmulatorUrls) => Promise<T>): Promise<T> {
  const driver = new TickDriver(markets);
  const urls = await driver.start();
  try {
    return await body(driver, urls);
  } finally {
    await driver.stop();
  }
}

const us = (ns: readonly number[]) => ns.map((v) => v / 1000);
const mib = (bytes: readonly number[]) => bytes.map((v) => v / MIB);

function checkRun(name: string, run: ClientRun, plan: RunPlan): void {
  // A few unanswered frames (a step that timed out) are reported; most of a run unanswered is a broken run.
  if (run.latenciesNs.length < plan.steps / 2) {
    throw new Error(`${name}: only ${run.latenciesNs.length} of ${plan.steps} moves were answered (${run.unanswered} unanswered, ${run.incomplete} steps incomplete)`);
  }
}

function p999(samples: readonly number[]): number {
  return percentile([...samples].sort((a, b) => a - b), 0.999);
}

const fmtUs = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** Scale cases: instances x symbols. */
function scaleCases(quick: boolean): Array<[number, number]> {
  if (quick) return [[4, 10]];
  const cases: Array<[number, number]> = [];
  for (const instances of [1, 4, 16]) for (const symbols of [1, 10, 50]) cases.push([instances, symbols]);
  return cases;
}

export async function benchTickToTrade(quick: boolean): Promise<BenchFigure[]> {
  const plan: RunPlan = quick ? { warmupSteps: 10, steps: 100 } : { warmupSteps: 100, steps: 3000 };
  const scalePlan: RunPlan = quick ? { warmupSteps: 5, steps: 40 } : { warmupSteps: 20, steps: 200 };
  const traceDir = mkdtempSync(join(tmpdir(), 'seq-latency-trace-'));
  const tracePath = join(traceDir, 'trace.json');
  let trace: LatencyTraceFile;
  const restPlan: RunPlan = { warmupSteps: plan.warmupSteps, steps: Math.ceil(plan.steps / 3) };
  const { node, bot, rest } = await withDriver(1, async (driver, urls) => {
    const node = await measureNode(driver, urls, { instances: 1, plan, tracePath });
    const bot = await measureBot(driver, urls, plan);
    const rest = await measureNode(driver, urls, { instances: 1, plan: restPlan, orderEntry: 'rest' });
    return { node, bot, rest };
  });
  try {
    trace = JSON.parse(readFileSync(tracePath, 'utf8')) as LatencyTraceFile;
  } finally {
    rmSync(traceDir, { recursive: true, force: true });
  }
  checkRun('the node', node, plan);
  checkRun('the ccxt.pro bot', bot, plan);
  checkRun('the node with order_entry "rest"', rest, restPlan);

  const ours = summarize(us(node.latenciesNs));
  const base = summarize(us(bot.latenciesNs));
  const figures: BenchFigure[] = [
    {
      name: `tick-to-trade on loopback (frame written to the order's arrival, emulator clock; ${ours.n} samples): p99.9 ${fmtUs(p999(us(node.latenciesNs)))} us vs ${fmtUs(p999(us(bot.latenciesNs)))} us; p99 ratio ${(ours.p99 / base.p99).toFixed(2)}x`,
      unit: 'us',
      ours,
      baselineName: 'the same quoting in a ccxt.pro script (watchOrderBook, cancelOrder, createOrder)',
      baseline: base,
      goal: 'p50 and p99 >= 5x lower than the script (ratio <= 0.20)',
    },
  ];

  const restSummary = summarize(us(rest.latenciesNs));
  figures.push({
    name: `tick-to-trade, the node with order_entry = "rest" (orders through ccxt REST, one call at a time; ${restSummary.n} samples, after the script)`,
    unit: 'us',
    ours: restSummary,
    baselineName: 'the same quoting in a ccxt.pro script (the first figure)',
    baseline: base,
    goal: 'data: what the private WebSocket saves',
  });

  const firstOurs = summarize(us(node.firstRequestNs));
  figures.push({
    name: `frame written to the first order request arrived (the replaced quote's cancel; p99.9 ${fmtUs(p999(us(node.firstRequestNs)))} us vs ${fmtUs(p999(us(bot.firstRequestNs)))} us)`,
    unit: 'us',
    ours: firstOurs,
    baselineName: 'the ccxt.pro script, same frames',
    baseline: summarize(us(bot.firstRequestNs)),
    goal: 'data: the first figure less one cancel round trip',
  });

  const breakdown = stageBreakdown(trace);
  const whole = breakdown.spansUs[STAGE_SPANS.length] as number[];
  if (whole.length === 0) throw new Error('the node wrote a latency trace with no complete sample');
  const wholeSummary = summarize(whole);
  STAGE_SPANS.forEach((span, k) => {
    figures.push({
      name: `in process: ${span.name}`,
      unit: 'us',
      ours: summarize(breakdown.spansUs[k] as number[]),
      baselineName: 'whole in-process path (ratio: its share)',
      baseline: wholeSummary,
      goal: 'data for the next optimisation',
    });
  });
  figures.push({
    name: `in process: ${WHOLE_PATH.name} (${wholeSummary.n} samples, ${breakdown.malformed} malformed, ${trace.overwritten} overwritten)`,
    unit: 'us',
    ours: wholeSummary,
    baselineName: 'tick-to-trade of the same run (ratio: the in-process share)',
    baseline: ours,
    goal: 'p50 <= 15 us, p99 <= 60 us',
  });

  for (const [instances, symbols] of scaleCases(quick)) {
    const run = await withDriver(symbols, (driver, urls) => measureNode(driver, urls, { instances, plan: scalePlan }));
    checkRun(`the node with ${instances} instances on ${symbols} symbols`, run, scalePlan);
    const rss = summarize(mib(run.rssBytes));
    figures.push({
      name: `tick-to-trade, ${instances} instance(s) x ${symbols} symbol(s), every symbol moved each step: node RSS ${rss.max.toFixed(0)} MiB`,
      unit: 'us',
      ours: summarize(us(run.latenciesNs)),
      baselineName: '1 instance x 1 symbol (the first figure)',
      baseline: ours,
      goal: 'how the cost grows',
    });
  }

  const botRss = summarize(mib(bot.rssBytes));
  const seconds = quick ? 1 : 6;
  // Quick mode keeps the sim demo alone: each demo is a node start of a few seconds.
  for (const demo of quick ? [simDemo] : [simDemo, emulatorsDemo]) {
    const rss = summarize(mib(await demoRss(demo, seconds)));
    figures.push({
      name: `node RSS, ${demo.name}: max ${rss.max.toFixed(0)} MiB`,
      unit: 'MiB',
      ours: rss,
      baselineName: 'the ccxt.pro script (one symbol), during its run',
      baseline: botRss,
      goal: `demo < ${DEMO_RSS_GOAL_MIB} MiB`,
    });
  }
  return figures;
}

function printFigures(figures: readonly BenchFigure[]): void {
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  for (const f of figures) {
    const s = (x: Summary) => `median ${fmt(x.median)} p99 ${fmt(x.p99)} ${f.unit}`;
    process.stdout.write(`${f.name}\n  ours: ${s(f.ours)}\n  ${f.baselineName}: ${s(f.baseline)}\n  ratio ${(f.ours.median / f.baseline.median).toFixed(2)}x; goal: ${f.goal}\n`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printFigures(await benchTickToTrade(process.argv.includes('--quick')));
}
