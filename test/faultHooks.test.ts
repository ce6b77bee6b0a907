import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClockOffsetFile, CLOCK_OFFSET_REREAD_MS, DiskFullError, journalFullFault, systemNowMs } from '../src/node/faultHooks.ts';
import { Journal } from '../src/node/journal/journal.ts';
import { fetchLedger } from '../src/venues/emulator/venueLedger.ts';
import { krakenClientOrderId } from '../src/venues/kraken/krakenClientId.ts';
import { demoConfigIn, ROOT, sequence } from './support/cli.ts';
import { EmulatorProcess } from './support/emulatorProcess.ts';
import { tempDir } from './support/nodeHarness.ts';
import { NodeProcess } from './support/nodeProcess.ts';
import { eventually } from './support/eventually.ts';

// The soak's node fault hooks: off they do nothing; on, a full journal halts a real node
// (auto:journal) and nothing reaches the venues after, a restart on the freed disk trades
// again, and a clock offset moves the lease's wall clock.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


function leaseExpiryMs(dataDir: string): number | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'lease.json'), 'utf8')).expires_at_ms as number;
  } catch {
    return undefined;
  }
}

describe('fault hooks, in this process', () => {
  it('are off without their variables: appends are not refused and the wall clock is Date.now', () => {
    expect(process.env.SEQUENCE_FAULT_JOURNAL_FULL_FILE).toBeUndefined();
    expect(process.env.SEQUENCE_FAULT_CLOCK_OFFSET_FILE).toBeUndefined();
    expect(() => journalFullFault('/some/journal')).not.toThrow();
    const before = Date.now();
    const now = systemNowMs();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('journal full: an append fails with ENOSPC naming the journal and the switch file while the file exists, and passes once it is gone', () => {
    const switchFile = join(tempDir('journal-full'), 'full');
    expect(() => journalFullFault('/data/journal', switchFile)).not.toThrow();
    writeFileSync(switchFile, 'full\n');
    let error: unknown;
    try {
      journalFullFault('/data/journal', switchFile);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DiskFullError);
    expect(error).toMatchObject({ code: 'ENOSPC', message: `ENOSPC: no space left on device, write (append to /data/journal; injected while ${switchFile} exists)` });
    rmSync(switchFile);
    expect(() => journalFullFault('/data/journal', switchFile)).not.toThrow();
  });

  it('clock offset: read from the file, re-read at most every 100 ms, 0 while the file is missing', () => {
    const file = join(tempDir('clock-offset'), 'offset');
    let monoMs = 1_000;
    const offset = new ClockOffsetFile(file, () => monoMs, () => {});
    expect(offset.ms).toBe(0);
    writeFileSync(file, '2500\n');
    monoMs += CLOCK_OFFSET_REREAD_MS;
    expect(offset.ms).toBe(2500);
    writeFileSync(file, '-700');
    monoMs += CLOCK_OFFSET_REREAD_MS - 1;
    expect(offset.ms).toBe(2500);
    monoMs += 1;
    expect(offset.ms).toBe(-700);
  });

  it('clock offset: a file that holds no whole number of ms counts as 0 and is reported once, naming the file and what it holds', () => {
    const file = join(tempDir('clock-offset'), 'offset');
    let monoMs = 0;
    const problems: string[] = [];
    const offset = new ClockOffsetFile(file, () => monoMs, (m) => problems.push(m));
    writeFileSync(file, '1.5 hours');
    expect(offset.ms).toBe(0);
    monoMs += CLOCK_OFFSET_REREAD_MS;
    expect(offset.ms).toBe(0);
    expect(problems).toEqual([`clock offset file ${file} holds "1.5 hours", not a whole number of milliseconds; using 0`]);
  });
});

describe('a full disk when a node takes the lead', () => {
  it('exits 1 with one line naming the refused term, instead of crashing', async () => {
    const dir = tempDir('full-at-lead');
    const full = join(dir, 'disk-full');
    writeFileSync(full, '');
    const node = new NodeProcess(demoConfigIn(dir), [], { SEQUENCE_FAULT_JOURNAL_FULL_FILE: full });
    expect(await node.exited()).toBe(1);
    expect(node.of('takeover_failed')[0]?.reason).toMatch(/^the journal refused to begin term 1: ENOSPC: no space left on device/);
    expect(node.stderr).toMatch(/^sequence: the journal refused to begin term 1: ENOSPC/m);
    expect(node.of('order')).toEqual([]);
  }, 60_000);
});

describe('fault hooks in a real node', () => {
  beforeAll(() => {
    const build = sequence(['build', '--if-stale'], { timeoutMs: 120_000 });
    expect(build.code, build.stderr).toBe(0);
  });

  describe('journal full, against the emulators', () => {
    let kraken: EmulatorProcess;
    let coinbase: EmulatorProcess;
    let urls: { kraken: Map<string, string>; coinbase: Map<string, string> };
    let keyEnv: Record<string, string>;

    beforeAll(async () => {
      kraken = new EmulatorProcess('kraken');
      coinbase = new EmulatorProcess('coinbase');
      const [k, c] = await Promise.all([kraken.ready(), coinbase.ready()]);
      urls = { kraken: k, coinbase: c };
      keyEnv = { ...kraken.exportedEnv(), ...coinbase.exportedEnv() };
    });

    afterAll(async () => {
      await Promise.all([kraken?.stop(), coinbase?.stop()]);
    });

    /** Sequence.emulators.toml with these emulators' URLs and its own data directory. */
    function emulatorConfig(dir: string): string {
      let toml = readFileSync(join(ROOT, 'Sequence.emulators.toml'), 'utf8')
        .replace(/^data_dir = .*$/m, `data_dir = "${join(dir, 'data')}"`)
        .replace(/bundle = "algos\//g, `bundle = "${join(ROOT, 'algos')}/`);
      for (const [venue, map] of Object.entries(urls)) {
        const table = new RegExp(`(\\[venues\\.${venue}\\][\\s\\S]*?)(?=\\n\\[)`);
        toml = toml.replace(table, (block) => block.replace(/^(rest_url|ws_url|ws_auth_url|ws_user_url) = ".*"$/gm, (_line, key: string) => `${key} = "${map.get(key)}"`));
      }
      const file = join(dir, 'Sequence.toml');
      writeFileSync(file, toml);
      return file;
    }

    /** Venue order requests (both venues) whose client order id no journaled order accounts for. */
    async function unjournaledAtVenues(dataDir: string): Promise<string[]> {
      const journal = Journal.open(dataDir, { readOnly: true });
      const journaled = new Set<string>();
      try {
        for (const r of journal.records()) {
          if (r.message.kind !== 'order') continue;
          journaled.add(r.message.clientOrderId);
          journaled.add(krakenClientOrderId(r.message.clientOrderId));
        }
      } finally {
        void journal.close();
      }
      const ledgers = await Promise.all([fetchLedger(urls.kraken.get('rest_url') as string), fetchLedger(urls.coinbase.get('rest_url') as string)]);
      return ledgers.flatMap((l) => l.orders.filter((o) => !journaled.has(o.clientOrderId)).map((o) => `${l.venue} ${o.clientOrderId}`));
    }

    async function venueOrderCount(): Promise<number> {
      const ledgers = await Promise.all([fetchLedger(urls.kraken.get('rest_url') as string), fetchLedger(urls.coinbase.get('rest_url') as string)]);
      return ledgers[0].orders.length + ledgers[1].orders.length;
    }

    it('halts the Leader with auto:journal and sends nothing after; restarted once the disk is freed, it trades again', async () => {
      const dir = tempDir('journal-full');
      const switchFile = join(dir, 'journal-full');
      const config = emulatorConfig(dir);
      const dataDir = join(dir, 'data');
      const env = { ...keyEnv, SEQUENCE_FAULT_JOURNAL_FULL_FILE: switchFile };
      const first = new NodeProcess(config, [], env);
      await first.waitFor((e) => e.type === 'ack', 60_000);

      writeFileSync(switchFile, 'full\n');
      const failure = await first.waitFor((e) => e.type === 'journal_failure', 30_000);
      expect(failure.reason).toMatch(/^the journal refused \d+ record\(s\): ENOSPC: no space left on device/);
      const halt = await first.waitFor((e) => e.type === 'halt' && e.by === 'auto:journal');
      // Generous: whatever was already on its way has arrived by then.
      await sleep(3_000);
      const countAfterHalt = await venueOrderCount();
      await sleep(3_000);
      expect(await venueOrderCount()).toBe(countAfterHalt);
      expect(first.events.slice(first.events.indexOf(halt)).filter((e) => e.type === 'order')).toEqual([]);
      expect(await unjournaledAtVenues(dataDir)).toEqual([]);

      rmSync(switchFile);
      first.signal('SIGTERM');
      expect(await first.exited()).not.toBeNull();

      const second = new NodeProcess(config, ['--duration', '20'], env);
      const leading = await second.waitFor((e) => e.type === 'node_role' && e.role === 'leader', 60_000);
      expect(leading.halted).toBe(false);
      const order = await second.waitFor((e) => e.type === 'order' && e.venue === 'kraken', 60_000);
      await eventually('the new order at Kraken', async () => (await fetchLedger(urls.kraken.get('rest_url') as string)).orders.some((o) => o.clientOrderId === krakenClientOrderId(order.id)));
      second.signal('SIGTERM');
      await second.exited();
      expect(await unjournaledAtVenues(dataDir)).toEqual([]);
    });
  });

  describe('clock offset, on the sim venues', () => {
    it("moves the lease's wall clock: expiries are written at the offset and come back when it returns to 0", async () => {
      const dir = tempDir('clock-offset');
      const offsetFile = join(dir, 'offset');
      writeFileSync(offsetFile, '3600000\n');
      const node = new NodeProcess(demoConfigIn(dir), [], { SEQUENCE_FAULT_CLOCK_OFFSET_FILE: offsetFile });
      await node.waitFor((e) => e.type === 'node_role' && e.role === 'leader');
      const dataDir = join(dir, 'data');
      expect((leaseExpiryMs(dataDir) as number) - Date.now()).toBeGreaterThan(3_000_000);
      writeFileSync(offsetFile, '0\n');
      await eventually('an expiry back on the real clock', () => (leaseExpiryMs(dataDir) ?? Infinity) < Date.now() + 60_000);
      node.signal('SIGTERM');
      expect(await node.exited()).toBe(0);
    });

    it('a forward jump on the Follower past the lease expiry makes it take over a live Leader, which finds its term taken and steps down', async () => {
      const dir = tempDir('clock-jump');
      const config = demoConfigIn(dir, (t) => t.replace('[node]\n', '[node]\nlease_ttl_ms = 1000\n'));
      const followerOffset = join(dir, 'follower-offset');
      writeFileSync(followerOffset, '0\n');
      const leader = new NodeProcess(config);
      await leader.waitFor((e) => e.type === 'node_role' && e.role === 'leader');
      const follower = new NodeProcess(config, [], { SEQUENCE_FAULT_CLOCK_OFFSET_FILE: followerOffset });
      await follower.waitFor((e) => e.type === 'node_role' && e.role === 'follower');

      writeFileSync(followerOffset, '60000\n');
      const takeover = await follower.waitFor((e) => e.type === 'node_role' && e.role === 'leader');
      expect(takeover.term).toBe(2);
      expect(await leader.exited()).toBe(4);
      expect(leader.of('step_down')).toHaveLength(1);
      follower.signal('SIGTERM');
      expect(await follower.exited()).toBe(0);
      const verify = sequence(['journal', 'verify', '--data-dir', join(dir, 'data')]);
      expect(verify.code, verify.stdout).toBe(0);
    });
  });
});
