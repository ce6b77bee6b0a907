import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoConfigIn, sequence } from './support/cli.ts';
import { tempDir } from './support/nodeHarness.ts';
import { NodeProcess } from './support/nodeProcess.ts';

// The mesh across processes: a coordinator node and two edge nodes, each with its own
// data directory, the maker on one and the hedger on the other, talking through the
// coordinator over WebSocket on loopback.

const SECRET = { SEQUENCE_MESH_SECRET: 'a-test-secret-of-enough-bytes' };

beforeAll(() => {
  expect(sequence(['build', '--if-stale'], { timeoutMs: 120_000 }).code).toBe(0);
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function meshConfigs(port: number) {
  const dir = tempDir('mesh');
  const coordinator = demoConfigIn(join(dir), (t) => `${t}\n[mesh]\nlisten = "127.0.0.1:${port}"\n`);
  const edgeDir = tempDir('mesh');
  const edge = demoConfigIn(edgeDir, (t) => `${t}\n[mesh]\ncoordinator = "ws://127.0.0.1:${port}"\n`);
  return { coordinator, edge, dataDir: (name: string) => join(dir, `data-${name}`) };
}

const meshEvents = (n: NodeProcess) => n.of('mesh');
const orders = (n: NodeProcess, label: string) => n.of('order').filter((o) => o.label === label);

describe('nodes on several hosts', () => {
  it('the maker on one node reaches the hedger on another; edges keep trading without the coordinator and reconnect when it returns', async () => {
    const port = await freePort();
    const cfg = meshConfigs(port);
    let coordinator = new NodeProcess(cfg.coordinator, ['--labels=', '--data-dir', cfg.dataDir('coordinator')], SECRET);
    await coordinator.waitFor((e) => e.type === 'mesh_link' && e.up);
    const maker = new NodeProcess(cfg.edge, ['--labels', 'maker', '--data-dir', cfg.dataDir('maker')], SECRET);
    const hedger = new NodeProcess(cfg.edge, ['--labels', 'hedger', '--data-dir', cfg.dataDir('hedger')], SECRET);
    await maker.waitFor((e) => e.type === 'mesh_link' && e.up);
    await hedger.waitFor((e) => e.type === 'mesh_link' && e.up);

    await hedger.waitFor((e) => e.type === 'mesh' && e.from === 'maker' && e.to === 'hedger', 30_000);
    await hedger.waitFor((e) => e.type === 'order' && e.label === 'hedger', 10_000);

    coordinator.signal('SIGKILL');
    await coordinator.exited();
    await maker.waitFor((e) => e.type === 'mesh_link' && !e.up);
    await hedger.waitFor((e) => e.type === 'mesh_link' && !e.up);
    const makerOrders = orders(maker, 'maker').length;
    await maker.waitFor(() => orders(maker, 'maker').length > makerOrders + 5, 10_000);
    expect(hedger.child.exitCode).toBeNull();

    const messagesBefore = meshEvents(hedger).length;
    coordinator = new NodeProcess(cfg.coordinator, ['--labels=', '--data-dir', cfg.dataDir('coordinator')], SECRET);
    await maker.waitFor((e) => e.type === 'mesh_link' && e.up && maker.events.indexOf(e) > maker.events.findIndex((x) => x.type === 'mesh_link' && !x.up));
    await hedger.waitFor(() => meshEvents(hedger).length > messagesBefore, 30_000);

    maker.signal('SIGKILL');
    await maker.exited();
    await new Promise((r) => setTimeout(r, 1000));
    expect(hedger.child.exitCode).toBeNull();
    expect(coordinator.child.exitCode).toBeNull();
    for (const n of [hedger, coordinator]) n.signal('SIGTERM');
    expect(await hedger.exited()).toBe(0);
    expect(await coordinator.exited()).toBe(0);
  });

  it('a peer with the wrong secret is refused, and keeps trading on its own', async () => {
    const port = await freePort();
    const cfg = meshConfigs(port);
    const coordinator = new NodeProcess(cfg.coordinator, ['--labels=', '--data-dir', cfg.dataDir('coordinator')], SECRET);
    await coordinator.waitFor((e) => e.type === 'mesh_link' && e.up);
    const intruder = new NodeProcess(cfg.edge, ['--labels', 'maker', '--data-dir', cfg.dataDir('intruder')], { SEQUENCE_MESH_SECRET: 'not-the-right-secret-at-all' });
    const refused = await intruder.waitFor((e) => e.type === 'mesh_link' && !e.up);
    expect(refused.reason).toMatch(/refused|auth|secret/i);
    await intruder.waitFor((e) => e.type === 'order' && e.label === 'maker');
    for (const n of [intruder, coordinator]) n.signal('SIGTERM');
    expect(await intruder.exited()).toBe(0);
    expect(await coordinator.exited()).toBe(0);
  });

  it('without the secret in the environment the node refuses to start, naming the variable', () => {
    const cfg = meshConfigs(1);
    const r = sequence(['run', '--daemon', '--duration', '1', '--labels', 'maker', '--config', cfg.edge]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the mesh secret must be in the environment variable SEQUENCE_MESH_SECRET');
  });

  it('hosting a label the config does not have is refused', () => {
    const r = sequence(['run', '--daemon', '--labels', 'nobody', '--config', demoConfigIn(tempDir('mesh'))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--labels: no deployment is labelled "nobody"');
  });
});
