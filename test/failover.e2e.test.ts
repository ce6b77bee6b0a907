import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CoreState } from '../src/node/coreState.ts';
import { formatDecimalShort, QTY_DECIMALS } from '../src/node/fixedPoint.ts';
import { Journal } from '../src/node/journal/journal.ts';
import { demoConfigIn, sequence } from './support/cli.ts';
import { tempDir } from './support/nodeHarness.ts';
import { NodeProcess } from './support/nodeProcess.ts';

// Real processes on one data directory, killed with real signals: the journal, Bootstrap,
// the lease and fencing as a trader relies on them.

beforeAll(() => {
  const build = sequence(['build', '--if-stale'], { timeoutMs: 120_000 });
  expect(build.code, build.stderr).toBe(0);
});

function fastLeaseConfig(): { config: string; dataDir: string } {
  const dir = tempDir('failover');
  const config = demoConfigIn(dir, (t) => t.replace('[node]\n', '[node]\nlease_ttl_ms = 1000\n'));
  return { config, dataDir: join(dir, 'data') };
}

/** Positions per label and symbol after replaying the journal, up to `untilSeq`, into a fresh core state. */
function journalPositions(dataDir: string, untilSeq = Infinity): Record<string, Record<string, string>> {
  const journal = Journal.open(dataDir, { readOnly: true });
  const core = new CoreState();
  for (const r of journal.records()) {
    if (r.seq > untilSeq) break;
    core.apply(r.message);
  }
  void journal.close();
  const positions: Record<string, Record<string, string>> = {};
  for (const label of ['maker', 'hedger']) positions[label] = { 'BTC/USD': formatDecimalShort(core.oms.position(label, 'BTC/USD').qty1e8, QTY_DECIMALS) };
  return positions;
}

function orderIds(...nodes: NodeProcess[]): string[] {
  return nodes.flatMap((n) => n.of('order').map((o) => String(o.id)));
}

describe('kill -9 and restart', () => {
  it('the restarted node rebuilds exactly the journaled state, closes orphaned orders, and never reuses a client order id', async () => {
    const { config, dataDir } = fastLeaseConfig();
    const first = new NodeProcess(config);
    await first.waitFor((e) => e.type === 'fill', 30_000);
    await first.waitFor(() => first.of('fill').length >= 3, 30_000);
    first.signal('SIGKILL');
    expect(await first.exited()).toBeNull();

    const expected = journalPositions(dataDir);
    const second = new NodeProcess(config, ['--duration', '3']);
    const recovered = await second.waitFor((e) => e.type === 'bootstrap_done');
    expect(recovered.positions).toEqual(expected);
    const leading = await second.waitFor((e) => e.type === 'node_role' && e.role === 'leader');
    expect(leading.term).toBe(2);
    expect(await second.exited()).toBe(0);

    const ids = orderIds(first, second);
    expect(new Set(ids).size).toBe(ids.length);
    const orphans = second.of('canceled').filter((c) => c.reason === 'not open at the venue when this node became leader');
    expect(orphans.length).toBe(recovered.open_orders);
    const verify = sequence(['journal', 'verify', '--data-dir', dataDir]);
    expect(verify.code, verify.stdout).toBe(0);
  });
});

describe('kill -9 at chosen points of the order path', () => {
  it.each(['order-journaled', 'order-sent'])('crashed at %s, the restart closes the orders left open through reconciliation and never sends their intents again', async (point) => {
    const { config, dataDir } = fastLeaseConfig();
    const crashed = new NodeProcess(config, [], { SEQUENCE_CRASH_POINT: point, SEQUENCE_CRASH_AFTER: '5' });
    expect(await crashed.exited()).toBeNull();
    const journal = Journal.open(dataDir, { readOnly: true });
    const records = [...journal.records()];
    void journal.close();
    const journaledOrders = records.filter((r) => r.message.kind === 'order').map((r) => (r.message as { clientOrderId: string }).clientOrderId);
    expect(journaledOrders.length).toBeGreaterThanOrEqual(5);
    const atCrash = new CoreState();
    for (const r of records) atCrash.apply(r.message);
    const openAtCrash = [...atCrash.oms.allLiveOrders()].map((o) => o.clientOrderId);
    expect(openAtCrash.length).toBeGreaterThan(0);

    const restarted = new NodeProcess(config, ['--duration', '2']);
    const recovered = await restarted.waitFor((e) => e.type === 'bootstrap_done');
    expect(recovered.positions).toEqual(journalPositions(dataDir, recovered.records));
    expect(recovered.open_orders).toBe(openAtCrash.length);
    expect(await restarted.exited()).toBe(0);
    const closed = new Set(restarted.of('canceled').filter((c) => c.reason === 'not open at the venue when this node became leader').map((c) => c.id));
    for (const id of openAtCrash) expect(closed.has(id), `order ${id}, open at the crash, was closed by reconciliation`).toBe(true);
    const sent = restarted.of('order').map((o) => String(o.id));
    for (const id of journaledOrders) expect(sent).not.toContain(id);
    expect(sent.length).toBeGreaterThan(0);
  });
});

