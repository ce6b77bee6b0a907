import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../src/node/journal/journal.ts';
import type { DeploymentMessage } from '../src/node/tradingMessage.ts';
import { demoConfigIn, sequence } from './support/cli.ts';
import { tempDir, writeBundle } from './support/nodeHarness.ts';
import { NodeProcess } from './support/nodeProcess.ts';
import { v1Bundle } from './support/watBundle.ts';

// `sequence deploy` against a running daemon: the deployments of a new Sequence.toml
// applied without a restart, validated before anything changes.

beforeAll(() => {
  const build = sequence(['build', '--if-stale'], { timeoutMs: 120_000 });
  expect(build.code, build.stderr).toBe(0);
});

function deploymentRecords(dataDir: string): DeploymentMessage[] {
  const journal = Journal.open(dataDir, { readOnly: true });
  const out = [...journal.records()].map((r) => r.message).filter((m): m is DeploymentMessage => m.kind === 'deployment');
  void journal.close();
  return out;
}

describe('sequence deploy', () => {
  it('starts new deployments, stops removed ones, restarts changed ones, and journals each change', async () => {
    const dir = tempDir('deploy');
    const config = demoConfigIn(dir);
    const node = new NodeProcess(config);
    await node.waitFor((e) => e.type === 'node_role' && e.role === 'leader');
    await node.waitFor((e) => e.type === 'order' && e.label === 'maker');

    const toml = readFileSync(config, 'utf8');
    const hedgerAt = toml.indexOf('[deploy.hedger]');
    const makerSection = toml.slice(toml.indexOf('[deploy.maker]'), hedgerAt);
    const maker2 = makerSection.replace(/\[deploy\.maker/g, '[deploy.maker2').replace('label = "maker"', 'label = "maker2"');
    const next = toml.slice(0, hedgerAt).replace('spread_bps = 3 ', 'spread_bps = 5 ') + maker2;
    writeFileSync(config, next);
    const r = sequence(['deploy', '--config', config]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('started   maker2');
    expect(r.stdout).toContain('stopped   hedger');
    expect(r.stdout).toContain('restarted maker');

    await node.waitFor((e) => e.type === 'order' && e.label === 'maker2');
    const status = JSON.parse(sequence(['status', '--json', '--config', config]).stdout);
    expect(status.instances.map((i: { label: string }) => i.label).sort()).toEqual(['maker', 'maker2']);
    const records = deploymentRecords(join(dir, 'data'));
    expect(records.filter((m) => m.action !== 'start' || m.label === 'maker2').map((m) => `${m.action} ${m.label}`)).toEqual(['stop hedger', 'restart maker', 'start maker2']);
    expect(records.every((m) => /^[0-9a-f]{64}$/.test(m.bundleSha256))).toBe(true);
    node.signal('SIGTERM');
    expect(await node.exited()).toBe(0);
  });

  it('a bad config or bundle is refused whole: nothing starts, stops or restarts', async () => {
    const dir = tempDir('deploy');
    const config = demoConfigIn(dir);
    const node = new NodeProcess(config);
    await node.waitFor((e) => e.type === 'node_role' && e.role === 'leader');
    const before = deploymentRecords(join(dir, 'data')).length;
    const toml = readFileSync(config, 'utf8');

    const wasi = writeBundle(dir, 'wasi.wasm', v1Bundle({ imports: '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))' }));
    const cases: [string, RegExp][] = [
      [toml.replace(/bundle = "[^"]*hedger.wasm"/, `bundle = "${wasi}"`), /imports function "wasi_snapshot_preview1\.fd_write"/],
      [toml.replace('venue = "sim_b"', 'venue = "sim_c"'), /deploy\.hedger\.venue/],
      [toml + '\n[venues.sim_c]\nkind = "sim"\n[venues.sim_c.markets."BTC/USD"]\nstart_price = "1"\n[deploy.extra]\nvenue = "sim_c"\nlabel = "extra"\nsymbols = ["BTC/USD"]\nbundle = "' + wasi + '"\n', /venue "sim_c" is not running in this node; adding a venue needs a restart/],
    ];
    for (const [text, message] of cases) {
      writeFileSync(config, text);
      const r = sequence(['deploy', '--config', config]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(deploymentRecords(join(dir, 'data'))).toHaveLength(before);
    writeFileSync(config, toml);
    const status = JSON.parse(sequence(['status', '--json', '--config', config]).stdout);
    expect(status.instances.map((i: { label: string; status: string }) => `${i.label} ${i.status}`)).toEqual(['maker running', 'hedger running']);
    node.signal('SIGTERM');
    expect(await node.exited()).toBe(0);
  });
});
