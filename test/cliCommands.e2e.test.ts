import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoConfigIn, ROOT, sequence } from './support/cli.ts';
import { tempDir } from './support/nodeHarness.ts';
import { v1Bundle } from './support/watBundle.ts';

beforeAll(() => {
  const build = sequence(['build', '--if-stale'], { timeoutMs: 120_000 });
  expect(build.code, build.stderr).toBe(0);
});

describe('sequence deploy --check', () => {
  it('prints, per deployment, the venue, label, symbols and the ABI exports found and wired', () => {
    const r = sequence(['deploy', '--check']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 deployment(s) OK');
    const maker = r.stdout.slice(r.stdout.indexOf('[deploy.maker]'), r.stdout.indexOf('[deploy.hedger]'));
    expect(maker).toMatch(/label\s+maker/);
    expect(maker).toMatch(/venue\s+sim_a \(sim\)/);
    expect(maker).toMatch(/symbols\s+BTC\/USD/);
    expect(maker).toMatch(/found\s+algo_alloc, algo_on_book, algo_on_fill, algo_on_reject, algo_on_shutdown, algo_init, algo_on_node_status, algo_on_kill_switch/);
    expect(maker).toMatch(/wired\s+.*algo_on_kill_switch/);
    expect(maker).not.toContain('not wired');
    const hedger = r.stdout.slice(r.stdout.indexOf('[deploy.hedger]'));
    expect(hedger).toMatch(/wired\s+.*algo_on_message/);
  });

  it('refuses a bundle that imports WASI, naming the import, and exits 2', () => {
    const dir = tempDir('cli');
    writeFileSync(join(dir, 'wasi.wasm'), v1Bundle({ imports: '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))' }));
    const toml = `[venues.s]\nkind = "sim"\n[venues.s.markets."BTC/USD"]\nstart_price = "100"\n[deploy.x]\nvenue = "s"\nlabel = "x"\nsymbols = ["BTC/USD"]\nbundle = "wasi.wasm"\n`;
    writeFileSync(join(dir, 'Sequence.toml'), toml);
    const r = sequence(['deploy', '--check', '--config', join(dir, 'Sequence.toml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('imports function "wasi_snapshot_preview1.fd_write"');
    expect(r.stdout).toBe('');
  });

  it('without --check and with no node running, says so and exits 2', () => {
    const dir = tempDir('cli');
    const r = sequence(['deploy', '--config', demoConfigIn(dir)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no node is running with data directory ${join(dir, 'data')}`);
  });
});

describe('config errors stop the node before anything starts', () => {
  it('an unknown key, a duplicate label and an undeclared venue are reported together with file and line', () => {
    const dir = tempDir('cli');
    copyFileSync(join(ROOT, 'algos', 'maker', 'build', 'maker.wasm'), join(dir, 'maker.wasm'));
    const toml = [
      '[venues.s]',
      'kind = "sim"',
      '[venues.s.markets."BTC/USD"]',
      'start_price = "100"',
      '[deploy.a]',
      'venue = "s"',
      'label = "maker"',
      'symbols = ["BTC/USD"]',
      'bundle = "maker.wasm"',
      'bundel = "x"',
      '[deploy.b]',
      'venue = "nowhere"',
      'label = "maker"',
      'symbols = ["BTC/USD"]',
      'bundle = "maker.wasm"',
      '',
    ].join('\n');
    const file = join(dir, 'Sequence.toml');
    writeFileSync(file, toml);
    const r = sequence(['run', '--daemon', '--duration', '1', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${file}:10: deploy.a.bundel: unknown key`);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[/.]/g, '\\$&')}:12: deploy\\.b\\.venue: .*nowhere`));
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[/.]/g, '\\$&')}:13: deploy\\.b\\.label: .*maker`));
  });

  it('a missing config file is one clear line', () => {
    const r = sequence(['run', '--daemon', '--config', '/nonexistent/Sequence.toml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/nonexistent/Sequence.toml');
    expect(r.stderr).toContain('cannot read the config file');
  });

  it('a non-positive --duration is refused', () => {
    const r = sequence(['run', '--duration', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--duration must be a positive number of seconds');
  });
});

describe('help', () => {
  it.each([[[]], [['run']], [['build']], [['deploy']]])('--help works for %j', (args) => {
    const r = sequence([...args, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sequence');
    expect(r.stdout).toContain('--help');
  });

  it('an unknown command is refused with a pointer to --help', () => {
    const r = sequence(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Run "sequence --help" for usage.');
  });
});
