import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CoinbaseEmulator } from '../venues/coinbase/emulator/coinbaseEmulator.ts';
import { coinbaseCredentials, krakenCredentials } from '../venues/credentials.ts';
import { KrakenEmulator } from '../venues/kraken/emulator/krakenEmulator.ts';

// `sequence emulate kraken|coinbase`: a venue emulator on loopback, for demos and for
// testing a config before it meets the real venue. It accepts one API key: the one in the
// environment (the same variables the node reads), or a fresh one it makes and prints, so
// the node started with what it printed authenticates.

export interface EmulateOptions {
  venue: 'kraken' | 'coinbase';
  port: number;
  seed: number;
  replay?: string;
  /** Write freshly made keys here (mode 0600) and print their _FILE variables instead of the values. */
  keysDir?: string;
}

export interface RunningEmulator {
  stop(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

const KRAKEN_VARS = ['KRAKEN_API_KEY', 'KRAKEN_API_SECRET'] as const;
const COINBASE_VARS = ['COINBASE_API_KEY_NAME', 'COINBASE_API_PRIVATE_KEY'] as const;

function hasAny(env: Env, names: readonly string[]): boolean {
  return names.some((n) => (env[n] ?? '') !== '' || (env[`${n}_FILE`] ?? '') !== '');
}

/** Lines that put the credentials into a shell's environment. */
function exportLines(values: Record<string, string>, keysDir: string | undefined): string[] {
  if (keysDir === undefined) return Object.entries(values).map(([name, value]) => `export ${name}='${value.replaceAll('\n', '\\n')}'`);
  const dir = resolve(keysDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return Object.entries(values).map(([name, value]) => {
    const path = join(dir, name);
    writeFileSync(path, `${value}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
    return `export ${name}_FILE='${path}'`;
  });
}

export async function emulate(options: EmulateOptions, env: Env, write: (text: string) => void): Promise<RunningEmulator> {
  const lines: string[] = [];
  if (options.venue === 'kraken') {
    let credentials: { apiKey: string; secret: string };
    if (hasAny(env, KRAKEN_VARS)) {
      const c = krakenCredentials(env);
      credentials = { apiKey: c.apiKey.reveal(), secret: c.secret.reveal() };
      lines.push('# accepting the key in KRAKEN_API_KEY / KRAKEN_API_SECRET');
    } else {
      credentials = { apiKey: randomBytes(42).toString('base64'), secret: randomBytes(64).toString('base64') };
      lines.push('# a key made for this emulator; the node reads it from these variables:');
      lines.push(...exportLines({ KRAKEN_API_KEY: credentials.apiKey, KRAKEN_API_SECRET: credentials.secret }, options.keysDir));
    }
    const emulator = new KrakenEmulator({ port: options.port, seed: options.seed, replay: options.replay, credentials });
    const urls = await emulator.start();
    lines.push(
      `# kraken emulator listening; a venue entry for Sequence.toml:`,
      `[venues.kraken]`,
      `kind = "kraken"`,
      `rest_url = "${urls.restUrl}"`,
      `ws_url = "${urls.wsUrl}"`,
      `ws_auth_url = "${urls.wsAuthUrl}"`,
    );
    write(`${lines.join('\n')}\n`);
    return emulator;
  }
  let credentials: { keyName: string; keyPem: string };
  if (hasAny(env, COINBASE_VARS)) {
    const c = coinbaseCredentials(env);
    credentials = { keyName: c.keyName.reveal(), keyPem: c.privateKeyPem.reveal() };
    lines.push('# accepting the key in COINBASE_API_KEY_NAME / COINBASE_API_PRIVATE_KEY');
  } else {
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    credentials = { keyName: `organizations/emulator/apiKeys/${randomBytes(8).toString('hex')}`, keyPem: pem };
    lines.push('# a key made for this emulator; the node reads it from these variables:');
    lines.push(...exportLines({ COINBASE_API_KEY_NAME: credentials.keyName, COINBASE_API_PRIVATE_KEY: pem.trim() }, options.keysDir));
  }
  const emulator = new CoinbaseEmulator({ port: options.port, seed: options.seed, credentials });
  const urls = await emulator.start();
  lines.push(
    `# coinbase emulator listening; a venue entry for Sequence.toml:`,
    `[venues.coinbase]`,
    `kind = "coinbase"`,
    `rest_url = "${urls.restUrl}"`,
    `ws_url = "${urls.wsUrl}"`,
    `ws_user_url = "${urls.wsUserUrl}"`,
  );
  write(`${lines.join('\n')}\n`);
  return emulator;
}
