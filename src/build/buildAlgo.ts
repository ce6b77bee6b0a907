// Compiles AssemblyScript algorithms to wasm bundles: the repository's own (algos/<name>/algo.ts
// to algos/<name>/build/<name>.wasm, with the SDK in sdk/assemblyscript by path) and
// algorithm projects made by `sequence init` (src/algo.ts to build/<name>.wasm, with the SDK
// imported as the package sequence-node: see algoProject.ts).
//
// The bundle's entry is a generated file beside the output: it imports algo.ts (whose
// top-level register() runs when the module is instantiated) and re-exports the SDK's
// version-1 exports plus only the optional exports the algorithm overrides.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlgoProject, readAlgoProject, SDK_PACKAGE, SDK_SPECIFIER, type AlgoProject } from './algoProject.ts';
import { BuildError } from './buildError.ts';

export { BuildError };

export interface BuildResult {
  name: string;
  wasmPath: string;
  exports: string[];
  sizeBytes: number;
}

const ENTRY_FILE = 'algo.ts';
const BUILD_DIR = 'build';
export const SDK_DIR = fileURLToPath(new URL('../../sdk/assemblyscript', import.meta.url));

const COMPILER_FLAGS = [
  '--optimizeLevel', '3',
  '--shrinkLevel', '0',
  // The incremental GC reclaims what an algorithm allocates per callback (log lines, message
  // copies); the stub runtime never frees, and a node runs for days within a 64 MiB cap.
  '--runtime', 'incremental',
];

/** What one compilation needs: the algorithm, where its bundle goes, and how the entry reaches the SDK. */
interface BundleSpec {
  name: string;
  sourcePath: string;
  outDir: string;
  /** asc names every file relative to it; package imports are looked up in node_modules above it. */
  baseDir: string;
  /** The import specifier, in the generated entry, of an SDK module such as "exports/v1". */
  sdkImport(module: string, entryDir: string): string;
  /** asc's name of the SDK's abort handler function, for `--use abort=`. */
  abortHandler: string;
}

/** Builds the repository-style algorithm folder dir (dir/algo.ts), importing the SDK by path. */
export async function buildAlgo(dir: string, options: { outDir?: string } = {}): Promise<BuildResult> {
  const algoDir = path.resolve(dir);
  const sourcePath = path.join(algoDir, ENTRY_FILE);
  if (!existsSync(sourcePath)) throw new BuildError(`${algoDir}: no ${ENTRY_FILE} (an algorithm folder holds its entry in ${ENTRY_FILE})`);
  const outDir = path.resolve(options.outDir ?? path.join(algoDir, BUILD_DIR));
  // A base above the entry, the algorithm and the SDK keeps every file's name free of "..",
  // whatever outDir is; asc resolves `--use` by that name too.
  const baseDir = commonAncestor([outDir, algoDir, SDK_DIR]);
  const relative = (target: string) => path.relative(baseDir, target).split(path.sep).join('/');
  return compile({
    name: path.basename(algoDir),
    sourcePath,
    outDir,
    baseDir,
    sdkImport: (module, entryDir) => importPath(entryDir, path.join(SDK_DIR, module)),
    abortHandler: `${relative(path.join(SDK_DIR, 'abort', 'abortHandler'))}/abortHandler`,
  });
}

/**
 * Builds an algorithm project (src/algo.ts to build/<name>.wasm). The entry imports the SDK
 * through the same package specifier as the algorithm, so asc loads one copy of it: the
 * algorithm's register() and the exports must share the SDK's module state.
 */
export async function buildProject(project: AlgoProject): Promise<BuildResult> {
  return compile({
    name: project.name,
    sourcePath: project.sourcePath,
    outDir: project.outDir,
    baseDir: project.dir,
    sdkImport: (module) => `${SDK_SPECIFIER}/${module}`,
    abortHandler: `~lib/${SDK_SPECIFIER}/abort/abortHandler/abortHandler`,
  });
}

async function compile(spec: BundleSpec): Promise<BuildResult> {
  // The compilers load in seconds; imported on first use so that checking for stale
  // bundles (`build --if-stale`, `npm start`) costs nothing when all are fresh.
  const { default: asc } = await import('assemblyscript/asc');
  const { AlgoSourceError, scanAlgoExports } = await import('./algoExports.ts');
  const { name, sourcePath, outDir, baseDir } = spec;
  const wasmPath = path.join(outDir, `${name}.wasm`);
  const entryPath = path.join(outDir, `${name}.entry.ts`);

  let modules: string[];
  try {
    modules = scanAlgoExports(await readFile(sourcePath, 'utf8'), sourcePath).modules;
  } catch (error) {
    if (error instanceof AlgoSourceError) throw new BuildError(error.message);
    throw error;
  }
  await mkdir(outDir, { recursive: true });
  await writeFile(entryPath, entrySource(entryPath, sourcePath, modules.map((module) => spec.sdkImport(module, outDir))));

  const relative = (target: string) => path.relative(baseDir, target).split(path.sep).join('/');
  const { error, stderr } = await asc.main([
    relative(entryPath),
    '--baseDir', baseDir,
    '--outFile', relative(wasmPath),
    // AssemblyScript imports env.abort by default; the node allows no such import, so aborts
    // go to the SDK's handler, which logs through host_log_impl and traps.
    '--use', `abort=${spec.abortHandler}`,
    ...COMPILER_FLAGS,
  ]);
  if (error) throw new BuildError(`${name}: ${locateDiagnostics(stderr.toString(), baseDir).trim() || error.message}`);

  const bytes = new Uint8Array(await readFile(wasmPath));
  const module = await WebAssembly.compile(bytes);
  return {
    name,
    wasmPath,
    exports: WebAssembly.Module.exports(module).map((entry) => entry.name),
    sizeBytes: bytes.byteLength,
  };
}

