import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ALLOWED_IMPORTS, OPTIONAL_EXPORTS, REQUIRED_EXPORTS, WASM_PAGE_BYTES } from './abi.ts';
import { fuelForDeadline } from './fuelBudget.ts';
import { BundleError, instrumentModule } from './instrument.ts';

export { BundleError };

/** A bundle that passed every load-time check, compiled with fuel metering and its memory cap. */
export interface LoadedBundle {
  path: string;
  module: WebAssembly.Module;
  /** ABI exports the module has (required and optional), in ABI order. */
  abiExports: string[];
  /** Exports the module has that the ABI does not define (ignored, e.g. Rust's __heap_base). */
  otherExports: string[];
  sizeBytes: number;
  /** sha256 of the bundle file, hex: what `sequence deploy` compares to decide a restart. */
  sha256: string;
}

export interface LoadOptions {
  memoryMaxMib: number;
  /** Bounds the module's start function (run at instantiation) like a callback. */
  callbackDeadlineMs: number;
}

/**
 * Reads, validates and compiles an algorithm bundle. Refuses, with an error naming the
 * problem: a file that is not WebAssembly, an import outside the allow-list (WASI
 * included), a missing version-1 export, an ABI export that is not a function, and
 * memory needs over the cap.
 */
export function loadBundle(path: string, options: LoadOptions): LoadedBundle {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new BundleError(`${path}: cannot read the bundle (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return compileBundle(bytes, path, options);
}

export function compileBundle(bytes: Uint8Array<ArrayBuffer>, path: string, options: LoadOptions): LoadedBundle {
  let original: WebAssembly.Module;
  try {
    original = new WebAssembly.Module(bytes);
  } catch (error) {
    throw new BundleError(`${path}: not a valid WebAssembly module: ${(error as Error).message}`);
  }
  const allowed = new Set<string>(ALLOWED_IMPORTS);
  for (const imp of WebAssembly.Module.imports(original)) {
    if (imp.module !== 'env' || imp.kind !== 'function' || !allowed.has(imp.name)) {
      throw new BundleError(
        `${path}: imports ${imp.kind} "${imp.module}.${imp.name}", which the node does not provide; ` +
          `a bundle may import only the functions env.${ALLOWED_IMPORTS.join(', env.')}`,
      );
    }
  }
  const exported = new Map(WebAssembly.Module.exports(original).map((e) => [e.name, e.kind]));
  if (exported.get('memory') !== 'memory') {
    throw new BundleError(`${path}: does not export its linear memory as "memory"`);
  }
  for (const name of REQUIRED_EXPORTS) {
    const kind = exported.get(name);
    if (kind === undefined) throw new BundleError(`${path}: missing export ${name} (required by ABI version 1)`);
    if (kind !== 'function') throw new BundleError(`${path}: export ${name} is a ${kind}, not a function`);
  }
  const abiExports: string[] = [...REQUIRED_EXPORTS];
  for (const name of OPTIONAL_EXPORTS) {
    const kind = exported.get(name);
    if (kind === undefined) continue;
    if (kind !== 'function') throw new BundleError(`${path}: export ${name} is a ${kind}, not a function`);
    abiExports.push(name);
  }
  const known = new Set<string>([...abiExports, 'memory']);
  const otherExports = [...exported.keys()].filter((name) => !known.has(name));
  const memoryMaxPages = Math.floor((options.memoryMaxMib * 1024 * 1024) / WASM_PAGE_BYTES);
  let instrumented: Uint8Array<ArrayBuffer>;
  try {
    instrumented = instrumentModule(bytes, { memoryMaxPages, initialFuel: fuelForDeadline(options.callbackDeadlineMs) });
  } catch (error) {
    if (error instanceof BundleError) throw new BundleError(`${path}: ${error.message}`);
    throw error;
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { path, module: new WebAssembly.Module(instrumented), abiExports, otherExports, sizeBytes: bytes.length, sha256 };
}
