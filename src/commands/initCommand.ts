// `sequence init <name>`: creates an algorithm project in a new folder from
// templates/algo-project (the name substituted), and links node_modules/sequence-node to
// this package so that `sequence build` finds the SDK there without a network, as
// `npm install` of its `file:` dependency would.

import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { algoNameProblem } from '../build/algoName.ts';
import { SDK_PACKAGE } from '../build/algoProject.ts';

/** A refused init: a bad name or a folder that exists; nothing was written. */
export class InitError extends Error {}

/** The root of this package: what the project depends on. */
export const PACKAGE_DIR = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const TEMPLATE_DIR = path.join(PACKAGE_DIR, 'templates', 'algo-project');
/** npm drops files named .gitignore from packages, so the template holds it under this name. */
const TEMPLATE_RENAMES: Readonly<Record<string, string>> = { gitignore: '.gitignore' };
/** The template is this package's own small folder; a deeper one means a mistake, not a template. */
const MAX_TEMPLATE_DEPTH = 4;
const PLACEHOLDER = /\{\{(\w+)\}\}/g;

export interface InitResult {
  dir: string;
  /** Files written, relative to dir, in the order written. */
  files: string[];
}

/**
 * Creates parentDir/name. Refuses (InitError, nothing written) a name that is not a valid
 * algorithm name and a path that already exists, even as an empty folder: init never
 * writes into anything it did not create.
 */
export function initProject(name: string, parentDir: string): InitResult {
  const problem = algoNameProblem(name);
  if (problem !== undefined) throw new InitError(problem);
  const dir = path.resolve(parentDir, name);
  try {
    // Non-recursive mkdir is the existence check and the claim in one step.
    mkdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new InitError(`${dir} already exists; init never writes into an existing folder, even an empty one: choose another name or remove it`);
    }
    throw new InitError(`cannot create ${dir} (${code ?? String(error)})`);
  }
  try {
    const values = { name, sequence_dir: PACKAGE_DIR };
    const files = copyTemplate(TEMPLATE_DIR, dir, values, 0);
    linkPackage(dir);
    return { dir, files };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** What `sequence init` prints: where the project is and what to do next. */
export function initSummary(result: InitResult, cwd: string): string {
  const shown = path.relative(cwd, result.dir) || '.';
  return [
    `created ${result.dir}`,
    ...result.files.map((file) => `  ${file}`),
    `  node_modules/${SDK_PACKAGE} -> ${PACKAGE_DIR}`,
    '',
    'next:',
    `  cd ${shown}`,
    '  npx sequence build                        # compile src/algo.ts to build/<name>.wasm',
    '  npx sequence run --config Sequence.toml   # run it on the simulated venue',
    '  npm test                                  # build, then run it for a few seconds and check its orders',
    '',
  ].join('\n');
}

function copyTemplate(fromDir: string, toDir: string, values: Record<string, string>, depth: number): string[] {
  if (depth > MAX_TEMPLATE_DEPTH) throw new Error(`${fromDir}: the project template nests deeper than ${MAX_TEMPLATE_DEPTH} folders`);
  const written: string[] = [];
  for (const entry of readdirSync(fromDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const source = path.join(fromDir, entry.name);
    const target = path.join(toDir, TEMPLATE_RENAMES[entry.name] ?? entry.name);
    if (entry.isDirectory()) {
      mkdirSync(target);
      const inner = copyTemplate(source, target, values, depth + 1);
      written.push(...inner.map((file) => path.join(path.basename(target), file)));
    } else {
      writeFileSync(target, substitute(readFileSync(source, 'utf8'), values, entry.name.endsWith('.json')), { flag: 'wx' });
      written.push(path.basename(target));
    }
  }
  return written;
}

/** Fills {{key}} placeholders; in JSON the values are escaped as JSON string content. */
function substitute(text: string, values: Record<string, string>, json: boolean): string {
  return text.replace(PLACEHOLDER, (match, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`project template: unknown placeholder ${match}`);
    return json ? JSON.stringify(value).slice(1, -1) : value;
  });
}

/** node_modules/sequence-node -> this package, and its `sequence` command in node_modules/.bin. */
function linkPackage(dir: string): void {
  const modules = path.join(dir, 'node_modules');
  mkdirSync(path.join(modules, '.bin'), { recursive: true });
  symlinkSync(PACKAGE_DIR, path.join(modules, SDK_PACKAGE), 'dir');
  symlinkSync(path.join('..', SDK_PACKAGE, 'bin', 'sequence.js'), path.join(modules, '.bin', 'sequence'));
}
