import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecimalError } from '../../src/node/fixedPoint.ts';
import { OrderType } from '../../src/wasm/abi.ts';
import { CoinbaseGateway, CoinbaseGatewayError } from '../../src/venues/coinbase/coinbaseGateway.ts';
import { ProductIdError } from '../../src/venues/coinbase/productId.ts';
import { Secret } from '../../src/venues/credentials.ts';
import { KrakenGateway } from '../../src/venues/kraken/krakenGateway.ts';
import { fuzzRuns, hostileJson, mutatedJson } from './support/mutations.ts';

// REST answers are input a stranger controls (a proxy, a changed API, a broken venue): the
// gateways must turn any status and any body into a result or a clear failure, never a
// TypeError in the order path. A loopback server answers every request with the case under test.

let answer = { status: 200, body: '{}' };
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const status = fc.constantFrom(200, 200, 200, 400, 401, 404, 429, 500, 503);

const KRAKEN_SAMPLES: unknown[] = [
  { error: [], result: { open: { 'OABC-1': { status: 'open', cl_ord_id: 'x', vol: '0.1', vol_exec: '0', descr: { pair: 'XBTUSD', type: 'buy', price: '60000.0' } } } } },
  { error: [], result: { trades: { 'T-1': { ordertxid: 'OABC-1', pair: 'XXBTZUSD', price: '60000.0', vol: '0.1', fee: '0.1', type: 'buy', time: 1700000000.1 } }, count: 1 } },
  { error: [], result: { count: 1 } },
  { error: [], result: { token: 'abc', expires: 900 } },
  { error: [], result: { currentTime: '2023-03-24T17:41:56Z', triggerTime: '2023-03-24T17:42:56Z' } },
  { error: ['EOrder:Rate limit exceeded'] },
];

const COINBASE_SAMPLES: unknown[] = [
  { success: true, success_response: { order_id: 'o-1', client_order_id: 'c-1', product_id: 'BTC-USD', side: 'BUY' } },
  { success: false, error_response: { error: 'INSUFFICIENT_FUND', message: 'no' } },
  { results: [{ success: true, order_id: 'o-1', failure_reason: 'UNKNOWN_CANCEL_FAILURE_REASON' }] },
  { orders: [{ order_id: 'o-1', client_order_id: 'c-1', product_id: 'BTC-USD', status: 'OPEN' }], has_next: false, cursor: '' },
  { order: { order_id: 'o-1', client_order_id: 'c-1', product_id: 'BTC-USD', status: 'FILLED' } },
  { fills: [{ trade_id: 't-1', order_id: 'o-1', product_id: 'BTC-USD', side: 'BUY', price: '60000.01', size: '0.001', commission: '0.1', trade_time: '2023-01-01T00:00:00Z' }], cursor: '' },
];

function body(samples: unknown[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: mutatedJson(samples) },
    { weight: 1, arbitrary: hostileJson.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );
}

describe('REST answers fuzzed', () => {
  it('the Kraken gateway turns any answer into a result or a failure with a reason, never an exception', async () => {
    const gateway = new KrakenGateway({
      restUrl: baseUrl,
      credentials: { apiKey: new Secret('fuzzkey'), secret: new Secret(randomBytes(64).toString('base64')) },
      timeoutMs: 2000,
    });
    const calls = [
      () => gateway.cancelByClientId('00000000-0000-4000-8000-000000000000'),
      () => gateway.cancelAll(),
      () => gateway.cancelAllOrdersAfter(60),
      () => gateway.webSocketsToken(),
      () => gateway.openOrders(),
      () => gateway.closedOrders(),
      () => gateway.tradesHistory(),
    ];
    await fc.assert(
      fc.asyncProperty(status, body(KRAKEN_SAMPLES), fc.nat(calls.length - 1), async (code, text, which) => {
        answer = { status: code, body: text };
        const result = await calls[which]();
        if (!result.ok) expect(typeof result.reason).toBe('string');
      }),
      fuzzRuns(300),
    );
  });

  it('the Coinbase gateway never throws on an order, and other calls fail only with named errors', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    const gateway = new CoinbaseGateway({ restUrl: baseUrl, keyName: 'organizations/fuzz/apiKeys/fuzz', privateKeyPem: pem, timeoutMs: 2000 });
    const order = { clientOrderId: 'fuzz.1.1', symbol: 'BTC/USD', side: 1 as const, px1e9: 60_000_000_000_000, qty1e8: 100_000, type: OrderType.Limit };
    const named = (err: unknown) => err instanceof CoinbaseGatewayError || err instanceof DecimalError || err instanceof ProductIdError || (err instanceof Error && err.constructor.name !== 'TypeError' && err.constructor.name !== 'RangeError' && 'name' in err);
    const calls: (() => Promise<unknown>)[] = [
      () => gateway.cancelOrders(['o-1']),
      () => gateway.openOrders(['BTC/USD']),
      () => gateway.order('o-1'),
      () => gateway.fills({ venueOrderIds: ['o-1'] }),
    ];
    await fc.assert(
      fc.asyncProperty(status, body(COINBASE_SAMPLES), fc.nat(calls.length), async (code, text, which) => {
        answer = { status: code, body: text };
        if (which === calls.length) {
          const outcome = await gateway.createOrder(order);
          expect(outcome).toBeTypeOf('object');
          return;
        }
        try {
          await calls[which]();
        } catch (err) {
          expect(err instanceof TypeError, `a TypeError escaped: ${String(err)}`).toBe(false);
          expect(named(err), `unexpected ${String(err)}`).toBe(true);
        }
      }),
      {
        ...fuzzRuns(300),
        // Shapes a mutation rarely reaches, each a TypeError before the gateway checked shapes.
        examples: [
          [200, '{"results":[null]}', 0],
          [200, '{"orders":[null]}', 1],
          [200, '{"order":null}', 2],
          [200, '{"fills":[null]}', 3],
          [200, 'null', 4],
        ],
      },
    );
  });
});
