import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoinbaseEmulator } from '../../src/venues/coinbase/emulator/coinbaseEmulator.ts';
import { KrakenEmulator } from '../../src/venues/kraken/emulator/krakenEmulator.ts';
import { BenchChild, rssBytes } from './benchChild.ts';

// The demos' memory: `sequence run --daemon` on the repository's demo configs, its RSS read
// from /proc once it trades. Sequence.toml runs on embedded sim venues; for
// Sequence.emulators.toml the Kraken and Coinbase emulators run in this process, with keys
// made here and handed to the node in its environment, as `sequence emulate` prints them.

const ROOT = join(import.meta.dirname, '..', '..');
const RSS_PERIOD_MS = 500;
/** From process start to the first status event (tsx compiling, venues connecting, reconciling). */
const READY_TIMEOUT_MS = 120_000;
/** Characters of stdout carried over to the next chunk: longer than the status event's mark. */
const STATUS_MARK_CHARS = 32;
/** A status is emitted every second while the node trades. */
const STATUS_MARK = '"type":"status"';

export interface Demo {
  name: string;
  /** Starts what the demo needs beside the node; returns its config text (data_dir still to set) and environment, and how to stop it. */
  prepare(): Promise<{ toml: string; env: Record<string, string>; stop: () => Promise<void> }>;
}

const demoToml = (file: string) => readFileSync(join(ROOT, file), 'utf8').replace(/bundle = "algos\//g, `bundle = "${join(ROOT, 'algos')}/`);

export const simDemo: Demo = {
  name: 'the demo (Sequence.toml: maker and hedger on two sim venues)',
  prepare: async () => ({ toml: demoToml('Sequence.toml'), env: {}, stop: async () => {} }),
};

export const emulatorsDemo: Demo = {
  name: 'the emulators demo (Sequence.emulators.toml: maker on the Kraken emulator, hedger on the Coinbase one)',
  prepare: async () => {
    const kraken = { apiKey: randomBytes(42).toString('base64'), secret: randomBytes(64).toString('base64') };
    const keyPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    const coinbase = { keyName: `organizations/bench/apiKeys/${randomBytes(8).toString('hex')}`, keyPem };
    const krakenEmulator = new KrakenEmulator({ credentials: kraken });
    const coinbaseEmulator = new CoinbaseEmulator({ credentials: coinbase });
    const k = await krakenEmulator.start();
    const c = await coinbaseEmulator.start();
    const urls: Record<string, string> = { rest_url: k.restUrl, ws_url: k.wsUrl, ws_auth_url: k.wsAuthUrl };
    const coinbaseUrls: Record<string, string> = { rest_url: c.restUrl, ws_url: c.wsUrl, ws_user_url: c.wsUserUrl };
    const toml = demoToml('Sequence.emulators.toml')
      .replace(/(\[venues\.kraken\][\s\S]*?)(?=\n\[)/, (block) => block.replace(/^(rest_url|ws_url|ws_auth_url) = ".*"$/gm, (_l, key: string) => `${key} = "${urls[key]}"`))
      .replace(/(\[venues\.coinbase\][\s\S]*?)(?=\n\[)/, (block) => block.replace(/^(rest_url|ws_url|ws_user_url) = ".*"$/gm, (_l, key: string) => `${key} = "${coinbaseUrls[key]}"`));
    return {
      toml,
      env: { KRAKEN_API_KEY: kraken.apiKey, KRAKEN_API_SECRET: kraken.secret, COINBASE_API_KEY_NAME: coinbase.keyName, COINBASE_API_PRIVATE_KEY: keyPem },
      stop: async () => {
        await Promise.all([krakenEmulator.stop(), coinbaseEmulator.stop()]);
      },
    };
  },
};

/** The demo's RSS every RSS_PERIOD_MS for `seconds`, from as long after its first status event. */
export async function demoRss(demo: Demo, seconds: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'seq-demo-rss-'));
  const prepared = await demo.prepare();
  const configPath = join(dir, 'Sequence.toml');
  writeFileSync(configPath, prepared.toml.replace(/^data_dir = .*$/m, `data_dir = "${join(dir, 'data')}"`));
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'sequence.js'), 'run', '--daemon', '--config', configPath], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...prepared.env },
  });
  const node = new BenchChild(child, `the node of ${demo.name}`);
  // Only the tail of the last chunk is kept, for an event split across two chunks.
  let tail = '';
  let trading = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = tail + chunk.toString('utf8');
    if (text.includes(STATUS_MARK)) trading = true;
    tail = text.slice(-STATUS_MARK_CHARS);
  });
  const samples: number[] = [];
  try {
    const readyBy = Date.now() + READY_TIMEOUT_MS;
    while (!trading) {
      node.checkAlive();
      if (Date.now() > readyBy) throw new Error(`${node.name} reported no status within ${READY_TIMEOUT_MS} ms: ${node.stderr.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, RSS_PERIOD_MS));
    }
    await new Promise((r) => setTimeout(r, seconds * 1000));
    for (let i = 0; i < (seconds * 1000) / RSS_PERIOD_MS; i++) {
      node.checkAlive();
      samples.push(rssBytes(node.pid));
      await new Promise((r) => setTimeout(r, RSS_PERIOD_MS));
    }
  } finally {
    await node.stop();
    await prepared.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}
