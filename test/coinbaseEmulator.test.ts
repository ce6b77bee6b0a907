import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { buildJwt } from '../src/venues/coinbase/coinbaseJwt.ts';
import { CoinbaseGateway } from '../src/venues/coinbase/coinbaseGateway.ts';
import { CoinbaseEmulator, type CoinbaseEmulatorUrls } from '../src/venues/coinbase/emulator/coinbaseEmulator.ts';

const KEY_NAME = 'organizations/org-1/apiKeys/key-1';
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const PEM = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const ORDERS = '/api/v3/brokerage/orders';

let emulator: CoinbaseEmulator;
let urls: CoinbaseEmulatorUrls;

function token(method: string, path: string, options: { key?: typeof privateKey; nowSec?: number } = {}): string {
  return buildJwt({ keyName: KEY_NAME, privateKey: options.key ?? privateKey, request: { method, host: new URL(urls.restUrl).host, path }, nowSec: options.nowSec });
}

async function call(method: string, path: string, body?: unknown, jwt: string | null = token(method, path.split('?')[0])): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (jwt !== null) headers.authorization = `Bearer ${jwt}`;
  return fetch(`${urls.restUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

function limitBody(clientOrderId: string, limitPrice = '50000.00', postOnly = false): unknown {
  return { client_order_id: clientOrderId, product_id: 'BTC-USD', side: 'BUY', order_configuration: { limit_limit_gtc: { base_size: '0.001', limit_price: limitPrice, post_only: postOnly } } };
}

/** Frames from a user-channel socket, collected as they come. */
async function userSocket(): Promise<{ ws: WebSocket; frames: Record<string, unknown>[]; next(match: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> }> {
  const ws = new WebSocket(urls.wsUserUrl);
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return {
    ws,
    frames,
    async next(match) {
      for (let i = 0; i < 1000; i++) {
        const found = frames.find(match);
        if (found !== undefined) return found;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no matching frame; got ${JSON.stringify(frames)}`);
    },
  };
}

beforeEach(async () => {
  emulator = new CoinbaseEmulator({ credentials: { keyName: KEY_NAME, keyPem: PEM }, seed: 7 });
  urls = await emulator.start();
});

afterEach(async () => {
  await emulator.stop();
});

