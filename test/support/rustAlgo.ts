// Builds the Rust TestQuoter bundle (test/algos/rust-v1), a stand-in for a bundle built
// with the public `sequence-algo-sdk` 0.1 crate, which cannot be fetched here.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Debian's rustc, not the rustup shim earlier on PATH, which lacks the wasm32 std.
const RUSTC = '/usr/bin/rustc';
const TARGET = 'wasm32-unknown-unknown';
const INSTALL_HINT =
  'Debian packages rustc and libstd-rust-dev-wasm32 (apt-get install rustc libstd-rust-dev-wasm32); the test calls /usr/bin/rustc';

const SRC_DIR = fileURLToPath(new URL('../algos/rust-v1/', import.meta.url));
const SOURCES = ['lib.rs', 'algo_sdk.rs'].map((f) => join(SRC_DIR, f));
const OUT_DIR = join(SRC_DIR, 'build');
const OUT = join(OUT_DIR, 'test_quoter.wasm');

function execText(args: string[]): string {
  return execFileSync(RUSTC, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string | Buffer; message?: string };
  const text = e.stderr?.toString().trim();
  return text || e.message || String(err);
}

function assertToolchain(): void {
  if (!existsSync(RUSTC)) {
    throw new Error(`${RUSTC} not found. Install the ${INSTALL_HINT}.`);
  }
  let libdir: string;
  try {
    libdir = execText(['--print', 'target-libdir', '--target', TARGET]).trim();
  } catch (err) {
    throw new Error(`${RUSTC} does not know target ${TARGET}: ${stderrOf(err)}\nInstall the ${INSTALL_HINT}.`);
  }
  const hasStd = existsSync(libdir) && readdirSync(libdir).some((f) => f.startsWith('libstd-') && f.endsWith('.rlib'));
  if (!hasStd) {
    throw new Error(`${RUSTC} has no standard library for ${TARGET} (looked in ${libdir}). Install the ${INSTALL_HINT}.`);
  }
}

function isFresh(): boolean {
  if (!existsSync(OUT)) return false;
  const built = statSync(OUT).mtimeMs;
  return SOURCES.every((src) => statSync(src).mtimeMs <= built);
}

/** Compiles the bundle if a source is newer than it; returns the .wasm's absolute path. */
export function buildRustAlgo(): string {
  if (isFresh()) return OUT;
  assertToolchain();
  mkdirSync(OUT_DIR, { recursive: true });
  // Parallel test workers may build at once: each writes its own file and renames it
  // into place, so no reader ever sees a half-written module.
  const tmp = join(OUT_DIR, `test_quoter.${process.pid}.tmp.wasm`);
  try {
    execText([
      '--edition', '2021',
      '--crate-type', 'cdylib',
      '--crate-name', 'test_quoter',
      '--target', TARGET,
      '-C', 'opt-level=2',
      '-C', 'panic=abort',
      '-C', 'strip=debuginfo',
      '-o', tmp,
      SOURCES[0]!,
    ]);
    renameSync(tmp, OUT);
  } catch (err) {
    rmSync(tmp, { force: true });
    const detail = stderrOf(err);
    const missingStd = /can't find crate for `(std|core)`|target may not be installed/.test(detail);
    throw new Error(
      missingStd
        ? `${RUSTC} cannot build for ${TARGET}. Install the ${INSTALL_HINT}.\n${detail}`
        : `${RUSTC} failed to build ${SOURCES[0]}:\n${detail}`,
    );
  }
  return OUT;
}
