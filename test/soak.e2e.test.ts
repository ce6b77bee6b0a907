import { readFileSync, rmSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSoak, type SoakContext } from '../scripts/soak/soakRun.ts';
import { buildJwt, privateKeyFromPem } from '../src/venues/coinbase/coinbaseJwt.ts';
import { sequence } from './support/cli.ts';

// The short soak of `npm test`: the real emulators, a Leader and a Follower as real
// processes, the seeded faults injected for real. Heavy (two shared cores): the timeouts
// are generous and nothing here measures speed.

const SOAK_TIMEOUT_MS = 900_000;
/** Seed 178's first two minutes hold a kill -9 and a pause of the Leader, a full journal and a venue restart (test/soakSchedule.test.ts). */
const SHORT_SOAK_SEED = 178;

beforeAll(() => {
  const build = sequence(['build', '--if-stale'], { timeoutMs: 120_000 });
  expect(build.code, build.stderr).toBe(0);
});

const progress: string[] = [];
const log = (line: string) => {
  progress.push(line);
  if (progress.length > 2_000) progress.shift();
};

/** Buys at Coinbase directly, under a client order id shaped like the hedger's that the node never sent: a fill no journal holds. */
async function placeRogueOrder(ctx: SoakContext, clientOrderId: string): Promise<void> {
  const keyName = readFileSync(ctx.keyEnv.COINBASE_API_KEY_NAME_FILE as string, 'utf8').trim();
  const privateKey = privateKeyFromPem(readFileSync(ctx.keyEnv.COINBASE_API_PRIVATE_KEY_FILE as string, 'utf8'));
  const url = new URL('/api/v3/brokerage/orders', ctx.venues.coinbase.restUrl);
  const jwt = buildJwt({ keyName, privateKey, request: { method: 'POST', host: url.host, path: url.pathname } });
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
    body: JSON.stringify({ client_order_id: clientOrderId, product_id: 'BTC-USD', side: 'BUY', order_configuration: { market_market_ioc: { base_size: '0.01' } } }),
  });
  const body = (await res.json()) as { success?: boolean };
  expect(body.success, JSON.stringify(body)).toBe(true);
}

describe('the seeded fault soak', () => {
  it(
    `two minutes of seed ${SHORT_SOAK_SEED}'s faults are injected and recovered from with no invariant violated`,
    async () => {
      const result = await runSoak({ seed: SHORT_SOAK_SEED, minutes: 2, log });
      const context = `${JSON.stringify({ ...result, faults: undefined }, null, 1)}\n${progress.join('\n')}`;
      expect(result.faultErrors, context).toEqual([]);
      expect(result.violations, context).toEqual([]);
      expect(result.firstViolation).toBeNull();
      for (const kind of ['leaderKill', 'leaderPause', 'journalFull', 'emulatorRestart', 'wsDrop', 'delayedAcks'] as const) {
        expect(result.faultCounts[kind], `${kind} injected\n${context}`).toBeGreaterThan(0);
      }
      // The full disk took effect: the Leader's journal refused an append, and it was restarted.
      expect(result.journalFailures, context).toBeGreaterThanOrEqual(1);
      // The kill and the pause each hand the lease to the Follower; the full journal restarts the Leader.
      expect(result.takeovers, context).toBeGreaterThanOrEqual(3);
      expect(result.highestTerm).toBeGreaterThanOrEqual(4);
      expect(result.orders).toBeGreaterThan(0);
      expect(result.journalVerify).toMatch(/^journal OK/);
      expect(result.checks).toBeGreaterThan(5);
      expect(result.openOrdersAtShutdown).toBe(0);
    },
    SOAK_TIMEOUT_MS,
  );

  it(
    'reports a violation, with its seed and time, when an order the node never sent fills at a venue under a client id of the node',
    async () => {
      const rogueId = 'hedger.900000.1';
      const startedMs = Date.now();
      const result = await runSoak({
        seed: 9,
        minutes: 0.25,
        schedule: [],
        log,
        onReady: (ctx) => placeRogueOrder(ctx, rogueId),
      });
      expect(result.violations.length, progress.join('\n')).toBeGreaterThan(0);
      expect(result.violations.some((v) => v.detail.includes(rogueId)), JSON.stringify(result.violations)).toBe(true);
      expect(result.firstViolation).toMatchObject({ seed: 9 });
      expect(result.firstViolation!.atMs).toBeGreaterThanOrEqual(startedMs);
      expect(result.firstViolation!.atMs).toBeLessThanOrEqual(Date.now());
      expect(result.firstViolation!.atSoakMs).toBeGreaterThanOrEqual(0);
      // A run with a violation keeps its journal and events for whoever investigates.
      expect(result.keptDir).not.toBeNull();
      rmSync(result.keptDir as string, { recursive: true, force: true });
    },
    SOAK_TIMEOUT_MS,
  );
});
