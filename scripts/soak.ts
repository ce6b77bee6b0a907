import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeReliabilitySection } from './reliabilitySection.ts';
import { reliabilityMarkdown } from './soak/reliabilityReport.ts';
import { runSoak, type SoakResult } from './soak/soakRun.ts';

// `npm run soak -- --seed N [--seed M ...] --minutes M [--write]`: the seeded fault soak,
// one run per seed, one after the other (the machine's cores are the node's). Prints
// progress and each run's result; --write regenerates RELIABILITY.md's soak section from this run.
// Exit code 1 when an invariant was violated or a fault could not be injected, 2 on bad arguments.

const root = join(import.meta.dirname, '..');
const usage = 'usage: npm run soak -- --seed N [--seed N2 ...] --minutes M [--write]';

function parse(): { seeds: number[]; minutes: number; write: boolean } {
  let values: { seed?: string[]; minutes?: string; write?: boolean };
  try {
    ({ values } = parseArgs({ options: { seed: { type: 'string', multiple: true }, minutes: { type: 'string' }, write: { type: 'boolean', default: false } }, strict: true }));
  } catch (error) {
    throw new RangeError(`${(error as Error).message}\n${usage}`);
  }
  if (values.seed === undefined || values.seed.length === 0) throw new RangeError(`name at least one --seed\n${usage}`);
  const seeds = values.seed.map((s) => {
    const n = Number(s);
    if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(n)) throw new RangeError(`--seed must be a whole number, got "${s}"`);
    return n;
  });
  const minutes = Number(values.minutes);
  if (values.minutes === undefined || !(Number.isFinite(minutes) && minutes > 0)) throw new RangeError(`--minutes must be a positive number, got "${values.minutes ?? ''}"\n${usage}`);
  return { seeds, minutes, write: values.write === true };
}

function summary(r: SoakResult): string {
  const faults = Object.entries(r.faultCounts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const na = Object.entries(r.notApplicable).map(([k, v]) => `${k} ${v?.count}`).join(', ');
  const lines = [
    `seed ${r.seed}: ${r.minutes} min of faults, ${(r.wallMs / 1000).toFixed(0)} s in all`,
    `  faults injected: ${faults || 'none'}${na === '' ? '' : `; not applicable: ${na}`}`,
    `  takeovers ${r.takeovers}, node starts ${r.nodeStarts}, highest term ${r.highestTerm}, operator resumes ${r.resumes}, journal failures ${r.journalFailures}`,
    `  orders ${r.orders}, fills ${r.fills}, journal records ${r.journalRecords}, open at shutdown ${r.openOrdersAtShutdown ?? 'unknown'}`,
    `  node events lost ${r.eventsLost}; checks ${r.checks} (${r.checksSkipped} skipped: evidence unreadable, e.g. a venue down); ${r.journalVerify}`,
  ];
  for (const f of r.faultErrors) lines.push(`  FAULT ${f.outcome.toUpperCase()}: ${f.fault} at +${(f.atMs / 1000).toFixed(1)} s: ${f.detail}`);
  if (r.firstViolation === null) lines.push('  invariants: none violated');
  else {
    lines.push(`  VIOLATIONS: ${r.violations.length}; first (seed ${r.firstViolation.seed}, +${(r.firstViolation.atSoakMs / 1000).toFixed(1)} s): ${r.firstViolation.invariant}: ${r.firstViolation.detail}`);
    for (const v of r.violations.slice(1, 10)) lines.push(`    ${v.invariant}: ${v.detail}`);
  }
  if (r.keptDir !== null) lines.push(`  work directory kept: ${r.keptDir}`);
  return lines.join('\n');
}

let args: ReturnType<typeof parse>;
try {
  args = parse();
} catch (error) {
  process.stderr.write(`soak: ${(error as Error).message}\n`);
  process.exit(2);
}

const results: SoakResult[] = [];
let failed = false;
for (const seed of args.seeds) {
  try {
    const result = await runSoak({ seed, minutes: args.minutes, log: (line) => process.stdout.write(`${line}\n`) });
    results.push(result);
    process.stdout.write(`${summary(result)}\n`);
  } catch (error) {
    // A run that could not finish (an emulator that would not start, a node that refuses its config) is a failed soak, not a clean one.
    failed = true;
    process.stdout.write(`seed ${seed}: the run failed: ${(error as Error).stack ?? String(error)}\n`);
  }
}

if (args.write && !failed) {
  const command = `npm run soak -- ${args.seeds.map((s) => `--seed ${s}`).join(' ')} --minutes ${args.minutes} --write`;
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim() !== '';
  const commit = dirty ? `${head} (with uncommitted changes)` : head;
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  writeReliabilitySection(join(root, 'RELIABILITY.md'), 'soak', reliabilityMarkdown(results, { command, commit, machine, generatedAt: new Date().toISOString() }));
  process.stdout.write('RELIABILITY.md written\n');
}

if (args.write && failed) process.stdout.write('RELIABILITY.md not written: a run failed\n');
process.exit(!failed && results.every((r) => r.violations.length === 0 && r.faultErrors.length === 0) ? 0 : 1);
