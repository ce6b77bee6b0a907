import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALGO_NAME_RULE, algoNameProblem } from '../src/build/algoName.ts';
import { InitError, initProject } from '../src/commands/initCommand.ts';
import { jsonLines, ROOT, sequence } from './support/cli.ts';
import { tempDir } from './support/nodeHarness.ts';

// The trader's first hour through the real CLI, outside the repository: `sequence init`
// in a temporary folder, `sequence build` there, a run of the new project's Sequence.toml
// on the sim venue, and the project's own `npm test`.

const NAME = 'first-quoter';
const BUILD_TIMEOUT_MS = 240_000;

/** Every file under dir except node_modules, relative to dir. */
function projectFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const full = join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(relative(dir, full));
    }
  };
  walk(dir);
  return files.sort();
}

function initIn(parent: string, name = NAME): string {
  const init = sequence(['init', name], { cwd: parent });
  expect(init.code, init.stderr).toBe(0);
  return join(parent, name);
}

describe('sequence init <name>', () => {
  const parent = tempDir('init');
  const init = sequence(['init', NAME], { cwd: parent });
  const project = join(parent, NAME);
  const read = (file: string) => readFileSync(join(project, file), 'utf8');

  it('creates the project folder with the algorithm, a config, a test, a README and says what to do next', () => {
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(projectFiles(project)).toEqual(['.gitignore', 'README.md', 'Sequence.toml', 'package.json', 'src/algo.ts', 'test/algo.test.mjs']);
    expect(init.stdout).toContain(`created ${project}`);
    expect(init.stdout).toMatch(/sequence build/);
  });

  it('the algorithm imports the SDK as the sequence-node package, which is linked to this repository', () => {
    expect(read('src/algo.ts')).toContain('from "sequence-node/sdk/assemblyscript"');
    expect(realpathSync(join(project, 'node_modules', 'sequence-node'))).toBe(realpathSync(ROOT));
    expect(realpathSync(join(project, 'node_modules', '.bin', 'sequence'))).toBe(realpathSync(join(ROOT, 'bin', 'sequence.js')));
    const manifest = JSON.parse(read('package.json'));
    expect(manifest).toMatchObject({ name: NAME, dependencies: { 'sequence-node': `file:${ROOT}` } });
  });

  it('Sequence.toml has one deployment on a sim venue, labelled with the name, running the bundle the build writes', () => {
    const toml = read('Sequence.toml');
    expect(toml.match(/^\[deploy\.[^\].]+\]$/gm)).toEqual([`[deploy.${NAME}]`]);
    expect(toml).toMatch(new RegExp(`^label = "${NAME}"`, 'm'));
    expect(toml).toMatch(new RegExp(`^bundle = "build/${NAME}\\.wasm"`, 'm'));
    expect(toml).toMatch(/^kind = "sim"/m);
  });

  it('every placeholder of the template is filled in', () => {
    for (const file of projectFiles(project)) expect(read(file), file).not.toMatch(/\{\{\w+\}\}/);
  });

  it('the README explains the callbacks, the limits and the loop from build to replay', () => {
    const readme = read('README.md');
    const prose = readme.replace(/\*\*/g, '').replace(/\s+/g, ' ');
    for (const callback of ['onBook', 'onFill', 'onReject', 'onShutdown', 'onInit', 'onMessage', 'onNbbo', 'onHeartbeat', 'onNodeStatus', 'onKillSwitch']) {
      expect(readme).toContain(`\`${callback}(`);
    }
    for (const limit of ['64 MiB', '50 ms', 'at most 16 per callback', 'at most 256 bytes', 'at most 16 sends per callback', 'below 2^53']) {
      expect(prose).toContain(limit);
    }
    for (const step of ['sequence build', 'sequence run --config Sequence.toml', 'npm test', 'sequence replay --config Sequence.toml --data FILE']) {
      expect(readme).toContain(step);
    }
  });

  it('a bad name is refused with exit 2, a message giving the rule, and nothing written', () => {
    const dir = tempDir('init-name');
    const refused = sequence(['init', '9lives'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('sequence: "9lives" is not a valid algorithm name: use lowercase letters, digits, "-" or "_", starting with a letter, 1 to 32 characters\n');
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['starting with a digit', '9lives'],
    ['with a capital letter', 'Quoter'],
    ['longer than 32 characters', `a${'b'.repeat(32)}`],
    ['empty', ''],
    ['with a space', 'my quoter'],
    ['with a path separator', '../escape'],
    ['with a dot', 'my.quoter'],
  ])('a name %s is an InitError and creates nothing', (_why, name) => {
    const dir = tempDir('init-name');
    expect(() => initProject(name, dir)).toThrow(new InitError(`${JSON.stringify(name)} is not a valid algorithm name: use ${ALGO_NAME_RULE}`));
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(dir, '..', 'escape'))).toBe(false);
  });

  it('names of 1 and 32 characters with digits, "-" and "_" are accepted', () => {
    for (const name of ['q', `a-1_${'z'.repeat(28)}`]) expect(algoNameProblem(name), name).toBeUndefined();
  });

  it('an existing folder is never written into, even an empty one: exit 2', () => {
    const dir = tempDir('init-exists');
    mkdirSync(join(dir, 'empty'));
    const empty = sequence(['init', 'empty'], { cwd: dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`${join(dir, 'empty')} already exists; init never writes into an existing folder, even an empty one`);
    expect(readdirSync(join(dir, 'empty'))).toEqual([]);

    mkdirSync(join(dir, 'mine'));
    writeFileSync(join(dir, 'mine', 'Sequence.toml'), 'mine\n');
    expect(sequence(['init', 'mine'], { cwd: dir }).code).toBe(2);
    expect(readdirSync(join(dir, 'mine'))).toEqual(['Sequence.toml']);
    expect(readFileSync(join(dir, 'mine', 'Sequence.toml'), 'utf8')).toBe('mine\n');
  });

  it('a file of that name is refused too', () => {
    const dir = tempDir('init-file');
    writeFileSync(join(dir, 'taken'), 'a file\n');
    expect(() => initProject('taken', dir)).toThrow(/taken already exists; init never writes into an existing folder/);
    expect(readFileSync(join(dir, 'taken'), 'utf8')).toBe('a file\n');
  });

  it('a parent folder that does not exist is an InitError naming it', () => {
    const missing = join(tempDir('init-parent'), 'not-there');
    expect(() => initProject('quoter', missing)).toThrow(new InitError(`cannot create ${join(missing, 'quoter')} (ENOENT)`));
  });
});

