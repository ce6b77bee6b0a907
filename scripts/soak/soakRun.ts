import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as control from '../../src/commands/controlCommands.ts';
import { dump } from '../../src/commands/journalCommand.ts';
import { seedFor } from '../../src/venues/sim/prng.ts';
import { fetchLedger } from '../../src/venues/emulator/venueLedger.ts';
import { countByKind, faultSchedule, type FaultKind, type ScheduledFault, type SoakVenue } from './faultSchedule.ts';
import { checkInvariants, type SoakEvidence, type Violation } from './invariants.ts';
import { CLI, EmulatorChild, NodeChild, ROOT, type NodeEventRecord } from './soakProcesses.ts';

// One soak run: both venue emulators, a Leader and a Follower `sequence run --daemon` on
// one data directory trading the demo (maker on Kraken, hedger on Coinbase), and the
// seeded fault schedule executed against them, while the invariants are checked every few
// seconds and once more at the end, after the node has settled and stopped. The runner is
// also the operator: it restarts a node that exited (as the new Follower) and resumes a
// Leader that halted itself on a transient condition, as a person on call would.

export interface SoakOptions {
  seed: number;
  minutes: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Replaces the seeded schedule (a test that injects its own trouble). */
  schedule?: ScheduledFault[];
  /** Runs once a Leader trades beside a Follower, before the first fault. */
  onReady?: (ctx: SoakContext) => Promise<void>;
  /** Keep the work directory (journal, config, keys) even when the run is clean. */
  keepDir?: boolean;
}

export interface SoakVenueUrls {
  restUrl: string;
  urls: ReadonlyMap<string, string>;
}

/** What a hook sees of a running soak. */
export interface SoakContext {
  workDir: string;
  dataDir: string;
  venues: Record<SoakVenue, SoakVenueUrls>;
  /** The *_FILE variables naming the emulators' API keys. */
  keyEnv: Readonly<Record<string, string>>;
  nodes(): readonly NodeChild[];
}

export interface FaultOutcome {
  /** When the schedule put it and when it ran, ms from the soak's start. */
  atMs: number;
  ranAtMs: number;
  fault: FaultKind;
  params: ScheduledFault['params'];
  outcome: 'injected' | 'not applicable' | 'failed' | 'skipped';
  detail: string;
}

export interface SoakResult {
  seed: number;
  minutes: number;
  /** Wall time of the whole run, start-up and settling included. */
  wallMs: number;
  startedAt: string;
  scheduled: Record<FaultKind, number>;
  /** Faults actually injected, by kind. */
  faultCounts: Record<FaultKind, number>;
  notApplicable: Partial<Record<FaultKind, { count: number; reason: string }>>;
  /** Faults whose injection failed or was skipped (the run is not clean when this is non-empty). */
  faultErrors: FaultOutcome[];
  faults: FaultOutcome[];
  /** Leader changes after the first Leader. */
  takeovers: number;
  nodeStarts: number;
  highestTerm: number;
  /** Automatic halts the runner resumed as the operator. */
  resumes: number;
  /** Node events not kept as evidence: past the per-node bound, or lines that were not JSON (0 in a sound run). */
  eventsLost: number;
  /** Times a node reported its journal refusing an append: the full disk taking effect, or a fenced old Leader. */
  journalFailures: number;
  orders: number;
  fills: number;
  journalRecords: number;
  /** Open orders the last Leader reported at its shutdown. */
  openOrdersAtShutdown: number | null;
  checks: number;
  /** Periodic checks skipped because a venue's ledger (during an outage) or the journal could not be read. */
  checksSkipped: number;
  journalVerify: string;
  violations: Violation[];
  firstViolation: (Violation & { seed: number; atSoakMs: number }) | null;
  /** The work directory, when kept (on a violation, an error or keepDir). */
  keptDir: string | null;
}

