import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { coinbaseCredentials, CredentialError, krakenCredentials } from '../src/venues/credentials.ts';

const KRAKEN_SECRET = 'kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==';
const KRAKEN_KEY = 'HKJU8F8Zq5GqLUVd2oJ9XW1fZ9Zc2Yp8ELd1J1C5P9rT0aXhK1sN2m3';
const EC_PEM = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
const KEY_NAME = 'organizations/0f1e2d3c/apiKeys/a1b2c3d4';

function errorOf(fn: () => unknown): CredentialError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CredentialError);
    return err as CredentialError;
  }
  throw new Error('expected a CredentialError');
}

function secretFile(content: string, mode: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'seq-cred-')), 'secret');
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

describe('credentials', () => {
  it('reads Kraken keys from the environment and never prints them', () => {
    const creds = krakenCredentials({ KRAKEN_API_KEY: KRAKEN_KEY, KRAKEN_API_SECRET: KRAKEN_SECRET });
    expect(creds.secret.reveal()).toBe(KRAKEN_SECRET);
    const printed = [String(creds.secret), JSON.stringify(creds), inspect(creds), `${creds.apiKey}`].join(' ');
    expect(printed).not.toContain(KRAKEN_SECRET);
    expect(printed).not.toContain(KRAKEN_KEY);
    expect(printed).toContain('[redacted]');
  });

  it('names the missing variable', () => {
    expect(errorOf(() => krakenCredentials({ KRAKEN_API_KEY: KRAKEN_KEY })).message).toMatch(/^KRAKEN_API_SECRET is not set/);
    expect(errorOf(() => coinbaseCredentials({ COINBASE_API_PRIVATE_KEY: EC_PEM })).message).toMatch(/^COINBASE_API_KEY_NAME is not set/);
  });

  it('names the malformed variable without echoing its value', () => {
    const bad = 'not base64 at all!';
    const err = errorOf(() => krakenCredentials({ KRAKEN_API_KEY: KRAKEN_KEY, KRAKEN_API_SECRET: bad }));
    expect(err.message).toMatch(/^KRAKEN_API_SECRET is malformed/);
    expect(err.message).not.toContain(bad);
    const pemErr = errorOf(() => coinbaseCredentials({ COINBASE_API_KEY_NAME: KEY_NAME, COINBASE_API_PRIVATE_KEY: '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----' }));
    expect(pemErr.message).toMatch(/^COINBASE_API_PRIVATE_KEY is malformed/);
    expect(errorOf(() => coinbaseCredentials({ COINBASE_API_KEY_NAME: 'my-key', COINBASE_API_PRIVATE_KEY: EC_PEM })).message).toMatch(/^COINBASE_API_KEY_NAME is malformed/);
  });

  it('refuses a Coinbase key on another curve', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    expect(errorOf(() => coinbaseCredentials({ COINBASE_API_KEY_NAME: KEY_NAME, COINBASE_API_PRIVATE_KEY: other })).message).toMatch(/not a P-256/);
  });

  it('accepts a Coinbase PEM pasted with literal \\n sequences', () => {
    const creds = coinbaseCredentials({ COINBASE_API_KEY_NAME: KEY_NAME, COINBASE_API_PRIVATE_KEY: EC_PEM.replaceAll('\n', '\\n') });
    expect(creds.privateKeyPem.reveal()).toBe(EC_PEM.trim());
  });

  it('reads a credential from a file only its owner can read', () => {
    const path = secretFile(`${KRAKEN_SECRET}\n`, 0o600);
    expect(krakenCredentials({ KRAKEN_API_KEY: KRAKEN_KEY, KRAKEN_API_SECRET_FILE: path }).secret.reveal()).toBe(KRAKEN_SECRET);
  });

  it('refuses a credential file others can read, naming the file and the fix', () => {
    const path = secretFile(KRAKEN_SECRET, 0o644);
    const err = errorOf(() => krakenCredentials({ KRAKEN_API_KEY: KRAKEN_KEY, KRAKEN_API_SECRET_FILE: path }));
    expect(err.message).toBe(`KRAKEN_API_SECRET_FILE names ${path} with mode 644: others can read it; run chmod 600 ${path}`);
  });

  it('refuses both a variable and its file form at once', () => {
    const path = secretFile(KRAKEN_SECRET, 0o600);
    expect(errorOf(() => krakenCredentials({ KRAKEN_API_KEY: KRAKEN_KEY, KRAKEN_API_SECRET: KRAKEN_SECRET, KRAKEN_API_SECRET_FILE: path })).message).toBe(
      'both KRAKEN_API_SECRET and KRAKEN_API_SECRET_FILE are set: keep one',
    );
  });

  it('says when the named file is missing', () => {
    expect(errorOf(() => krakenCredentials({ KRAKEN_API_KEY: KRAKEN_KEY, KRAKEN_API_SECRET_FILE: '/nonexistent/secret' })).message).toBe(
      'KRAKEN_API_SECRET_FILE names /nonexistent/secret, which cannot be read: ENOENT',
    );
  });
});