describe('coinbase emulator REST', () => {
  it('places a limit order with a valid JWT and answers with the success shape', async () => {
    const res = await call('POST', ORDERS, limitBody('node.1.1'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(body.success).toBe(true);
    expect(body.success_response).toMatchObject({ product_id: 'BTC-USD', side: 'BUY', client_order_id: 'node.1.1' });
    expect(body.order_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(emulator.market.openOrders().map((o) => o.clientOrderId)).toEqual(['node.1.1']);
  });

  it('answers a JWT signed by an unknown key with 401 Unauthorized and creates nothing', async () => {
    const res = await call('POST', ORDERS, limitBody('node.1.2'), token('POST', ORDERS, { key: stranger }));
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('Unauthorized\n');
    expect(res.headers.get('x-emulator-auth-error')).toMatch(/bad signature/);
    expect(emulator.market.order('node.1.2')).toBeUndefined();
  });

  it('answers an expired JWT with 401 and creates nothing', async () => {
    const res = await call('POST', ORDERS, limitBody('node.1.3'), token('POST', ORDERS, { nowSec: Math.floor(Date.now() / 1000) - 600 }));
    expect(res.status).toBe(401);
    expect(res.headers.get('x-emulator-auth-error')).toMatch(/expired/);
    expect(emulator.market.order('node.1.3')).toBeUndefined();
  });

  it('answers a request with no token, or a token for another path, with 401', async () => {
    expect((await call('POST', ORDERS, limitBody('node.1.4'), null)).status).toBe(401);
    expect((await call('POST', ORDERS, limitBody('node.1.4'), token('POST', '/api/v3/brokerage/orders/batch_cancel'))).status).toBe(401);
    expect(emulator.market.order('node.1.4')).toBeUndefined();
  });

  it('never puts the private key in the error a refused client sees', async () => {
    const wrongPem = stranger.export({ type: 'sec1', format: 'pem' }).toString();
    const gateway = new CoinbaseGateway({ restUrl: urls.restUrl, keyName: KEY_NAME, privateKeyPem: wrongPem, timeoutMs: 5000 });
    const err = await gateway.loadMarkets(['BTC/USD']).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/401/);
    expect(err?.message).toMatch(/COINBASE_API_KEY_NAME and COINBASE_API_PRIVATE_KEY/);
    const keyBody = wrongPem.split('\n')[1];
    expect(err?.message).not.toContain(keyBody);
    expect(err?.message).not.toContain('PRIVATE KEY-----');
  });

  it('is idempotent on client_order_id: a repeat returns the existing order and creates nothing', async () => {
    const first = (await (await call('POST', ORDERS, limitBody('node.2.1'))).json()) as Record<string, any>;
    const again = (await (await call('POST', ORDERS, limitBody('node.2.1', '51000.00'))).json()) as Record<string, any>;
    expect(again.success).toBe(true);
    expect(again.order_id).toBe(first.order_id);
    expect(emulator.market.openOrders()).toHaveLength(1);
    expect(emulator.market.openOrders()[0].px1e9).toBe(50_000 * 1e9);
  });

  it('fails a post-only order that would cross with INVALID_LIMIT_PRICE_POST_ONLY', async () => {
    const body = (await (await call('POST', ORDERS, limitBody('node.3.1', '70000.00', true))).json()) as Record<string, any>;
    expect(body.success).toBe(false);
    expect(body.error_response).toMatchObject({ error: 'INVALID_LIMIT_PRICE_POST_ONLY', new_order_failure_reason: 'INVALID_LIMIT_PRICE_POST_ONLY' });
    expect(emulator.market.openOrders()).toHaveLength(0);
  });

  it('fails an unsupported order configuration and a malformed size with error_response, creating nothing', async () => {
    const gtd = { client_order_id: 'node.4.1', product_id: 'BTC-USD', side: 'BUY', order_configuration: { limit_limit_gtd: { base_size: '1', limit_price: '1', end_time: 'x' } } };
    const bad = (await (await call('POST', ORDERS, gtd)).json()) as Record<string, any>;
    expect(bad.success).toBe(false);
    expect(bad.error_response.message).toMatch(/unsupported order_configuration limit_limit_gtd/);
    const size = { client_order_id: 'node.4.2', product_id: 'BTC-USD', side: 'BUY', order_configuration: { limit_limit_gtc: { base_size: '1e-3', limit_price: '100' } } };
    expect(((await (await call('POST', ORDERS, size)).json()) as Record<string, any>).error_response.message).toMatch(/not a decimal number/);
    expect(emulator.market.order('node.4.1')).toBeUndefined();
    expect(emulator.market.order('node.4.2')).toBeUndefined();
  });

  it('answers the next request with 429, the rate-limit body and x-ratelimit headers after rateLimitNext', async () => {
    emulator.rateLimitNext(1);
    const limited = await call('POST', ORDERS, limitBody('node.5.1'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('30');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: 'rate_limit_exceeded' });
    expect(emulator.market.order('node.5.1')).toBeUndefined();
    expect((await call('POST', ORDERS, limitBody('node.5.1'))).status).toBe(200);
  });

  it('places the order but never answers after loseNextOrderAck', async () => {
    emulator.loseNextOrderAck();
    const request = fetch(`${urls.restUrl}${ORDERS}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token('POST', ORDERS)}`, 'content-type': 'application/json' },
      body: JSON.stringify(limitBody('node.6.1')),
      signal: AbortSignal.timeout(1500),
    });
    const outcome = await request.then(
      () => 'answered',
      () => 'no answer',
    );
    expect(outcome).toBe('no answer');
    expect(emulator.market.order('node.6.1')?.status).toBe('open');
  }, 20_000);

  it('cancels through batch_cancel, lists open orders, and reports an unknown id as a failed result', async () => {
    const placed = (await (await call('POST', ORDERS, limitBody('node.7.1'))).json()) as Record<string, any>;
    const open = (await (await call('GET', '/api/v3/brokerage/orders/historical/batch?order_status=OPEN&product_ids=BTC-USD')).json()) as Record<string, any>;
    expect(open.orders.map((o: { client_order_id: string }) => o.client_order_id)).toEqual(['node.7.1']);
    const cancel = (await (await call('POST', '/api/v3/brokerage/orders/batch_cancel', { order_ids: [placed.order_id, 'nope'] })).json()) as Record<string, any>;
    expect(cancel.results).toEqual([
      { success: true, failure_reason: 'UNKNOWN_CANCEL_FAILURE_REASON', order_id: placed.order_id },
      { success: false, failure_reason: 'UNKNOWN_CANCEL_ORDER', order_id: 'nope' },
    ]);
    const one = (await (await call('GET', `/api/v3/brokerage/orders/historical/${placed.order_id}`)).json()) as Record<string, any>;
    expect(one.order).toMatchObject({ status: 'CANCELLED', client_order_id: 'node.7.1', filled_size: '0' });
  });

  it('lists the fills of an IOC order with trade ids, decimal strings and liquidity', async () => {
    const ioc = { client_order_id: 'node.8.1', product_id: 'BTC-USD', side: 'BUY', order_configuration: { sor_limit_ioc: { base_size: '0.001', limit_price: '61000' } } };
    const placed = (await (await call('POST', ORDERS, ioc)).json()) as Record<string, any>;
    const fills = (await (await call('GET', `/api/v3/brokerage/orders/historical/fills?order_ids=${placed.order_id}`)).json()) as Record<string, any>;
    expect(fills.fills.length).toBeGreaterThan(0);
    expect(fills.fills[0]).toMatchObject({ order_id: placed.order_id, trade_type: 'FILL', liquidity_indicator: 'TAKER', side: 'BUY', product_id: 'BTC-USD' });
    expect(fills.fills[0].price).toMatch(/^\d+(\.\d+)?$/);
    expect(fills.cursor).toBe('');
  });

  it('answers an unknown route with 404 naming it, and records it', async () => {
    const res = await call('GET', '/api/v3/brokerage/nothing_here');
    expect(res.status).toBe(404);
    expect(((await res.json()) as Record<string, string>).message).toBe('coinbase emulator: no route for GET /api/v3/brokerage/nothing_here');
    expect(emulator.unknownRoutes).toContain('GET /api/v3/brokerage/nothing_here');
  });

  it('takes faults over POST /_emulator/fault and refuses an unknown one by name', async () => {
    const ok = await fetch(`${urls.restUrl}/_emulator/fault`, { method: 'POST', body: JSON.stringify({ fault: 'rateLimitNext', n: 1 }) });
    expect(ok.status).toBe(200);
    expect((await call('GET', '/api/v3/brokerage/orders/historical/batch?order_status=OPEN')).status).toBe(429);
    const bad = await fetch(`${urls.restUrl}/_emulator/fault`, { method: 'POST', body: JSON.stringify({ fault: 'meteor' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Record<string, string>).error).toMatch(/unknown fault "meteor"/);
  });
});

describe('coinbase emulator user channel', () => {
  it('refuses a subscribe without a valid JWT with an error frame', async () => {
    const sock = await userSocket();
    sock.ws.send(JSON.stringify({ type: 'subscribe', channel: 'user', product_ids: ['BTC-USD'], jwt: buildJwt({ keyName: KEY_NAME, privateKey: stranger }) }));
    expect(await sock.next((f) => f.type === 'error')).toMatchObject({ message: expect.stringMatching(/authentication failure: bad signature/) });
    sock.ws.send(JSON.stringify({ type: 'subscribe', channel: 'user', product_ids: ['BTC-USD'], jwt: buildJwt({ keyName: KEY_NAME, privateKey, nowSec: Math.floor(Date.now() / 1000) - 600 }) }));
    expect(await sock.next((f) => f.type === 'error' && String(f.message).includes('expired'))).toBeDefined();
    sock.ws.close();
  });

  it('answers a subscribe with an ack and a snapshot of open orders, then an update per change, numbered from 0', async () => {
    await call('POST', ORDERS, limitBody('node.9.1'));
    const sock = await userSocket();
    sock.ws.send(JSON.stringify({ type: 'subscribe', channel: 'user', product_ids: ['BTC-USD'], jwt: buildJwt({ keyName: KEY_NAME, privateKey }) }));
    const snapshot = await sock.next((f) => f.channel === 'user');
    const events = snapshot.events as { type: string; orders: Record<string, string>[] }[];
    expect(events[0].type).toBe('snapshot');
    expect(events[0].orders[0]).toMatchObject({ client_order_id: 'node.9.1', status: 'OPEN', cumulative_quantity: '0', leaves_quantity: '0.001', limit_price: '50000' });
    const placed = (await (await call('POST', ORDERS, { ...(limitBody('node.9.2') as object), order_configuration: { sor_limit_ioc: { base_size: '0.001', limit_price: '61000' } } })).json()) as Record<string, string>;
    const update = await sock.next((f) => f.channel === 'user' && JSON.stringify(f.events).includes(placed.order_id) && JSON.stringify(f.events).includes('FILLED'));
    const order = (update.events as { orders: Record<string, string>[] }[])[0].orders[0];
    expect(order).toMatchObject({ status: 'FILLED', cumulative_quantity: '0.001', leaves_quantity: '0', order_side: 'BUY' });
    expect(Number(order.avg_price)).toBeGreaterThan(0);
    expect(sock.frames.map((f) => f.sequence_num)).toEqual(sock.frames.map((_, i) => i));
    sock.ws.close();
  });

  it('sends heartbeats with a rising counter once subscribed to them', async () => {
    const sock = await userSocket();
    sock.ws.send(JSON.stringify({ type: 'subscribe', channel: 'heartbeats', product_ids: [], jwt: buildJwt({ keyName: KEY_NAME, privateKey }) }));
    const beat = await sock.next((f) => f.channel === 'heartbeats' && (f.events as { heartbeat_counter: string }[])[0].heartbeat_counter === '2');
    expect(beat.sequence_num).toBe(2);
    sock.ws.close();
  });

  it('never publishes the next order change after loseNextOrderUpdate, keeps sequence numbers contiguous, and still reports the order by its status', async () => {
    const sock = await userSocket();
    sock.ws.send(JSON.stringify({ type: 'subscribe', channel: 'user', product_ids: ['BTC-USD'], jwt: buildJwt({ keyName: KEY_NAME, privateKey }) }));
    await sock.next((f) => f.channel === 'user');
    const fault = await fetch(`${urls.restUrl}/_emulator/fault`, { method: 'POST', body: JSON.stringify({ fault: 'loseNextOrderUpdate' }) });
    expect(fault.status).toBe(200);
    const ioc = (id: string): unknown => ({ client_order_id: id, product_id: 'BTC-USD', side: 'BUY', order_configuration: { sor_limit_ioc: { base_size: '0.001', limit_price: '61000' } } });
    const lost = (await (await call('POST', ORDERS, ioc('node.11.1'))).json()) as Record<string, string>;
    const seen = (await (await call('POST', ORDERS, ioc('node.11.2'))).json()) as Record<string, string>;
    await sock.next((f) => f.channel === 'user' && JSON.stringify(f.events).includes(seen.order_id));
    expect(sock.frames.some((f) => JSON.stringify(f).includes(lost.order_id))).toBe(false);
    expect(sock.frames.map((f) => f.sequence_num)).toEqual(sock.frames.map((_, i) => i));
    const status = (await (await call('GET', `${ORDERS}/historical/${lost.order_id}`)).json()) as { order: Record<string, string> };
    expect(status.order).toMatchObject({ client_order_id: 'node.11.1', status: 'FILLED', filled_size: '0.001' });
    sock.ws.close();
  });

  it('fills a resting order while user sockets are refused, then lets them back in', async () => {
    await call('POST', ORDERS, limitBody('node.10.1', '59990.00'));
    const sock = await userSocket();
    sock.ws.send(JSON.stringify({ type: 'subscribe', channel: 'user', product_ids: [], jwt: buildJwt({ keyName: KEY_NAME, privateKey }) }));
    await sock.next((f) => f.channel === 'user');
    const closed = new Promise((resolve) => sock.ws.once('close', resolve));
    await emulator.fillWhileDisconnected('node.10.1');
    await closed;
    expect(sock.frames.some((f) => JSON.stringify(f).includes('FILLED'))).toBe(false);
    expect(emulator.market.order('node.10.1')?.status).toBe('filled');
    const again = await userSocket();
    again.ws.close();
  });
});