const EMULATOR_START_MS = 30_000;
const READY_TIMEOUT_MS = 90_000;
const TAKEOVER_TIMEOUT_MS = 30_000;
const PAUSED_EXIT_TIMEOUT_MS = 30_000;
/** A graceful stop of a Leader: its 15 s shutdown timeout plus start-up slack. */
const NODE_STOP_GRACE_MS = 45_000;
const EMULATOR_STOP_GRACE_MS = 10_000;
const TICK_MS = 250;
const CHECK_EVERY_MS = 5_000;
/** A check waits at least this many times its own last duration (each reads all the evidence): checks take at most a tenth of the time. */
const CHECK_DUTY_FACTOR = 10;
/** The runner resumes an automatic halt this long after it happened (the condition has had time to clear). */
const RESUME_AFTER_MS = 3_000;
const RESUME_LOG_EVERY_MS = 15_000;
/** After the last fault: the Leader reconciles and trades this long before the run is stopped. */
const SETTLE_MS = 5_000;
/** A fault later than this past the schedule's end is skipped (a bound on the run's length). */
const LATE_LIMIT_MS = 60_000;
/** A bound on restarts: a node that keeps dying ends the run rather than looping. */
const MAX_NODE_STARTS = 500;
/** With no Leader at all this long, a missing node is restarted anyway (both died). */
const LEADERLESS_RESTART_MS = 10_000;
const FAULT_REQUEST_TIMEOUT_MS = 15_000;
const LEDGER_TIMEOUT_MS = 15_000;
const COMMAND_TIMEOUT_MS = 120_000;
const LEASE_TTL_MS = 1_000;
/** Nothing in the demo hosts a coordinator: maker and hedger run in one node and meet in process. */
const NO_COORDINATOR = 'the demo runs maker and hedger in one node: their mesh is in process, there is no coordinator to restart';

const VENUES: readonly SoakVenue[] = ['kraken', 'coinbase'];
/** Node events worth a progress line (the rest go to the evidence and the kept work directory). */
const NOTABLE_EVENTS: ReadonlySet<string> = new Set(['step_down', 'journal_failure', 'venue_start_failed', 'reconcile_failed', 'anomaly', 'lease_corrupt', 'lease_error', 'tail_failed', 'events_dropped']);

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  if (!Number.isSafeInteger(options.seed)) throw new RangeError(`--seed must be a whole number, got ${options.seed}`);
  if (!(Number.isFinite(options.minutes) && options.minutes > 0)) throw new RangeError(`--minutes must be a positive number, got ${options.minutes}`);
  const workDir = mkdtempSync(join(tmpdir(), `sequence-soak-${options.seed}-`));
  const soak = new Soak(options, workDir);
  let result: SoakResult;
  try {
    result = await soak.run();
  } catch (error) {
    // Kept for whoever investigates: the journal, the config, each node's events.
    soak.writeNodeEvents();
    options.log?.(`the run failed; work directory kept: ${workDir}`);
    throw error;
  } finally {
    await soak.stopEverything();
  }
  const keep = options.keepDir === true || result.violations.length > 0 || result.faultErrors.length > 0;
  if (keep) result.keptDir = workDir;
  else rmSync(workDir, { recursive: true, force: true });
  return result;
}

class Soak {
  private readonly seed: number;
  private readonly durationMs: number;
  private readonly schedule: ScheduledFault[];
  private readonly log: (line: string) => void;
  private readonly dataDir: string;
  private readonly keysDir: string;
  private readonly journalFullFile: string;
  private readonly clockOffsetFile: string;
  private configPath = '';
  private readonly emulators = new Map<SoakVenue, EmulatorChild>();
  private readonly venueUrls = new Map<SoakVenue, SoakVenueUrls>();
  private keyEnv: Record<string, string> = {};
  private readonly nodes: NodeChild[] = [];
  private startMs = 0;
  private wallStartMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private supervising = false;
  private lastStartMs = 0;
  private leaderlessSinceMs = 0;
  private lastResumeTryMs = 0;
  private resumes = 0;
  private resumesUnlogged = 0;
  private lastResumeLogMs = 0;
  private lastCheckMs = 0;
  private lastCheckCostMs = 0;
  private checks = 0;
  private checksSkipped = 0;
  private readonly journal: SoakEvidence['journal'] = [];
  private nextJournalSeq = 1;
  private readonly violations: Violation[] = [];
  private readonly seenViolations = new Set<string>();
  private readonly loggedRoles = new Map<NodeChild, string>();
  private readonly loggedEvents = new Map<NodeChild, number>();
  private fatal: Error | null = null;