/** True when the bundle is missing or older than any .ts of the algorithm or of the SDK. */
export function isStale(dir: string): boolean {
  const algoDir = path.resolve(dir);
  const wasmPath = path.join(algoDir, BUILD_DIR, `${path.basename(algoDir)}.wasm`);
  if (!existsSync(wasmPath)) return true;
  const builtMs = statSync(wasmPath).mtimeMs;
  return newestSourceMs(algoDir) > builtMs || newestSourceMs(SDK_DIR) > builtMs;
}

/**
 * Builds what a folder holds: an algorithm project (see algoProject.ts), or else every
 * subfolder that holds an algo.ts, in name order. With onlyStale, skips bundles that are
 * newer than their sources.
 */
export async function buildAlgos(algosRoot: string, options: { onlyStale?: boolean } = {}): Promise<BuildResult[]> {
  const root = path.resolve(algosRoot);
  if (!existsSync(root)) {
    throw new BuildError(`${root}: no such folder (\`sequence build\` builds the algorithm project it runs in, or the folders of algorithms it is given)`);
  }
  if (isAlgoProject(root)) {
    const project = readAlgoProject(root);
    if (options.onlyStale && !isProjectStale(project)) return [];
    return [await buildProject(project)];
  }
  const dirs = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(root, entry.name, ENTRY_FILE)))
    .map((entry) => path.join(root, entry.name))
    .sort();
  const results: BuildResult[] = [];
  for (const dir of dirs) {
    if (options.onlyStale && !isStale(dir)) continue;
    results.push(await buildAlgo(dir));
  }
  return results;
}

/** True when the project's bundle is missing or older than any .ts of the project or of the SDK it imports. */
export function isProjectStale(project: AlgoProject): boolean {
  const wasmPath = path.join(project.outDir, `${project.name}.wasm`);
  if (!existsSync(wasmPath)) return true;
  const builtMs = statSync(wasmPath).mtimeMs;
  return newestSourceMs(project.dir) > builtMs || newestSourceMs(project.sdkDir) > builtMs;
}

function entrySource(entryPath: string, sourcePath: string, sdkImports: string[]): string {
  const from = path.dirname(entryPath);
  const lines = [
    `// Generated by sequence build from ${path.basename(path.dirname(sourcePath))}/${path.basename(sourcePath)}; rebuilt on every build.`,
    `import ${JSON.stringify(importPath(from, sourcePath.replace(/\.ts$/, '')))};`,
    ...sdkImports.map((specifier) => `export * from ${JSON.stringify(specifier)};`),
  ];
  return `${lines.join('\n')}\n`;
}

function importPath(fromDir: string, target: string): string {
  const relative = path.relative(fromDir, target).split(path.sep).join('/');
  return relative.startsWith('.') ? relative : `./${relative}`;
}

function commonAncestor(dirs: string[]): string {
  let ancestor = dirs[0]!;
  while (!dirs.every((dir) => dir === ancestor || dir.startsWith(ancestor.endsWith(path.sep) ? ancestor : ancestor + path.sep))) {
    ancestor = path.dirname(ancestor);
  }
  return ancestor;
}

/**
 * Rewrites asc's `in file(line,column)` locations to paths a reader can open from the working
 * directory (asc names a file found through node_modules `~lib/<package>/...`).
 */
function locateDiagnostics(text: string, baseDir: string): string {
  const packagePrefix = `~lib/${SDK_PACKAGE}/`;
  const onDisk = (file: string): string | undefined => {
    if (file.startsWith(packagePrefix)) return path.join(baseDir, 'node_modules', file.slice('~lib/'.length));
    // AssemblyScript's own standard library: it has no path a reader could open.
    if (file.startsWith('~lib/')) return undefined;
    return path.resolve(baseDir, file);
  };
  return text.replace(/ in (\S+?)\((\d+),(\d+)\)/g, (_match, file: string, line: string, column: string) => {
    const full = onDisk(file);
    const located = full === undefined ? file : path.relative(process.cwd(), full) || file;
    return ` in ${located}(${line},${column})`;
  });
}

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== BUILD_DIR && entry.name !== 'node_modules') newest = Math.max(newest, newestSourceMs(full));
    } else if (entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(full).mtimeMs);
    }
  }
  return newest;
}
