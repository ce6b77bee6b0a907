// An algorithm project made by `sequence init`: a folder of its own, anywhere, holding the
// algorithm in src/algo.ts and reaching the SDK as the npm package `sequence-node`
// (node_modules/sequence-node, a link to this repository), the way asc resolves a package
// import: it looks for `node_modules/<package>/<subpath>.ts` or `<subpath>/index.ts` in the
// folders above its base directory, which the build sets to the project.

import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { algoNameProblem } from './algoName.ts';
import { BuildError } from './buildError.ts';

export const PROJECT_MANIFEST = 'package.json';
export const PROJECT_SOURCE = path.join('src', 'algo.ts');
export const PROJECT_BUILD_DIR = 'build';
export const SDK_PACKAGE = 'sequence-node';
/** What an algorithm writes in its import: `import { Algo, ... } from "sequence-node/sdk/assemblyscript"`. */
export const SDK_SPECIFIER = `${SDK_PACKAGE}/sdk/assemblyscript`;

export interface AlgoProject {
  dir: string;
  /** From package.json: the bundle is build/<name>.wasm. */
  name: string;
  sourcePath: string;
  outDir: string;
  /** Where the SDK the project imports lives (node_modules/sequence-node/sdk/assemblyscript, links resolved). */
  sdkDir: string;
}

/** True when dir looks like an algorithm project: a package.json and src/algo.ts. */
export function isAlgoProject(dir: string): boolean {
  return existsSync(path.join(dir, PROJECT_MANIFEST)) && existsSync(path.join(dir, PROJECT_SOURCE));
}

/** Reads a project's name and finds its SDK; a BuildError says what is wrong and how to fix it. */
export function readAlgoProject(dir: string): AlgoProject {
  const projectDir = path.resolve(dir);
  const manifestPath = path.join(projectDir, PROJECT_MANIFEST);
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    throw new BuildError(`${manifestPath}: cannot read it as JSON (${(error as Error).message})`);
  }
  const name = (manifest as { name?: unknown } | null)?.name;
  if (typeof name !== 'string') throw new BuildError(`${manifestPath}: no "name" (it names the bundle: build/<name>.wasm)`);
  const problem = algoNameProblem(name);
  if (problem !== undefined) throw new BuildError(`${manifestPath}: "name" ${problem}`);

  const sdkLink = path.join(projectDir, 'node_modules', ...SDK_SPECIFIER.split('/'));
  if (!existsSync(path.join(sdkLink, 'index.ts'))) {
    throw new BuildError(
      `${projectDir}: the SDK is not installed (${path.relative(projectDir, sdkLink)}/index.ts is missing); ` +
        `run \`npm install\` in the project: its package.json depends on ${SDK_PACKAGE}`,
    );
  }
  return {
    dir: projectDir,
    name,
    sourcePath: path.join(projectDir, PROJECT_SOURCE),
    outDir: path.join(projectDir, PROJECT_BUILD_DIR),
    sdkDir: realpathSync(sdkLink),
  };
}