  constructor(
    private readonly options: SoakOptions,
    private readonly workDir: string,
  ) {
    this.seed = options.seed;
    this.durationMs = Math.round(options.minutes * 60_000);
    this.schedule = options.schedule ?? faultSchedule(options.seed, this.durationMs);
    const log = options.log ?? (() => {});
    this.log = (line) => log(`[seed ${this.seed} ${this.startMs === 0 ? 'start' : `+${((Date.now() - this.startMs) / 1000).toFixed(1)}s`}] ${line}`);
    this.dataDir = join(workDir, 'data');
    this.keysDir = join(workDir, 'keys');
    this.journalFullFile = join(workDir, 'fault-journal-full');
    this.clockOffsetFile = join(workDir, 'fault-clock-offset-ms');
  }

  async run(): Promise<SoakResult> {
    this.wallStartMs = Date.now();
    const startedAt = new Date(this.wallStartMs).toISOString();
    this.log(`${this.schedule.length} faults scheduled over ${this.options.minutes} min; work directory ${this.workDir}`);
    await this.startEmulators();
    this.writeConfig();
    writeFileSync(this.clockOffsetFile, '0\n');
    const firstNode = this.startNode();
    await this.waitUntil(() => this.leader() !== null || !firstNode.running, READY_TIMEOUT_MS, 'first node to lead');
    if (!firstNode.running) throw new Error(`the first node exited (code ${firstNode.exitCode}, signal ${firstNode.exitSignal}) before it led: ${firstNode.stderr.slice(-2000)}`);
    this.startNode();
    this.supervising = true;
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    await this.waitReady('start-up');
    // The soak's clock (fault times, violation times) starts here; a hook's trouble is part of the soak.
    this.startMs = Date.now();
    await this.options.onReady?.(this.context());
    this.log('faults start');
    const outcomes: FaultOutcome[] = [];
    for (const fault of this.schedule) {
      this.throwIfFatal();
      const waitMs = this.startMs + fault.atMs - Date.now();
      if (waitMs > 0) await this.idle(waitMs);
      const ranAtMs = Date.now() - this.startMs;
      if (ranAtMs > this.durationMs + LATE_LIMIT_MS) {
        outcomes.push({ atMs: fault.atMs, ranAtMs, fault: fault.fault, params: fault.params, outcome: 'skipped', detail: `more than ${LATE_LIMIT_MS} ms past the schedule's end` });
        continue;
      }
      outcomes.push(await this.inject(fault, ranAtMs));
    }
    const restMs = this.startMs + this.durationMs - Date.now();
    if (restMs > 0) await this.idle(restMs);

    this.log('faults over: settling');
    this.resetHooks();
    if (await this.waitReady('the end of the faults')) this.log(`settled: ${this.describeNodes()}`);
    await this.idle(SETTLE_MS);
    await this.check();

    const shutdown = await this.stopNodes();
    const evidence = await this.finalEvidence();
    this.writeNodeEvents();
    const verify = await this.cli(['journal', 'verify', '--data-dir', this.dataDir]);
    if (verify.code !== 0) this.violate('journal verifies', verify.stdout.trim() || verify.stderr.trim());
    for (const v of checkInvariants(evidence)) this.record(v);
    this.log(`final check: ${this.violations.length} violation(s)`);

    const journalTypes = evidence.journal.map((r) => (r as { type?: unknown }).type);
    const injected = outcomes.filter((o) => o.outcome === 'injected');
    const notApplicable: SoakResult['notApplicable'] = {};
    for (const o of outcomes.filter((x) => x.outcome === 'not applicable')) notApplicable[o.fault] = { count: (notApplicable[o.fault]?.count ?? 0) + 1, reason: o.detail };
    const violations = [...this.violations].sort((a, b) => a.atMs - b.atMs);
    const first = violations[0];
    const leaderEvents = this.nodes.flatMap((n) => n.of('node_role').filter((e) => e.role === 'leader'));
    return {
      seed: this.seed,
      minutes: this.options.minutes,
      wallMs: Date.now() - this.wallStartMs,
      startedAt,
      scheduled: countByKind(this.schedule),
      faultCounts: countByKind(injected.map((o) => ({ atMs: o.atMs, fault: o.fault, params: o.params }) as ScheduledFault)),
      notApplicable,
      faultErrors: outcomes.filter((o) => o.outcome === 'failed' || o.outcome === 'skipped'),
      faults: outcomes,
      takeovers: Math.max(0, leaderEvents.length - 1),
      nodeStarts: this.nodes.length,
      highestTerm: Math.max(0, ...this.nodes.map((n) => n.term)),
      resumes: this.resumes,
      eventsLost: this.nodes.reduce((n, node) => n + node.droppedEvents + node.nonJsonLines, 0),
      journalFailures: this.nodes.reduce((n, node) => n + node.of('journal_failure').length, 0),
      orders: journalTypes.filter((t) => t === 'order').length,
      fills: journalTypes.filter((t) => t === 'fill').length,
      journalRecords: evidence.journal.length,
      openOrdersAtShutdown: shutdown,
      checks: this.checks,
      checksSkipped: this.checksSkipped,
      journalVerify: (verify.stdout || verify.stderr).trim(),
      violations,
      firstViolation: first === undefined ? null : { ...first, seed: this.seed, atSoakMs: first.atMs - (this.startMs || this.wallStartMs) },
      keptDir: null,
    };
  }

