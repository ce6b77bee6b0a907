import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoConfigIn, sequence } from './support/cli.ts';
import { tempDir } from './support/nodeHarness.ts';
import { NodeProcess } from './support/nodeProcess.ts';

// A daemon driven from other processes through its control socket, as an operator would.

beforeAll(() => {
  const build = sequence(['build', '--if-stale'], { timeoutMs: 120_000 });
  expect(build.code, build.stderr).toBe(0);
});

/** The demo with the maker re-quoting on every book, its order-rate limit lifted: a steady flood of new orders. */
function floodingConfig(): string {
  return demoConfigIn(tempDir('control'), (t) =>
    t
      .replace('[node]\n', '[node]\nlease_ttl_ms = 1000\n')
      .replace(/^requote_ticks = .*$/m, 'requote_ticks = 0')
      .replace(/^max_orders_per_sec = .*$/m, 'max_orders_per_sec = 0'),
  );
}

describe('status, halt and resume from another process', () => {
  it('halting mid-flood stops every new order at the halt point, cancels and reports each order, and resume lets orders flow', async () => {
    const config = floodingConfig();
    const node = new NodeProcess(config);
    await node.waitFor((e) => e.type === 'node_role' && e.role === 'leader');
    await node.waitFor(() => node.of('order').length >= 20);

    const status = sequence(['status', '--json', '--config', config]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ node: 'demo', role: 'leader', halted: false, term: 1 });
    // The process's own memory and loop delay travel with every status.
    expect(JSON.parse(status.stdout).resources).toEqual({
      rss_mb: expect.any(Number),
      rss_anon_mb: expect.any(Number),
      rss_file_mb: expect.any(Number),
      heap_used_mb: expect.any(Number),
      array_buffers_mb: expect.any(Number),
      loop_delay_p99_ms: expect.any(Number),
      loop_delay_max_ms: expect.any(Number),
    });
    expect(JSON.parse(status.stdout).resources.rss_mb).toBeGreaterThan(JSON.parse(status.stdout).resources.heap_used_mb);
    expect(sequence(['status', '--config', config]).stdout).toMatch(/^memory rss [\d.]+ MB \(own [\d.]+ MB, files [\d.]+ MB\) heap [\d.]+ MB buffers [\d.]+ MB; event loop delay p99 [\d.]+ ms max [\d.]+ ms$/m);

    const halt = sequence(['halt', '--cancel-all', '--reason', 'flood test', '--config', config]);
    expect(halt.code, halt.stderr).toBe(0);
    expect(halt.stdout).toMatch(/^trading halted\n\d+ open order\(s\) cancelled:\n/);
    expect(halt.stdout).not.toContain('timeout');

    await node.waitFor((e) => e.type === 'halt');
    const haltAt = node.events.findIndex((e) => e.type === 'halt');
    expect(node.events[haltAt]).toMatchObject({ by: expect.stringMatching(/^operator:/), reason: 'flood test', cancel_all: true });
    await new Promise((r) => setTimeout(r, 1500));
    expect(node.events.slice(haltAt).filter((e) => e.type === 'order')).toEqual([]);
    expect(node.events.slice(haltAt).some((e) => e.type === 'reject' && e.code === 102)).toBe(true);

    const halted = JSON.parse(sequence(['status', '--json', '--config', config]).stdout);
    expect(halted).toMatchObject({ halted: true, halt_reason: 'flood test' });
    expect(halted.instances.every((i: { open_orders: number }) => i.open_orders === 0)).toBe(true);

    const resume = sequence(['resume', '--reason', 'flood over', '--config', config]);
    expect(resume.stdout).toBe('trading resumed\n');
    const resumedAt = node.events.findIndex((e) => e.type === 'resume');
    await node.waitFor((e) => e.type === 'order' && node.events.indexOf(e) > resumedAt);

    node.signal('SIGTERM');
    expect(await node.exited()).toBe(0);
  });

  it('a halted node comes back halted after a restart, and sends nothing until resumed', async () => {
    const config = floodingConfig();
    const first = new NodeProcess(config);
    await first.waitFor((e) => e.type === 'node_role' && e.role === 'leader');
    expect(sequence(['halt', '--reason', 'before the restart', '--config', config]).code).toBe(0);
    first.signal('SIGTERM');
    expect(await first.exited()).toBe(0);

    const second = new NodeProcess(config);
    const recovered = await second.waitFor((e) => e.type === 'bootstrap_done');
    expect(recovered.halted).toBe(true);
    await second.waitFor((e) => e.type === 'node_role' && e.role === 'leader');
    await new Promise((r) => setTimeout(r, 1000));
    expect(JSON.parse(sequence(['status', '--json', '--config', config]).stdout)).toMatchObject({ halted: true, halt_reason: 'before the restart' });
    expect(second.of('order')).toEqual([]);
    second.signal('SIGTERM');
    expect(await second.exited()).toBe(0);
  });

  it('with no node running, each command says so in one line and exits 2', () => {
    const dir = tempDir('control');
    const config = demoConfigIn(dir);
    for (const args of [['status'], ['halt', '--reason', 'x'], ['resume', '--reason', 'x']]) {
      const r = sequence([...args, '--config', config]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`no node is running with data directory ${join(dir, 'data')}`);
    }
  });

  it('halt without a reason is refused before anything is sent', () => {
    const r = sequence(['halt', '--config', demoConfigIn(tempDir('control'))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Missing required argument: reason');
  });
});