describe('sequence build in a project made by init', () => {
  const project = initIn(tempDir('build'));
  const wasmPath = join(project, 'build', `${NAME}.wasm`);
  const build = sequence(['build'], { cwd: project, timeoutMs: BUILD_TIMEOUT_MS });

  it('compiles src/algo.ts to build/<name>.wasm and prints the exports found and the bundle size', () => {
    expect(build.stderr).toBe('');
    expect(build.code).toBe(0);
    expect(build.stdout).toContain(`built ${NAME}: ${wasmPath} (${statSync(wasmPath).size} bytes)\n`);
    // The template's algorithm overrides onInit and onKillSwitch, so those optional exports
    // are there; it declares no onNbbo, so the node will not feed it the NBBO.
    expect(build.stdout).toContain(
      '  exports: algo_alloc, algo_on_book, algo_on_fill, algo_on_reject, algo_on_shutdown, algo_init, algo_on_kill_switch, memory\n',
    );
  });

  it('sequence run --daemon --duration 3 of the project quotes on the sim venue and the venue acks its orders', () => {
    const run = sequence(['run', '--daemon', '--duration', '3', '--config', 'Sequence.toml', '--data-dir', tempDir('build-run')], { cwd: project });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const events = jsonLines(run.stdout);
    expect(events.find((e) => e.type === 'instance')).toMatchObject({ label: NAME, venue: 'sim', status: 'running' });
    const orders = events.filter((e) => e.type === 'order' && e.label === NAME);
    expect(new Set(orders.map((o) => o.side))).toEqual(new Set(['buy', 'sell']));
    const acked = new Set(events.filter((e) => e.type === 'ack').map((e) => e.id));
    expect(orders.filter((o) => acked.has(o.id)).length).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'instance' && e.status === 'aborted')).toEqual([]);
    expect(events.find((e) => e.type === 'shutdown')).toMatchObject({ reason: 'duration', open_orders: 0, timed_out: false });
  });

  it('build --if-stale leaves a bundle newer than its sources alone', () => {
    const again = sequence(['build', '--if-stale'], { cwd: project });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('.: every bundle is up to date\n');
  });

  it("the project's own npm test builds the bundle and passes", () => {
    const test = spawnSync('npm', ['test'], { cwd: project, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
    expect(test.status, `${test.stdout}\n${test.stderr}`).toBe(0);
    expect(test.stdout).toMatch(/^# pass 2$/m);
    expect(test.stdout).toMatch(/^# fail 0$/m);
  });
});

describe('sequence build refuses, with exit 2 and a message saying why', () => {
  it("a compile error: asc's message with the file, line and column", () => {
    const project = initIn(tempDir('build-error'), 'broken');
    const source = join(project, 'src', 'algo.ts');
    const lines = readFileSync(source, 'utf8').split('\n');
    const at = lines.findIndex((line) => line.includes('const mid = <i64>book.mid();'));
    lines.splice(at + 1, 0, '    missingName = 1;');
    writeFileSync(source, lines.join('\n'));
    const build = sequence(['build'], { cwd: project, timeoutMs: BUILD_TIMEOUT_MS });
    expect(build.code).toBe(2);
    expect(build.stderr).toContain("Cannot find name 'missingName'");
    expect(build.stderr).toContain(`in src/algo.ts(${at + 2},5)`);
    expect(existsSync(join(project, 'build', 'broken.wasm'))).toBe(false);
  });

  it('a project whose SDK is not installed: run npm install', () => {
    const project = initIn(tempDir('build-no-sdk'), 'unlinked');
    rmSync(join(project, 'node_modules'), { recursive: true });
    const build = sequence(['build'], { cwd: project });
    expect(build.code).toBe(2);
    expect(build.stderr).toContain(
      `sequence: ${project}: the SDK is not installed (node_modules/sequence-node/sdk/assemblyscript/index.ts is missing); run \`npm install\` in the project`,
    );
  });

  it('a package.json name that cannot name a bundle', () => {
    const project = initIn(tempDir('build-bad-name'), 'renamed');
    const manifestPath = join(project, 'package.json');
    writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8').replace('"name": "renamed"', '"name": "@me/Renamed"'));
    const build = sequence(['build'], { cwd: project });
    expect(build.code).toBe(2);
    expect(build.stderr).toContain(`${manifestPath}: "name" "@me/Renamed" is not a valid algorithm name`);
  });

  it('a folder that is neither a project nor holds algos/', () => {
    const dir = tempDir('build-nothing');
    const build = sequence(['build'], { cwd: dir });
    expect(build.code).toBe(2);
    expect(build.stderr).toContain(`${join(dir, 'algos')}: no such folder`);
  });
});
