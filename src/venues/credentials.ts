import { createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { inspect } from 'node:util';

// API credentials come only from the environment: each variable NAME may instead be given
// as NAME_FILE, the path of a file only its owner can read (mode 0600 or stricter). A
// credential's value never reaches a log, the journal, the UI or an error message: it is
// held in a Secret that prints as [redacted], and errors name the variable, not the value.

export class CredentialError extends Error {}

/** A credential value. Only reveal() gives it out; every way of printing it shows [redacted]. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}

export interface KrakenCredentials {
  apiKey: Secret;
  /** Base64 of the HMAC-SHA512 key, as Kraken issues it. */
  secret: Secret;
}

export interface CoinbaseCredentials {
  /** `organizations/{org}/apiKeys/{id}`. */
  keyName: Secret;
  /** SEC1 or PKCS#8 PEM of a P-256 key (ES256). */
  privateKeyPem: Secret;
}

type Env = Readonly<Record<string, string | undefined>>;

/** KRAKEN_API_KEY and KRAKEN_API_SECRET (or their _FILE forms); throws naming what is missing or malformed. */
export function krakenCredentials(env: Env = process.env): KrakenCredentials {
  const apiKey = required(env, 'KRAKEN_API_KEY');
  const secret = required(env, 'KRAKEN_API_SECRET');
  if (!/^[A-Za-z0-9+/=]+$/.test(apiKey)) throw new CredentialError('KRAKEN_API_KEY is malformed: expected the key as Kraken shows it (letters, digits, +, /, =)');
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(secret) ? Buffer.from(secret, 'base64') : Buffer.alloc(0);
  if (decoded.length < 32) throw new CredentialError('KRAKEN_API_SECRET is malformed: expected the base64 private key Kraken issued');
  return { apiKey: new Secret(apiKey), secret: new Secret(secret) };
}

/** COINBASE_API_KEY_NAME and COINBASE_API_PRIVATE_KEY (or their _FILE forms); throws naming what is missing or malformed. */
export function coinbaseCredentials(env: Env = process.env): CoinbaseCredentials {
  const keyName = required(env, 'COINBASE_API_KEY_NAME');
  // A PEM pasted into an environment variable often carries literal \n sequences.
  const pem = required(env, 'COINBASE_API_PRIVATE_KEY').replaceAll('\\n', '\n').trim();
  if (!/^organizations\/[^/\s]+\/apiKeys\/[^/\s]+$/.test(keyName)) {
    throw new CredentialError('COINBASE_API_KEY_NAME is malformed: expected organizations/{org_id}/apiKeys/{key_id}');
  }
  let curve: string | undefined;
  try {
    const key = createPrivateKey(pem);
    curve = key.asymmetricKeyDetails?.namedCurve;
  } catch {
    throw new CredentialError('COINBASE_API_PRIVATE_KEY is malformed: expected the PEM private key (-----BEGIN EC PRIVATE KEY----- …) Coinbase issued');
  }
  if (curve !== 'prime256v1') {
    throw new CredentialError('COINBASE_API_PRIVATE_KEY is not a P-256 (ES256) key: create an ECDSA key in the Coinbase Developer Platform (Ed25519 keys are not supported)');
  }
  return { keyName: new Secret(keyName), privateKeyPem: new Secret(pem) };
}

function required(env: Env, name: string): string {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && direct !== '' && file !== undefined && file !== '') {
    throw new CredentialError(`both ${name} and ${name}_FILE are set: keep one`);
  }
  if (file !== undefined && file !== '') return fromFile(name, file);
  if (direct === undefined || direct.trim() === '') {
    throw new CredentialError(`${name} is not set: put the credential in ${name}, or its file's path in ${name}_FILE (mode 0600)`);
  }
  return direct.trim();
}

function fromFile(name: string, path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new CredentialError(`${name}_FILE names ${path}, which cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new CredentialError(`${name}_FILE names ${path} with mode ${(mode & 0o777).toString(8)}: others can read it; run chmod 600 ${path}`);
  }
  const value = readFileSync(path, 'utf8').trim();
  if (value === '') throw new CredentialError(`${name}_FILE names ${path}, which is empty`);
  return value;
}