describe('Leader and Follower on one data directory', () => {
  it('the Follower takes over after kill -9 of the Leader with every fill, no duplicate order, and the old node comes back as Follower', async () => {
    const { config, dataDir } = fastLeaseConfig();
    const leader = new NodeProcess(config);
    await leader.waitFor((e) => e.type === 'node_role' && e.role === 'leader');
    const follower = new NodeProcess(config);
    await follower.waitFor((e) => e.type === 'node_role' && e.role === 'follower');
    await leader.waitFor(() => leader.of('fill').length >= 3, 30_000);
    leader.signal('SIGKILL');
    await leader.exited();

    const takeover = await follower.waitFor((e) => e.type === 'node_role' && e.role === 'leader', 15_000);
    expect(takeover.term).toBe(2);
    expect(takeover.positions).toEqual(journalPositions(dataDir, takeover.journal_seq));
    const journaledFills = new Set<string>();
    const journal = Journal.open(dataDir, { readOnly: true });
    for (const r of journal.records()) if (r.message.kind === 'fill') journaledFills.add(r.message.fillId);
    void journal.close();
    for (const f of leader.of('fill')) expect(journaledFills.has(f.fill_id), `fill ${f.fill_id} of the old leader is in the journal`).toBe(true);

    const restarted = new NodeProcess(config);
    await restarted.waitFor((e) => e.type === 'node_role' && e.role === 'follower');
    await follower.waitFor(() => follower.of('order').length > 0, 15_000);
    const ids = orderIds(leader, follower, restarted);
    expect(new Set(ids).size).toBe(ids.length);
    expect(restarted.of('order')).toEqual([]);

    follower.signal('SIGTERM');
    expect(await follower.exited()).toBe(0);
    await restarted.waitFor((e) => e.type === 'node_role' && e.role === 'leader', 15_000);
    restarted.signal('SIGTERM');
    expect(await restarted.exited()).toBe(0);
  });

  it('a Leader paused past its lease (SIGSTOP) cannot append or send when it wakes: it steps down and exits 4', async () => {
    const { config, dataDir } = fastLeaseConfig();
    const old = new NodeProcess(config);
    await old.waitFor((e) => e.type === 'node_role' && e.role === 'leader');
    const standby = new NodeProcess(config);
    await standby.waitFor((e) => e.type === 'node_role' && e.role === 'follower');
    await old.waitFor(() => old.of('order').length > 0);
    old.signal('SIGSTOP');
    // What it wrote before it stopped may still be in the pipe: let that arrive first.
    await new Promise((r) => setTimeout(r, 300));
    const ordersBefore = old.of('order').length;
    await standby.waitFor((e) => e.type === 'node_role' && e.role === 'leader', 15_000);
    await standby.waitFor(() => standby.of('order').length > 0, 15_000);
    old.signal('SIGCONT');
    expect(await old.exited()).toBe(4);
    expect(old.of('order').length).toBe(ordersBefore);
    expect(old.events.some((e) => e.type === 'step_down')).toBe(true);

    standby.signal('SIGTERM');
    expect(await standby.exited()).toBe(0);
    const journal = Journal.open(dataDir, { readOnly: true });
    const report = journal.verify();
    let lastTerm = 0;
    for (const r of journal.records()) {
      expect(r.term).toBeGreaterThanOrEqual(lastTerm);
      lastTerm = r.term;
    }
    void journal.close();
    expect(report.ok, report.problems.join('\n')).toBe(true);
  });
});