  /** Kills whatever still runs; safe to call at any point, more than once. */
  async stopEverything(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const n of this.nodes) n.signal('SIGCONT');
    await Promise.all(this.nodes.map((n) => n.stop(NODE_STOP_GRACE_MS)));
    await Promise.all([...this.emulators.values()].map((e) => e.stop(EMULATOR_STOP_GRACE_MS)));
  }

  // ---- set-up --------------------------------------------------------------------------

  private async startEmulators(): Promise<void> {
    mkdirSync(this.keysDir, { recursive: true, mode: 0o700 });
    for (const venue of VENUES) this.emulators.set(venue, new EmulatorChild(venue, seedFor(this.seed, `soak-${venue}`), this.keysDir));
    for (const venue of VENUES) {
      const emulator = this.emulators.get(venue) as EmulatorChild;
      const urls = await emulator.ready(EMULATOR_START_MS);
      const restUrl = urls.get('rest_url');
      if (restUrl === undefined) throw new Error(`the ${venue} emulator printed no rest_url`);
      this.venueUrls.set(venue, { restUrl, urls });
      this.keyEnv = { ...this.keyEnv, ...emulator.keyEnv() };
    }
  }

  /** Sequence.emulators.toml with this run's URLs, data directory, absolute bundles and a short lease. */
  private writeConfig(): void {
    let toml = readFileSync(join(ROOT, 'Sequence.emulators.toml'), 'utf8')
      .replace(/^data_dir = .*$/m, `data_dir = "${this.dataDir}"\nlease_ttl_ms = ${LEASE_TTL_MS}`)
      .replace(/bundle = "algos\//g, `bundle = "${join(ROOT, 'algos')}/`);
    for (const venue of VENUES) {
      const urls = (this.venueUrls.get(venue) as SoakVenueUrls).urls;
      const table = new RegExp(`(\\[venues\\.${venue}\\][\\s\\S]*?)(?=\\n\\[)`);
      toml = toml.replace(table, (block) =>
        block.replace(/^(rest_url|ws_url|ws_auth_url|ws_user_url) = ".*"$/gm, (line, key: string) => (urls.has(key) ? `${key} = "${urls.get(key)}"` : line)),
      );
    }
    this.configPath = join(this.workDir, 'Sequence.toml');
    writeFileSync(this.configPath, toml);
  }

  private context(): SoakContext {
    return {
      workDir: this.workDir,
      dataDir: this.dataDir,
      venues: { kraken: this.venueUrls.get('kraken') as SoakVenueUrls, coinbase: this.venueUrls.get('coinbase') as SoakVenueUrls },
      keyEnv: this.keyEnv,
      nodes: () => this.nodes,
    };
  }

  private startNode(): NodeChild {
    if (this.nodes.length >= MAX_NODE_STARTS) throw new Error(`${MAX_NODE_STARTS} node processes started: the node keeps exiting`);
    const node = new NodeChild(`n${this.nodes.length + 1}`, this.configPath, {
      ...this.keyEnv,
      SEQUENCE_FAULT_JOURNAL_FULL_FILE: this.journalFullFile,
      SEQUENCE_FAULT_CLOCK_OFFSET_FILE: this.clockOffsetFile,
    });
    this.nodes.push(node);
    this.lastStartMs = Date.now();
    this.log(`started node ${node.name} (pid ${node.pid})`);
    return node;
  }

  // ---- the node's state ----------------------------------------------------------------

  private leader(): NodeChild | null {
    let best: NodeChild | null = null;
    for (const n of this.nodes) if (n.running && n.role === 'leader' && (best === null || n.term > best.term)) best = n;
    return best;
  }

  private followers(): NodeChild[] {
    return this.nodes.filter((n) => n.running && n.role === 'follower');
  }

  /** A Leader trading (reconciled) and a Follower beside it; a violation when that takes longer than READY_TIMEOUT_MS. */
  private async waitReady(after: string): Promise<boolean> {
    try {
      await this.waitUntil(() => this.leader()?.phase === 'trading' && this.followers().length > 0, READY_TIMEOUT_MS, 'a trading Leader and a Follower');
      return true;
    } catch (error) {
      this.violate('recovers', `after ${after}: ${(error as Error).message}`);
      return false;
    }
  }

  private async waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      this.throwIfFatal();
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms (${this.describeNodes()})`);
      await sleep(TICK_MS);
    }
  }

  private describeNodes(): string {
    return this.nodes
      .filter((n) => n.running)
      .map((n) => `${n.name} ${n.role}${n.role === 'leader' ? ` term ${n.term} ${n.phase}` : ''}${n.halted ? ` halted${n.haltBy === '' ? '' : ` by ${n.haltBy}`}` : ''}`)
      .join(', ') || 'no node running';
  }

  private throwIfFatal(): void {
    if (this.fatal !== null) throw this.fatal;
  }

  /** Waits ms, or throws as soon as the loop has failed. */
  private async idle(ms: number): Promise<void> {
    const until = Date.now() + ms;
    for (let left = ms; left > 0; left = until - Date.now()) {
      this.throwIfFatal();
      await sleep(Math.min(left, TICK_MS));
    }
    this.throwIfFatal();
  }

  // ---- the loop: supervision, the operator, periodic checks -------------------------

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      this.logRoles();
      this.supervise();
      await this.operate();
      if (this.startMs !== 0 && Date.now() - this.lastCheckMs >= Math.max(CHECK_EVERY_MS, CHECK_DUTY_FACTOR * this.lastCheckCostMs)) await this.check();
    } catch (error) {
      this.fatal ??= error as Error;
    } finally {
      this.ticking = false;
    }
  }

  private logRoles(): void {
    for (const n of this.nodes) {
      const seen = this.loggedEvents.get(n) ?? 0;
      for (let i = seen; i < n.events.length; i++) {
        const e = n.events[i] as NodeEventRecord;
        if (NOTABLE_EVENTS.has(String(e.type))) this.log(`node ${n.name}: ${JSON.stringify(e)}`);
      }
      this.loggedEvents.set(n, n.events.length);
      const now = n.running ? `${n.role}${n.role === 'leader' ? ` term ${n.term}` : ''}` : `exited (code ${n.exitCode}, signal ${n.exitSignal})`;
      if (this.loggedRoles.get(n) === now) continue;
      if (n.running && n.role === 'starting') continue;
      this.loggedRoles.set(n, now);
      this.log(`node ${n.name} (pid ${n.pid}): ${now}`);
    }
  }

  /** Two node processes, always: one that exited is replaced, once a Leader holds the lease (so the new one follows). */
  private supervise(): void {
    if (!this.supervising) return;
    const running = this.nodes.filter((n) => n.running);
    const bad = this.nodes.find((n) => n.exitCode === 2);
    if (bad !== undefined) throw new Error(`node ${bad.name} refused its input (exit 2): ${bad.stderr.slice(-2000)}`);
    if (this.leader() === null) {
      if (this.leaderlessSinceMs === 0) this.leaderlessSinceMs = Date.now();
    } else {
      this.leaderlessSinceMs = 0;
    }
    if (running.length >= 2 || Date.now() - this.lastStartMs < 1_000) return;
    if (this.leaderlessSinceMs !== 0 && Date.now() - this.leaderlessSinceMs < LEADERLESS_RESTART_MS) return;
    this.startNode();
  }

  /** Resumes a Leader that halted itself, once the condition had time to clear; a failing journal needs a restart instead. */
  private async operate(): Promise<void> {
    const leader = this.leader();
    if (!this.supervising || leader === null || !leader.halted || leader.journalFailed || leader.phase !== 'trading') return;
    const now = Date.now();
    if (now - leader.haltedAtMs < RESUME_AFTER_MS || now - this.lastResumeTryMs < RESUME_AFTER_MS) return;
    this.lastResumeTryMs = now;
    const by = leader.haltBy || 'an earlier Leader (inherited from the journal)';
    try {
      await control.resume(this.dataDir, `soak operator: resuming after a halt by ${by}`);
      this.resumes++;
      this.resumesUnlogged++;
      // One line per RESUME_LOG_EVERY_MS at most: a node that keeps halting itself would drown the progress.
      if (now - this.lastResumeLogMs >= RESUME_LOG_EVERY_MS) {
        this.log(`resumed ${leader.name} after a halt by ${by}${this.resumesUnlogged > 1 ? ` (${this.resumesUnlogged} resumes since the last such line)` : ''}`);
        this.lastResumeLogMs = now;
        this.resumesUnlogged = 0;
      }
    } catch (error) {
      this.log(`resume of ${leader.name} refused: ${(error as Error).message}`);
    }
  }

  private async check(): Promise<void> {
    this.lastCheckMs = Date.now();
    try {
      await this.checkOnce();
    } finally {
      this.lastCheckCostMs = Date.now() - this.lastCheckMs;
    }
  }

  private async checkOnce(): Promise<void> {
    let ledgers: SoakEvidence['ledgers'];
    try {
      ledgers = await this.ledgers();
    } catch {
      this.checksSkipped++;
      return;
    }
    if (!this.readJournal()) {
      this.checksSkipped++;
      return;
    }
    this.checks++;
    const before = this.violations.length;
    for (const v of checkInvariants({ ledgers, journal: this.journal, nodeEvents: this.nodeEvents() })) this.record(v);
    if (this.violations.length > before) this.log(`check ${this.checks}: ${this.violations.length - before} new violation(s), first: ${JSON.stringify(this.violations[before])}`);
  }

  private record(v: Violation): void {
    const key = `${v.invariant}\u0000${v.detail}`;
    if (this.seenViolations.has(key)) return;
    this.seenViolations.add(key);
    this.violations.push(v);
  }

  private violate(invariant: string, detail: string): void {
    this.record({ invariant, atMs: Date.now(), detail });
    this.log(`VIOLATION ${invariant}: ${detail}`);
  }

  private async ledgers(): Promise<SoakEvidence['ledgers']> {
    const [kraken, coinbase] = await Promise.all(VENUES.map((v) => withTimeout(fetchLedger((this.venueUrls.get(v) as SoakVenueUrls).restUrl), LEDGER_TIMEOUT_MS, `the ${v} ledger`)));
    return { kraken: kraken as SoakEvidence['ledgers']['kraken'], coinbase: coinbase as SoakEvidence['ledgers']['coinbase'] };
  }

  /** The journal's new records, read in this process the way `sequence journal dump --json` prints them; false when it could not be read. */
  private readJournal(): boolean {
    let text = '';
    try {
      dump(this.dataDir, this.nextJournalSeq, true, (t) => (text += t));
    } catch (error) {
      this.log(`journal not readable for this check: ${(error as Error).message}`);
      return false;
    }
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const record = JSON.parse(line) as SoakEvidence['journal'][number] & { seq: number };
      this.journal.push(record);
      this.nextJournalSeq = record.seq + 1;
    }
    return true;
  }

  private nodeEvents(): SoakEvidence['nodeEvents'] {
    return this.nodes.map((n) => ({ pid: n.pid, events: n.events }));
  }

  // ---- faults ----------------------------------------------------------------------------

  private async inject(fault: ScheduledFault, ranAtMs: number): Promise<FaultOutcome> {
    const base = { atMs: fault.atMs, ranAtMs, fault: fault.fault, params: fault.params };
    this.log(`inject ${fault.fault} ${JSON.stringify(fault.params)}${ranAtMs - fault.atMs > 1_000 ? ` (${ranAtMs - fault.atMs} ms late)` : ''}`);
    try {
      const detail = await this.apply(fault);
      if (detail === null) return { ...base, outcome: 'not applicable', detail: NO_COORDINATOR };
      this.log(`${fault.fault}: ${detail}`);
      return { ...base, outcome: 'injected', detail };
    } catch (error) {
      if (error === this.fatal) throw error;
      const detail = (error as Error).message;
      this.log(`${fault.fault} FAILED: ${detail}`);
      return { ...base, outcome: 'failed', detail };
    }
  }

  /** Carries out one fault; resolves with what happened, or null when it has no target in this deployment. */
  private async apply(fault: ScheduledFault): Promise<string | null> {
    switch (fault.fault) {
      case 'wsDrop':
        await this.venueFault(fault.params.venue, { fault: 'dropConnections' });
        return `${fault.params.venue} dropped every WebSocket`;
      case 'corruptChecksum':
        await this.venueFault('kraken', { fault: 'corruptNextChecksum' });
        return 'kraken corrupts its next book checksum';
      case 'sequenceGap':
        await this.venueFault('coinbase', { fault: 'skipSequence' });
        return 'coinbase skips a sequence number';
      case 'delayedAcks':
        await this.venueFault(fault.params.venue, { fault: 'delayOrderAcks', ms: fault.params.ackDelayMs });
        await sleep(fault.params.holdMs);
        await this.venueFault(fault.params.venue, { fault: 'delayOrderAcks', ms: 0 });
        return `${fault.params.venue} acked orders ${fault.params.ackDelayMs} ms late for ${fault.params.holdMs} ms`;
      case 'lostAck':
        await this.venueFault(fault.params.venue, { fault: 'loseNextOrderAck' });
        return `${fault.params.venue} loses its next order answer`;
      case 'rateLimit':
        await this.venueFault(fault.params.venue, { fault: 'rateLimitNext', n: fault.params.n });
        return `${fault.params.venue} rate-limits its next ${fault.params.n} order call(s)`;
      case 'emulatorRestart':
        await this.venueFault(fault.params.venue, { fault: 'outage', ms: fault.params.outageMs });
        await sleep(fault.params.outageMs);
        return `${fault.params.venue} unreachable for ${fault.params.outageMs} ms, back with its orders`;
      case 'leaderKill':
        return this.killLeader();
      case 'leaderPause':
        return this.pauseLeader(fault.params.pausedMs);
      case 'coordinatorRestart':
        return null;
      case 'journalFull':
        return this.fillJournal(fault.params.holdMs);
      case 'clockJump':
        return this.jumpClock(fault.params.offsetMs, fault.params.holdMs);
    }
  }

  private async venueFault(venue: SoakVenue, body: Record<string, unknown>): Promise<void> {
    const restUrl = (this.venueUrls.get(venue) as SoakVenueUrls).restUrl;
    const res = await withTimeout(
      fetch(`${restUrl}/_emulator/fault`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      FAULT_REQUEST_TIMEOUT_MS,
      `the ${venue} fault request`,
    );
    if (!res.ok) throw new Error(`${venue} refused fault ${JSON.stringify(body)}: ${res.status} ${await res.text()}`);
  }

  /** The Leader and its Follower, once both are there (a disruptive fault needs someone to take over). */
  private async pair(): Promise<{ leader: NodeChild; term: number }> {
    if (!(await this.waitReady('the previous fault'))) throw new Error(`no trading Leader with a Follower to fault (${this.describeNodes()})`);
    const leader = this.leader() as NodeChild;
    return { leader, term: leader.term };
  }

  /** Waits for a Leader of a later term than `term`: the takeover. */
  private async takeover(term: number, cause: string): Promise<NodeChild | null> {
    try {
      await this.waitUntil(() => (this.leader()?.term ?? 0) > term, TAKEOVER_TIMEOUT_MS, `takeover after ${cause}`);
      return this.leader();
    } catch (error) {
      this.violate('recovers', (error as Error).message);
      return null;
    }
  }

  private async killLeader(): Promise<string> {
    const { leader, term } = await this.pair();
    leader.signal('SIGKILL');
    await leader.exit();
    const next = await this.takeover(term, `kill -9 of ${leader.name}`);
    return `kill -9 of ${leader.name} (term ${term}); ${next === null ? 'no takeover' : `${next.name} took over at term ${next.term}`}`;
  }

  private async pauseLeader(pausedMs: number): Promise<string> {
    const { leader, term } = await this.pair();
    leader.signal('SIGSTOP');
    const paused = Date.now();
    let next: NodeChild | null;
    try {
      await sleep(pausedMs);
      next = await this.takeover(term, `SIGSTOP of ${leader.name}`);
    } finally {
      leader.signal('SIGCONT');
    }
    const stoppedMs = Date.now() - paused;
    // Woken past its lease, the old Leader must find itself fenced and exit 4 (stepped down) without sending.
    await this.waitUntil(() => !leader.running, PAUSED_EXIT_TIMEOUT_MS, `exit of ${leader.name} after SIGCONT`).catch(() => {});
    if (leader.running) this.violate('paused Leader steps down', `${leader.name} still runs ${PAUSED_EXIT_TIMEOUT_MS} ms after SIGCONT`);
    else if (leader.exitCode !== 4) this.violate('paused Leader steps down', `${leader.name} exited with ${leader.exitCode ?? leader.exitSignal} after SIGCONT, not 4 (stepped down)`);
    return `SIGSTOP of ${leader.name} (term ${term}) for ${stoppedMs} ms; ${next === null ? 'no takeover' : `${next.name} took over at term ${next.term}`}; ${leader.name} exited ${leader.exitCode ?? leader.exitSignal}`;
  }

  private async fillJournal(holdMs: number): Promise<string> {
    const { leader, term } = await this.pair();
    writeFileSync(this.journalFullFile, 'full\n');
    try {
      await sleep(holdMs);
    } finally {
      rmSync(this.journalFullFile, { force: true });
    }
    if (!leader.journalFailed) return `journal full for ${holdMs} ms; ${leader.name} appended nothing meanwhile`;
    // The node halts on a failing journal and cannot resume: restarted on the freed disk, its Follower takes over.
    const stop = await leader.stop(NODE_STOP_GRACE_MS);
    const next = await this.takeover(term, `the restart of ${leader.name} after its journal failed`);
    return `journal full for ${holdMs} ms: ${leader.name} halted (auto:journal), restarted${stop.forced ? ' (SIGKILL after the grace period)' : ''}; ${next === null ? 'no takeover' : `${next.name} took over at term ${next.term}`}`;
  }

  private async jumpClock(offsetMs: number, holdMs: number): Promise<string> {
    const before = this.leader();
    writeFileSync(this.clockOffsetFile, `${offsetMs}\n`);
    try {
      await sleep(holdMs);
    } finally {
      writeFileSync(this.clockOffsetFile, '0\n');
    }
    const after = this.leader();
    return `clocks ${offsetMs > 0 ? '+' : ''}${offsetMs} ms for ${holdMs} ms; Leader ${before?.name ?? 'none'} -> ${after?.name ?? 'none'}`;
  }

  private resetHooks(): void {
    rmSync(this.journalFullFile, { force: true });
    writeFileSync(this.clockOffsetFile, '0\n');
  }

  // ---- the end -----------------------------------------------------------------------------

  /** Followers first (so nobody takes over), then the Leader: halt with cancel-all, then a graceful stop. Resolves with the Leader's open orders at shutdown. */
  private async stopNodes(): Promise<number | null> {
    this.supervising = false;
    const leader = this.leader();
    this.log('stopping: the Follower(s) first, then the Leader halts with cancel-all and stops');
    await Promise.all(this.followers().map((f) => f.stop(NODE_STOP_GRACE_MS)));
    if (leader === null) return null;
    try {
      const report = await control.halt(this.dataDir, true, 'soak: end of the run');
      this.log(`halt with cancel-all on ${leader.name}: ${report.trim().replaceAll('\n', '; ').slice(0, 500)}`);
    } catch (error) {
      this.log(`halt with cancel-all refused: ${(error as Error).message}`);
    }
    const stop = await leader.stop(NODE_STOP_GRACE_MS);
    if (stop.forced) this.violate('graceful shutdown', `${leader.name} did not stop within ${NODE_STOP_GRACE_MS} ms of SIGTERM`);
    const shutdown = leader.of('shutdown').at(-1);
    this.log(`stopped; the Leader's shutdown: ${JSON.stringify(shutdown ?? null)}`);
    return typeof shutdown?.open_orders === 'number' ? shutdown.open_orders : null;
  }

  /** Each node's events as JSON lines in the work directory, for whoever investigates a kept run. */
  writeNodeEvents(): void {
    const dir = join(this.workDir, 'nodes');
    mkdirSync(dir, { recursive: true });
    for (const n of this.nodes) writeFileSync(join(dir, `${n.name}-${n.pid}.jsonl`), n.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  }

  private async finalEvidence(): Promise<SoakEvidence> {
    const ledgers = await this.ledgers();
    const dumped = await this.cli(['journal', 'dump', '--json', '--data-dir', this.dataDir]);
    if (dumped.code !== 0) throw new Error(`sequence journal dump failed (${dumped.code}): ${dumped.stderr}`);
    const journal = dumped.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as SoakEvidence['journal'][number]);
    return { ledgers, journal, nodeEvents: this.nodeEvents() };
  }

  /** Runs the real CLI to completion (asynchronously: the loop keeps ticking). */
  private cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${timeoutMs} ms`)), timeoutMs)))]);
  } finally {
    clearTimeout(timer);
  }
}
