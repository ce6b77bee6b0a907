import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { KrakenEmulator, type KrakenEmulatorUrls } from '../src/venues/kraken/emulator/krakenEmulator.ts';
import { krakenSignature } from '../src/venues/kraken/krakenSign.ts';

const apiKey = 'emulatorKey123';
const secret = Buffer.alloc(64, 7).toString('base64');

let emulator: KrakenEmulator;
let urls: KrakenEmulatorUrls;
let nonce = Date.now() * 1000;

interface KrakenAnswer {
  error: string[];
  result?: Record<string, any>;
}

async function privateCall(method: string, params: Record<string, string>, auth: { key?: string; secret?: string; nonce?: number } = {}): Promise<KrakenAnswer> {
  const n = String(auth.nonce ?? ++nonce);
  const body = new URLSearchParams({ nonce: n, ...params }).toString();
  const path = `/0/private/${method}`;
  const res = await fetch(urls.restUrl + path, {
    method: 'POST',
    headers: { 'API-Key': auth.key ?? apiKey, 'API-Sign': krakenSignature(auth.secret ?? secret, path, n, body), 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return (await res.json()) as KrakenAnswer;
}

function limitBuy(px: string, extra: Record<string, string> = {}): Record<string, string> {
  return { pair: 'XBTUSD', type: 'buy', ordertype: 'limit', price: px, volume: '0.00100000', ...extra };
}

/** A bid price well under the book, so the order rests. */
function passiveBid(): string {
  const best = emulator.market.book('BTC/USD').bestBid();
  return ((best - 500 * 1e9) / 1e9).toFixed(1);
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeEach(async () => {
  emulator = new KrakenEmulator({ credentials: { apiKey, secret }, seed: 7, heartbeatMs: 200 });
  urls = await emulator.start();
  await until('a two-sided book', () => emulator.market.book('BTC/USD').bidCount > 0 && emulator.market.book('BTC/USD').askCount > 0);
});

afterEach(async () => {
  await emulator.stop();
});

describe('Kraken emulator REST', () => {
  it('lists BTC/USD as Kraken does: XXBTZUSD, altname XBTUSD, wsname XBT/USD, with precision, minimum and tick', async () => {
    const res = (await (await fetch(`${urls.restUrl}/0/public/AssetPairs`)).json()) as KrakenAnswer;
    expect(res.error).toEqual([]);
    expect(res.result?.XXBTZUSD).toMatchObject({ altname: 'XBTUSD', wsname: 'XBT/USD', base: 'XXBT', quote: 'ZUSD', pair_decimals: 1, lot_decimals: 8, ordermin: '0.00010000', tick_size: '0.1', status: 'online' });
    expect(res.result?.XETHZUSD).toMatchObject({ altname: 'ETHUSD', pair_decimals: 2, tick_size: '0.01' });
    const assets = (await (await fetch(`${urls.restUrl}/0/public/Assets`)).json()) as KrakenAnswer;
    expect(assets.result?.XXBT).toMatchObject({ altname: 'XBT' });
  });

  it('answers an unknown route with 404 and a message naming it', async () => {
    const res = await fetch(`${urls.restUrl}/0/public/Nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as KrakenAnswer).error[0]).toMatch(/does not serve GET \/0\/public\/Nope/);
    expect(emulator.unknownRoutes).toContain('GET /0/public/Nope');
  });

  it('accepts a correctly signed AddOrder and rests the order under a Kraken-style txid', async () => {
    const res = await privateCall('AddOrder', limitBuy(passiveBid()));
    expect(res.error).toEqual([]);
    expect(res.result?.txid[0]).toMatch(/^O[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}$/);
    expect(res.result?.descr.order).toMatch(/^buy 0\.00100000 XBTUSD @ limit \d+\.\d$/);
    expect(emulator.market.openOrders()).toHaveLength(1);
  });

  it('refuses a bad signature with EAPI:Invalid signature, creates nothing and never echoes the secret', async () => {
    const wrongSecret = Buffer.alloc(64, 9).toString('base64');
    const res = await privateCall('AddOrder', limitBuy(passiveBid()), { secret: wrongSecret });
    expect(res.error).toEqual(['EAPI:Invalid signature']);
    expect(JSON.stringify(res)).not.toContain(secret);
    expect(JSON.stringify(res)).not.toContain(wrongSecret);
    expect(emulator.market.openOrders()).toHaveLength(0);
  });

  it('refuses a nonce that does not increase with EAPI:Invalid nonce and creates nothing', async () => {
    const first = await privateCall('AddOrder', limitBuy(passiveBid()), { nonce: nonce + 100 });
    expect(first.error).toEqual([]);
    const stale = await privateCall('AddOrder', limitBuy(passiveBid()), { nonce: nonce + 100 });
    expect(stale.error).toEqual(['EAPI:Invalid nonce']);
    const older = await privateCall('AddOrder', limitBuy(passiveBid()), { nonce: nonce + 50 });
    expect(older.error).toEqual(['EAPI:Invalid nonce']);
    expect(emulator.market.openOrders()).toHaveLength(1);
    nonce += 200;
  });

  it('refuses an unknown API key with EAPI:Invalid key and creates nothing', async () => {
    const res = await privateCall('AddOrder', limitBuy(passiveBid()), { key: 'someoneElse' });
    expect(res.error).toEqual(['EAPI:Invalid key']);
    expect(JSON.stringify(res)).not.toContain(secret);
    expect(emulator.market.openOrders()).toHaveLength(0);
  });

  it('rejects a cl_ord_id already used by an open order, and accepts it again once that order is closed', async () => {
    const clOrdId = '3f1c2a9e-5b7d-4c11-9a2e-0d5b6c7e8f90';
    const first = await privateCall('AddOrder', limitBuy(passiveBid(), { cl_ord_id: clOrdId }));
    expect(first.error).toEqual([]);
    const duplicate = await privateCall('AddOrder', limitBuy(passiveBid(), { cl_ord_id: clOrdId }));
    expect(duplicate.error).toEqual(['EOrder:Duplicate cl_ord_id']);
    expect(emulator.market.openOrders()).toHaveLength(1);
    expect((await privateCall('CancelOrder', { cl_ord_id: clOrdId })).result).toEqual({ count: 1 });
    const reused = await privateCall('AddOrder', limitBuy(passiveBid(), { cl_ord_id: clOrdId }));
    expect(reused.error).toEqual([]);
    expect(reused.result?.txid[0]).not.toBe(first.result?.txid[0]);
  });

  it('refuses a cl_ord_id that is neither a UUID nor at most 18 characters', async () => {
    const res = await privateCall('AddOrder', limitBuy(passiveBid(), { cl_ord_id: 'maker.12.3.and-more-than-18' }));
    expect(res.error).toEqual(['EGeneral:Invalid arguments:cl_ord_id']);
  });

  it('refuses bad order arguments with Kraken error texts', async () => {
    expect((await privateCall('AddOrder', limitBuy(passiveBid(), { pair: 'NOPEUSD' }))).error).toEqual(['EQuery:Unknown asset pair']);
    expect((await privateCall('AddOrder', limitBuy(passiveBid(), { volume: '0.00001' }))).error).toEqual(['EOrder:Order minimum not met']);
    expect((await privateCall('AddOrder', limitBuy('60000.05'))).error[0]).toMatch(/^EOrder:Invalid price:XBTUSD price can only be specified up to 1 decimals/);
    expect((await privateCall('AddOrder', limitBuy(passiveBid(), { timeinforce: 'FOK' }))).error).toEqual(['EGeneral:Invalid arguments:timeinforce']);
    expect((await privateCall('AddOrder', limitBuy(passiveBid(), { volume: '1e-3' }))).error).toEqual(['EGeneral:Invalid arguments:volume']);
    expect(emulator.market.openOrders()).toHaveLength(0);
  });

  it('validate=true checks the order and places nothing', async () => {
    const res = await privateCall('AddOrder', limitBuy(passiveBid(), { validate: 'true' }));
    expect(res.error).toEqual([]);
    expect(res.result?.txid).toBeUndefined();
    expect(emulator.market.openOrders()).toHaveLength(0);
  });

  it('refuses orders by trading status: cancel_only and maintenance refuse all, post_only refuses non-post orders', async () => {
    emulator.setStatus('cancel_only');
    expect((await privateCall('AddOrder', limitBuy(passiveBid()))).error).toEqual(['EService:Market in cancel_only mode']);
    emulator.setStatus('maintenance');
    expect((await privateCall('AddOrder', limitBuy(passiveBid()))).error).toEqual(['EService:Unavailable']);
    emulator.setStatus('post_only');
    expect((await privateCall('AddOrder', limitBuy(passiveBid()))).error).toEqual(['EService:Market in post_only mode']);
    expect((await privateCall('AddOrder', limitBuy(passiveBid(), { oflags: 'post' }))).error).toEqual([]);
    expect(() => emulator.setStatus('closed' as never)).toThrow(/unknown status "closed"/);
  });

  it('fires the dead man switch: CancelAllOrdersAfter cancels every open order when not re-armed', async () => {
    await privateCall('AddOrder', limitBuy(passiveBid()));
    await privateCall('AddOrder', limitBuy(passiveBid()));
    const armed = await privateCall('CancelAllOrdersAfter', { timeout: '1' });
    expect(armed.error).toEqual([]);
    expect(armed.result?.triggerTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await until('the switch to fire', () => emulator.deadMan().fired === 1, 10_000);
    await until('both orders cancelled', () => emulator.market.openOrders().length === 0);
    expect(emulator.deadMan().timeoutSec).toBe(0);
  });

  it('disarms the dead man switch with timeout 0', async () => {
    await privateCall('AddOrder', limitBuy(passiveBid()));
    await privateCall('CancelAllOrdersAfter', { timeout: '1' });
    const disarmed = await privateCall('CancelAllOrdersAfter', { timeout: '0' });
    expect(disarmed.result?.triggerTime).toBe('0');
    await new Promise((r) => setTimeout(r, 1500));
    expect(emulator.deadMan().fired).toBe(0);
    expect(emulator.market.openOrders()).toHaveLength(1);
    expect((await privateCall('CancelAllOrdersAfter', { timeout: '86400' })).error).toEqual(['EGeneral:Invalid arguments:timeout']);
  });

  it('expires a GTD order at its expiretm and refuses GTD without one', async () => {
    expect((await privateCall('AddOrder', limitBuy(passiveBid(), { timeinforce: 'GTD' }))).error).toEqual(['EGeneral:Invalid arguments:expiretm']);
    const expiretm = String(Math.floor(Date.now() / 1000) + 1);
    expect((await privateCall('AddOrder', limitBuy(passiveBid(), { timeinforce: 'GTD', expiretm }))).error).toEqual([]);
    expect(emulator.market.openOrders()).toHaveLength(1);
    await until('the expiry', () => emulator.market.openOrders().length === 0, 10_000);
  });

  it('lists open, closed and queried orders with their cl_ord_id, and trades in TradesHistory', async () => {
    const clOrdId = 'a1b2c3';
    const rested = await privateCall('AddOrder', limitBuy(passiveBid(), { cl_ord_id: clOrdId }));
    const open = await privateCall('OpenOrders', {});
    const txid = rested.result?.txid[0] as string;
    expect(open.result?.open[txid]).toMatchObject({ cl_ord_id: clOrdId, status: 'open', vol: '0.00100000', descr: { pair: 'XBTUSD', type: 'buy', ordertype: 'limit' } });
    const ask = emulator.market.book('BTC/USD').bestAsk();
    const taker = await privateCall('AddOrder', { pair: 'XXBTZUSD', type: 'buy', ordertype: 'limit', price: ((ask + 100e9) / 1e9).toFixed(1), volume: '0.00100000', timeinforce: 'IOC', cl_ord_id: 'taker1' });
    const takerTxid = taker.result?.txid[0] as string;
    const trades = await privateCall('TradesHistory', {});
    const mine = Object.entries(trades.result?.trades as Record<string, any>).filter(([, t]) => t.ordertxid === takerTxid);
    expect(mine.length).toBeGreaterThan(0);
    for (const [id, t] of mine) {
      expect(id).toMatch(/^T[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}$/);
      expect(t).toMatchObject({ pair: 'XXBTZUSD', type: 'buy', maker: false });
    }
    const closed = await privateCall('ClosedOrders', { cl_ord_id: 'taker1' });
    expect(Object.keys(closed.result?.closed)).toEqual([takerTxid]);
    const queried = await privateCall('QueryOrders', { txid: `${txid},${takerTxid}` });
    expect(Object.keys(queried.result ?? {}).sort()).toEqual([txid, takerTxid].sort());
  });

  it('answers EOrder:Rate limit exceeded to the next n order calls when told to, through the control endpoint', async () => {
    const fault = await fetch(`${urls.restUrl}/_emulator/fault`, { method: 'POST', body: JSON.stringify({ fault: 'rateLimitNext', n: 2 }) });
    expect(fault.status).toBe(200);
    expect((await privateCall('AddOrder', limitBuy(passiveBid()))).error).toEqual(['EOrder:Rate limit exceeded']);
    expect((await privateCall('AddOrder', limitBuy(passiveBid()))).error).toEqual(['EOrder:Rate limit exceeded']);
    expect((await privateCall('AddOrder', limitBuy(passiveBid()))).error).toEqual([]);
    expect(emulator.market.openOrders()).toHaveLength(1);
  });

  it('refuses a malformed fault with a 400 naming the faults it knows', async () => {
    const bad = await fetch(`${urls.restUrl}/_emulator/fault`, { method: 'POST', body: JSON.stringify({ fault: 'explode' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/unknown fault "explode": expected dropConnections/);
    const notJson = await fetch(`${urls.restUrl}/_emulator/fault`, { method: 'POST', body: 'nope' });
    expect(notJson.status).toBe(400);
    const badN = await fetch(`${urls.restUrl}/_emulator/fault`, { method: 'POST', body: JSON.stringify({ fault: 'rateLimitNext', n: -1 }) });
    expect(((await badN.json()) as { error: string }).error).toMatch(/rateLimitNext needs a whole n >= 0/);
  });

  it('places the order but closes the socket instead of answering when the next ack is lost', async () => {
    emulator.loseNextOrderAck();
    await expect(privateCall('AddOrder', limitBuy(passiveBid(), { cl_ord_id: 'lost1' }))).rejects.toThrow();
    expect(emulator.market.openOrders()).toHaveLength(1);
    expect((await privateCall('OpenOrders', { cl_ord_id: 'lost1' })).result?.open).not.toEqual({});
  });
});

describe('Kraken emulator private WebSocket', () => {
  async function connect(): Promise<{ ws: WebSocket; frames: any[] }> {
    const ws = new WebSocket(urls.wsAuthUrl);
    const frames: any[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return { ws, frames };
  }

  it('refuses an executions subscription with a bad token, keeping the socket open', async () => {
    const { ws, frames } = await connect();
    ws.send(JSON.stringify({ method: 'subscribe', params: { channel: 'executions', token: 'forged' }, req_id: 4 }));
    const answer = await until('the refusal', () => frames.find((f) => f.method === 'subscribe'));
    expect(answer).toMatchObject({ success: false, error: 'ESession:Invalid session', req_id: 4 });
    ws.send(JSON.stringify({ method: 'ping', req_id: 5 }));
    expect(await until('the pong', () => frames.find((f) => f.method === 'pong'))).toMatchObject({ req_id: 5 });
    ws.close();
  });

  it('streams a snapshot then pending_new, new, trade and filled with exact decimals and a rising sequence', async () => {
    await privateCall('AddOrder', limitBuy(passiveBid(), { cl_ord_id: 'resting1' }));
    const token = (await privateCall('GetWebSocketsToken', {})).result?.token as string;
    const ws = new WebSocket(urls.wsAuthUrl);
    const raw: string[] = [];
    ws.on('message', (data) => raw.push(String(data)));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ method: 'subscribe', params: { channel: 'executions', token, snap_orders: true }, req_id: 1 }));
    const frames = () => raw.map((t) => JSON.parse(t));
    const snapshot = await until('the snapshot', () => frames().find((f) => f.channel === 'executions' && f.type === 'snapshot'));
    expect(snapshot.data).toHaveLength(1);
    expect(snapshot.data[0]).toMatchObject({ cl_ord_id: 'resting1', order_status: 'new', side: 'buy' });
    const ask = emulator.market.book('BTC/USD').bestAsk();
    await privateCall('AddOrder', { pair: 'XBTUSD', type: 'buy', ordertype: 'limit', price: ((ask + 100e9) / 1e9).toFixed(1), volume: '0.00010000', timeinforce: 'IOC', cl_ord_id: 'taker2' });
    const updates = await until('the fill reports', () => {
      const u = frames().filter((f) => f.channel === 'executions' && f.type === 'update');
      return u.some((f) => f.data[0].exec_type === 'filled' || f.data[0].exec_type === 'canceled') ? u : undefined;
    });
    const types = updates.map((f: any) => f.data[0].exec_type);
    expect(types.slice(0, 3)).toEqual(['pending_new', 'new', 'trade']);
    const sequences = [snapshot, ...updates].map((f: any) => f.sequence);
    expect(sequences).toEqual(sequences.map((_: number, i: number) => sequences[0] + i));
    const tradeText = raw.find((t) => t.includes('"exec_type":"trade"')) as string;
    expect(tradeText).toMatch(/"last_qty":0\.00010000[,}]/);
    expect(tradeText).toMatch(/"last_price":\d+\.\d[,}]/);
    const execIds = updates.map((f: any) => f.data[0].exec_id);
    expect(new Set(execIds).size).toBe(execIds.length);
    const trades = await privateCall('TradesHistory', {});
    const trade = updates.find((f: any) => f.data[0].exec_type === 'trade').data[0];
    expect(Object.keys(trades.result?.trades)).toContain(trade.exec_id);
    ws.close();
  });

  /** A private socket and a token, with every frame's raw text kept. */
  async function tradingSocket(): Promise<{ ws: WebSocket; token: string; raw: string[]; answer: (reqId: number) => Promise<any> }> {
    const token = (await privateCall('GetWebSocketsToken', {})).result?.token as string;
    const { ws } = await connect();
    const raw: string[] = [];
    ws.on('message', (data) => raw.push(String(data)));
    const answer = (reqId: number) => until(`answer ${reqId}`, () => raw.map((t) => JSON.parse(t)).find((f) => f.req_id === reqId));
    return { ws, token, raw, answer };
  }

  it('places an add_order with its exact decimals, answers its order_id and cl_ord_id, and cancels it by cl_ord_id', async () => {
    const { ws, token, answer } = await tradingSocket();
    const px = passiveBid();
    ws.send(`{"method":"add_order","params":{"order_type":"limit","side":"buy","order_qty":0.00100000,"symbol":"BTC/USD","limit_price":${px},"post_only":true,"cl_ord_id":"ws-order-1","token":"${token}"},"req_id":7}`);
    const placed = await answer(7);
    expect(placed).toMatchObject({ method: 'add_order', success: true, result: { cl_ord_id: 'ws-order-1' } });
    const open = (await privateCall('OpenOrders', { cl_ord_id: 'ws-order-1' })).result?.open;
    expect(Object.keys(open)).toEqual([placed.result.order_id]);
    expect(open[placed.result.order_id]).toMatchObject({ vol: '0.00100000', oflags: expect.stringContaining('post'), descr: { type: 'buy', price: px } });
    ws.send(JSON.stringify({ method: 'cancel_order', params: { cl_ord_id: ['ws-order-1'], token }, req_id: 8 }));
    expect(await answer(8)).toMatchObject({ method: 'cancel_order', success: true, result: { cl_ord_id: 'ws-order-1' } });
    expect((await privateCall('OpenOrders', {})).result?.open).toEqual({});
    ws.close();
  });

  it('handles a connection\'s requests in arrival order: a cancel_order right behind its add_order cancels it', async () => {
    const { ws, token, answer } = await tradingSocket();
    ws.send(`{"method":"add_order","params":{"order_type":"limit","side":"buy","order_qty":0.001,"symbol":"BTC/USD","limit_price":${passiveBid()},"cl_ord_id":"at-once","token":"${token}"},"req_id":1}`);
    ws.send(JSON.stringify({ method: 'cancel_order', params: { cl_ord_id: ['at-once'], token }, req_id: 2 }));
    expect(await answer(1)).toMatchObject({ success: true });
    expect(await answer(2)).toMatchObject({ success: true, result: { cl_ord_id: 'at-once' } });
    expect((await privateCall('OpenOrders', {})).result?.open).toEqual({});
    ws.close();
  });

  it('refuses add_order and cancel_order with a bad token, and bad orders with Kraken error texts, placing nothing', async () => {
    const { ws, token, answer } = await tradingSocket();
    ws.send(JSON.stringify({ method: 'add_order', params: { order_type: 'limit', side: 'buy', order_qty: 0.001, symbol: 'BTC/USD', limit_price: 1000, token: 'forged' }, req_id: 1 }));
    expect(await answer(1)).toMatchObject({ method: 'add_order', success: false, error: 'ESession:Invalid session' });
    ws.send(JSON.stringify({ method: 'add_order', params: { order_type: 'limit', side: 'buy', order_qty: 0.001, symbol: 'NOPE/USD', limit_price: 1000, token }, req_id: 2 }));
    expect(await answer(2)).toMatchObject({ success: false, error: 'EQuery:Unknown asset pair' });
    ws.send(JSON.stringify({ method: 'add_order', params: { order_type: 'limit', side: 'buy', order_qty: 0, symbol: 'BTC/USD', limit_price: 1000, token }, req_id: 3 }));
    expect(await answer(3)).toMatchObject({ success: false, error: 'EGeneral:Invalid arguments:volume' });
    ws.send(JSON.stringify({ method: 'cancel_order', params: { cl_ord_id: ['never-placed'], token }, req_id: 4 }));
    expect(await answer(4)).toMatchObject({ method: 'cancel_order', success: false, error: 'EOrder:Unknown order' });
    ws.send(JSON.stringify({ method: 'cancel_order', params: { token }, req_id: 5 }));
    expect(await answer(5)).toMatchObject({ success: false, error: 'EGeneral:Invalid arguments:order_id or cl_ord_id' });
    expect((await privateCall('OpenOrders', {})).result?.open).toEqual({});
    ws.close();
  });

  it('applies the order faults to add_order: a rate-limit answer, then a placed order whose answer is lost', async () => {
    const { ws, token, raw, answer } = await tradingSocket();
    emulator.rateLimitNext(1);
    const order = (reqId: number, clOrdId: string) =>
      ws.send(`{"method":"add_order","params":{"order_type":"limit","side":"buy","order_qty":0.001,"symbol":"BTC/USD","limit_price":${passiveBid()},"cl_ord_id":"${clOrdId}","token":"${token}"},"req_id":${reqId}}`);
    order(1, 'limited');
    expect(await answer(1)).toMatchObject({ success: false, error: 'EOrder:Rate limit exceeded' });
    emulator.loseNextOrderAck();
    order(2, 'unanswered');
    let resting = 0;
    for (let attempt = 0; attempt < 500 && resting === 0; attempt++) {
      resting = Object.keys((await privateCall('OpenOrders', { cl_ord_id: 'unanswered' })).result?.open ?? {}).length;
      if (resting === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(resting).toBe(1);
    ws.send(JSON.stringify({ method: 'ping', req_id: 3 }));
    await answer(3);
    expect(raw.some((t) => t.includes('"req_id":2'))).toBe(false);
    ws.close();
  });

  it('refuses private connections while held and accepts them again when released', async () => {
    emulator.holdPrivateLinks(true);
    const ws = new WebSocket(urls.wsAuthUrl);
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(503);
    emulator.holdPrivateLinks(false);
    const { ws: again } = await connect();
    again.close();
  });
});
