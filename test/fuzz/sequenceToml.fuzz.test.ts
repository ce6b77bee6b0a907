import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue, parseConfig } from '../../src/node/config.ts';
import { fuzzRuns, mutatedText } from './support/mutations.ts';

// Sequence.toml as an operator (or a stranger with write access to it) might leave it:
// parsing gives a config or a ConfigError whose every issue names the file, a line inside
// it and a message; never another exception.

const FILE = 'Sequence.toml';
const SAMPLES = [readFileSync('Sequence.toml', 'utf8'), readFileSync('Sequence.emulators.toml', 'utf8')];
const LINES = SAMPLES.flatMap((s) => s.split('\n'));

/** Line-level edits: a line dropped, duplicated, moved, or one line's value swapped for another line's. */
const lineEdited = fc
  .tuple(fc.constantFrom(...SAMPLES), fc.array(fc.tuple(fc.constantFrom('drop', 'duplicate', 'swapValue', 'borrow'), fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 }))
  .map(([sample, edits]) => {
    const lines = sample.split('\n');
    for (const [kind, a, b] of edits) {
      const i = a % lines.length;
      if (kind === 'drop') lines.splice(i, 1);
      else if (kind === 'duplicate') lines.splice(i, 0, lines[i]);
      else if (kind === 'borrow') lines.splice(i, 0, LINES[b % LINES.length]);
      else {
        const donor = LINES[b % LINES.length];
        const eq = lines[i].indexOf('=');
        const donorEq = donor.indexOf('=');
        if (eq > 0 && donorEq > 0) lines[i] = lines[i].slice(0, eq + 1) + donor.slice(donorEq + 1);
      }
    }
    return lines.join('\n');
  });

function expectConfigOrConfigError(text: string): void {
  const lineCount = text.split('\n').length;
  try {
    parseConfig(text, FILE, { checkBundles: false });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(issue.file).toBe(FILE);
      expect(Number.isInteger(issue.line) && issue.line >= 0 && issue.line <= lineCount).toBe(true);
      expect(issue.message.length).toBeGreaterThan(0);
      expect(formatIssue(issue).startsWith(issue.line > 0 ? `${FILE}:${issue.line}: ` : `${FILE}: `)).toBe(true);
    }
  }
}

describe('Sequence.toml from a stranger', () => {
  it('the shipped configs parse', () => {
    for (const text of SAMPLES) expect(() => parseConfig(text, FILE, { checkBundles: false })).not.toThrow();
  });

  it('random text gives a config or a ConfigError with file:line issues, never another exception', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), expectConfigOrConfigError), fuzzRuns(200));
  });

  it('character edits of the shipped configs give a config or a ConfigError with file:line issues', () => {
    fc.assert(fc.property(mutatedText(SAMPLES), expectConfigOrConfigError), fuzzRuns(800));
  });

  it('lines dropped, duplicated, borrowed or given another line\'s value give a config or a ConfigError with file:line issues', () => {
    fc.assert(fc.property(lineEdited, expectConfigOrConfigError), fuzzRuns(800));
  });
});
