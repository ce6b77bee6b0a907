import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoinbaseVenueConfig } from '../src/node/configTypes.ts';
import { OrderType, RejectCode } from '../src/wasm/abi.ts';
import { CoinbaseVenue } from '../src/venues/coinbase/coinbaseVenue.ts';
import { CoinbaseEmulator, type CoinbaseEmulatorUrls } from '../src/venues/coinbase/emulator/coinbaseEmulator.ts';
import { Secret } from '../src/venues/credentials.ts';
import type { OrderRequest, Side, VenueOrderEvent } from '../src/venues/venue.ts';
import { VenueRecorder } from './support/venueContract.ts';

const KEY_NAME = 'organizations/org-1/apiKeys/venue';
const PEM = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
const ORDERS = 'POST /api/v3/brokerage/orders';
const QTY = 100_000;
const TICK = 10_000_000;

type Fill = Extract<VenueOrderEvent, { kind: 'fill' }>;

let emulator: CoinbaseEmulator;
let urls: CoinbaseEmulatorUrls;
let venue: CoinbaseVenue;
let rec: VenueRecorder;
let seq = 0;

function config(overrides: Partial<CoinbaseVenueConfig> = {}): CoinbaseVenueConfig {
  return { kind: 'coinbase', name: 'coinbase', ...urls, rateLimitBurst: 50, rateLimitPerSec: 50, unknownOrders: 'leave', ...overrides };
}

function makeVenue(cfg: CoinbaseVenueConfig = config(), keyName = KEY_NAME, pem = PEM): CoinbaseVenue {
  return new CoinbaseVenue(cfg, ['BTC/USD'], { keyName: new Secret(keyName), privateKeyPem: new Secret(pem) }, { restTimeoutMs: 2_000, reconnectMinMs: 50, reconnectMaxMs: 500 });
}

function order(side: Side, px1e9: number, type: OrderType = OrderType.Limit): OrderRequest {
  return { clientOrderId: `maker.${++seq}.1`, symbol: 'BTC/USD', side, px1e9, qty1e8: QTY, type };
}

function passivePx(side: Side): number {
  const book = emulator.market.book('BTC/USD');
  return side === 1 ? book.bidPx[0] - 50 * TICK : book.askPx[0] + 50 * TICK;
}

function aggressivePx(side: Side): number {
  const book = emulator.market.book('BTC/USD');
  return side === 1 ? book.askPx[0] + 50 * TICK : book.bidPx[0] - 50 * TICK;
}

function place(request: OrderRequest): string {
  venue.place(request);
  return request.clientOrderId;
}

const kinds = (id: string): string[] => rec.of(id).map((e) => e.kind);
const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startVenue(v: CoinbaseVenue): Promise<void> {
  venue = v;
  rec = new VenueRecorder('BTC/USD');
  await venue.start(rec);
  await rec.waitFor('connected', () => venue.health().connection === 'connected');
}

describe('coinbase venue against the emulator', () => {
  beforeEach(async () => {
    emulator = new CoinbaseEmulator({ credentials: { keyName: KEY_NAME, keyPem: PEM }, seed: 5 });
    urls = await emulator.start();
    await startVenue(makeVenue());
  });

  afterEach(async () => {
    await venue.stop();
    await emulator.stop();
  });

  it('loads the product metadata from the venue at start', () => {
    expect(venue.symbolMeta('BTC/USD')).toEqual({ tickSize1e9: TICK, lotSize1e8: 1, minQty1e8: 1, minNotional1e9: 1_000_000_000, pricePrecision: 2, qtyPrecision: 8 });
    expect(emulator.unknownRoutes).toEqual([]);
  });

  it('acks a limit order once with the venue order id, and it rests at the venue', async () => {
    const id = place(order(1, passivePx(1)));
    const ack = await rec.waitEvent(id, ['ack', 'reject']);
    await settle();
    const resting = emulator.market.order(id);
    expect(ack).toMatchObject({ kind: 'ack', venueOrderId: resting?.venueOrderId });
    expect(kinds(id)).toEqual(['ack']);
    expect(resting?.status).toBe('open');
  });

  it('reports an IOC order fills with the venue trade ids, each once, adding up to what the venue filled', async () => {
    const id = place(order(1, aggressivePx(1), OrderType.Ioc));
    await rec.waitFor('the IOC fills', () => rec.of(id).filter((e) => e.kind === 'fill').reduce((a, f) => a + (f as Fill).qty1e8, 0) === QTY);
    await settle();
    const fills = rec.of(id).filter((e): e is Fill => e.kind === 'fill');
    const atVenue = emulator.market.order(id);
    expect(atVenue?.status).toBe('filled');
    expect(new Set(fills.map((f) => f.fillId)).size).toBe(fills.length);
    expect(fills.every((f) => f.liquidity === 'taker' && f.fee1e9 > 0)).toBe(true);
    expect(kinds(id)[0]).toBe('ack');
    expect(kinds(id).filter((k) => k === 'canceled')).toEqual([]);
  });

  it('reports a post-only order that would cross as canceled, and nothing rests', async () => {
    const id = place(order(1, aggressivePx(1), OrderType.PostOnly));
    const outcome = await rec.waitEvent(id, ['canceled', 'ack', 'reject']);
    await settle();
    expect(outcome.kind).toBe('canceled');
    expect(kinds(id)).toEqual(['canceled']);
    expect(emulator.market.openOrders()).toHaveLength(0);
  });

  it('cancels a resting order through batch_cancel: one canceled event and it leaves the venue', async () => {
    const id = place(order(-1, passivePx(-1)));
    await rec.waitEvent(id, ['ack']);
    venue.cancel(id, 'BTC/USD');
    await rec.waitEvent(id, ['canceled']);
    await settle();
    expect(kinds(id)).toEqual(['ack', 'canceled']);
    expect(emulator.requestCount('POST /api/v3/brokerage/orders/batch_cancel')).toBe(1);
    expect(emulator.market.order(id)?.status).toBe('canceled');
  });

  it('answers a cancel of an order it never placed with a cancelReject, sending nothing', async () => {
    venue.cancel('maker.404.1', 'BTC/USD');
    expect(await rec.waitEvent('maker.404.1', ['cancelReject'])).toMatchObject({ reason: 'unknown order' });
    expect(emulator.requestCount('POST /api/v3/brokerage/orders/batch_cancel')).toBe(0);
  });

  it('cancels all open orders: each gets one canceled and the venue has none left', async () => {
    const ids = [place(order(1, passivePx(1))), place(order(-1, passivePx(-1))), place(order(1, passivePx(1) - TICK))];
    for (const id of ids) await rec.waitEvent(id, ['ack']);
    expect(await venue.cancelAll()).toBe(3);
    for (const id of ids) await rec.waitEvent(id, ['canceled']);
    await settle();
    for (const id of ids) expect(kinds(id)).toEqual(['ack', 'canceled']);
    expect(emulator.market.openOrders()).toHaveLength(0);
  });

  it('turns a venue 429 into a RATE_LIMIT reject, sends the order once, and creates nothing', async () => {
    emulator.rateLimitNext(1);
    const id = place(order(1, passivePx(1)));
    expect(await rec.waitEvent(id, ['reject', 'ack'])).toMatchObject({ kind: 'reject', code: RejectCode.RateLimit, reason: expect.stringMatching(/rate_limit_exceeded/) });
    await settle(500);
    expect(emulator.requestCount(ORDERS)).toBe(1);
    expect(emulator.market.order(id)).toBeUndefined();
    expect(kinds(id)).toEqual(['reject']);
    expect(venue.health().rateLimited).toBe(1);
  });

  it('refuses an order past the local limiter before it is sent', async () => {
    await venue.stop();
    await startVenue(makeVenue(config({ rateLimitBurst: 1, rateLimitPerSec: 0.01 })));
    const first = place(order(1, passivePx(1)));
    const second = place(order(1, passivePx(1)));
    expect(await rec.waitEvent(second, ['reject', 'ack'])).toMatchObject({ kind: 'reject', code: RejectCode.RateLimit, reason: expect.stringMatching(/^local rate limiter/) });
    await rec.waitEvent(first, ['ack']);
    expect(emulator.requestCount(ORDERS)).toBe(1);
    expect(venue.health()).toMatchObject({ rateHeadroom: 0, rateCapacity: 1, rateLimited: 0 });
  });

  it('rejects an order for a symbol it does not trade without sending it', async () => {
    const id = place({ ...order(1, passivePx(1)), symbol: 'DOGE/USD' });
    expect(await rec.waitEvent(id, ['reject'])).toMatchObject({ code: RejectCode.InvalidParams, reason: 'unknown symbol "DOGE/USD"' });
    expect(emulator.requestCount(ORDERS)).toBe(0);
  });

  it('after a lost order answer resends once: exactly one order at the venue, and one ack arrives', async () => {
    emulator.loseNextOrderAck();
    const id = place(order(1, passivePx(1)));
    await rec.waitEvent(id, ['ack', 'reject'], 30_000);
    await rec.waitFor('the resend', () => emulator.requestCount(ORDERS) === 2, 30_000);
    await settle(500);
    expect(kinds(id)).toEqual(['ack']);
    expect(emulator.market.openOrders().filter((o) => o.clientOrderId === id)).toHaveLength(1);
    expect(emulator.requestCount(ORDERS)).toBe(2);
  });

  it('takes a slow order answer without resending or reporting the order twice', async () => {
    emulator.delayOrderAcks(1500);
    const id = place(order(1, passivePx(1)));
    await rec.waitEvent(id, ['ack'], 30_000);
    emulator.delayOrderAcks(0);
    await settle(2000);
    expect(kinds(id)).toEqual(['ack']);
    expect(emulator.requestCount(ORDERS)).toBe(1);
    expect(emulator.market.openOrders().filter((o) => o.clientOrderId === id)).toHaveLength(1);
  });

  it('stops publishing books while the venue feed is paused and resumes after', async () => {
    emulator.pauseFeed(true);
    await settle(300);
    const during = rec.books;
    await settle(700);
    expect(rec.books).toBe(during);
    emulator.pauseFeed(false);
    await rec.waitFor('books again', () => rec.books > during);
  });

  it('after a reconnect, snapshot reports the fill made while disconnected exactly once', async () => {
    const id = place(order(1, passivePx(1)));
    await rec.waitEvent(id, ['ack']);
    const before = rec.connections.length;
    await emulator.fillWhileDisconnected(id);
    await rec.waitFor('disconnected then connected', () => rec.connections.slice(before).join(',') === 'disconnected,connected');
    const snapshot = await venue.snapshot([id]);
    const venueFills = emulator.market.fills().filter((f) => f.clientOrderId === id);
    const mine = snapshot.recentFills.filter((f) => f.clientOrderId === id);
    expect(mine.reduce((a, f) => a + f.qty1e8, 0)).toBe(QTY);
    expect(mine).toHaveLength(venueFills.length);
    expect(snapshot.recentFills.every((f) => f.clientOrderId === id)).toBe(true);
    expect(snapshot.openOrders.map((o) => o.clientOrderId)).not.toContain(id);
    await settle(500);
    expect(rec.of(id).filter((e) => e.kind === 'fill')).toEqual([]);
    expect(venue.health().reconnects).toBeGreaterThan(0);
  });

  it('answers an IOC sent again under a client order id Coinbase already holds with the earlier order, which the user channel never reports; the refused cancel settles it from the order status', async () => {
    const request = order(1, passivePx(1), OrderType.Ioc);
    place(request);
    await rec.waitEvent(request.clientOrderId, ['canceled']);
    const earlier = emulator.market.order(request.clientOrderId);
    // A new run of the node (a fresh tracker) that numbers its orders the same way.
    await venue.stop();
    await startVenue(makeVenue());
    const id = place(request);
    expect(await rec.waitEvent(id, ['ack', 'reject'])).toMatchObject({ kind: 'ack', venueOrderId: earlier?.venueOrderId });
    await settle(500);
    expect(kinds(id)).toEqual(['ack']);
    expect(emulator.requestCount(ORDERS)).toBe(2);
    expect(emulator.market.openOrders()).toHaveLength(0);
    venue.cancel(id, 'BTC/USD');
    expect(await rec.waitEvent(id, ['canceled'])).toMatchObject({ reason: 'IOC remainder' });
    await settle();
    expect(rec.of(id).map((e) => (e.kind === 'cancelReject' ? `cancelReject ${e.reason}` : e.kind))).toEqual(['ack', 'cancelReject INVALID_CANCEL_REQUEST', 'canceled']);
  });

  it('settles an IOC whose outcome the user channel never published once its cancel is refused: each fill once, then canceled', async () => {
    const book = emulator.market.book('BTC/USD');
    let visibleAsks1e8 = 0;
    for (let i = 0; i < book.askCount; i++) visibleAsks1e8 += book.askSz[i];
    emulator.loseNextOrderUpdate();
    // Twice what the book shows, at a price through it: part fills, the rest is cancelled.
    const id = place({ ...order(1, book.askPx[0] + 60_000 * TICK, OrderType.Ioc), qty1e8: 2 * visibleAsks1e8 + QTY });
    await rec.waitEvent(id, ['ack']);
    await settle(500);
    const atVenue = emulator.market.order(id);
    expect(atVenue).toMatchObject({ status: 'canceled' });
    expect(atVenue?.filled1e8).toBeGreaterThan(0);
    expect(kinds(id)).toEqual(['ack']);
    venue.cancel(id, 'BTC/USD');
    await rec.waitEvent(id, ['canceled']);
    await settle(500);
    const fills = rec.of(id).filter((e): e is Fill => e.kind === 'fill');
    expect(fills.reduce((a, f) => a + f.qty1e8, 0)).toBe(atVenue?.filled1e8);
    expect(new Set(fills.map((f) => f.fillId)).size).toBe(emulator.market.fills().filter((f) => f.clientOrderId === id).length);
    expect(kinds(id)).toEqual(['ack', 'cancelReject', ...fills.map(() => 'fill'), 'canceled']);
    expect(emulator.requestCount(`GET /api/v3/brokerage/orders/historical/${atVenue?.venueOrderId}`)).toBe(1);
  });

  it('settles a filled IOC whose fills the user channel never published once its cancel is refused: the fills once, and no canceled', async () => {
    emulator.loseNextOrderUpdate();
    const id = place(order(-1, aggressivePx(-1), OrderType.Ioc));
    await rec.waitEvent(id, ['ack']);
    await settle(500);
    expect(emulator.market.order(id)?.status).toBe('filled');
    expect(kinds(id)).toEqual(['ack']);
    venue.cancel(id, 'BTC/USD');
    await rec.waitFor('the fills', () => rec.of(id).filter((e) => e.kind === 'fill').reduce((a, f) => a + (f as Fill).qty1e8, 0) === QTY);
    await settle(500);
    expect(kinds(id).filter((k) => k !== 'fill')).toEqual(['ack', 'cancelReject']);
    expect(rec.of(id).filter((e) => e.kind === 'fill')).toHaveLength(emulator.market.fills().filter((f) => f.clientOrderId === id).length);
  });

  it('lists an open order the node does not know with an empty client order id', async () => {
    const id = place(order(1, passivePx(1)));
    await rec.waitEvent(id, ['ack']);
    const other = await emulator.market.place({ clientOrderId: 'by-hand', symbol: 'BTC/USD', side: -1, type: OrderType.Limit, px1e9: passivePx(-1), qty1e8: QTY });
    const snapshot = await venue.snapshot([id]);
    expect(snapshot.openOrders).toEqual(
      expect.arrayContaining([
        { clientOrderId: id, venueOrderId: emulator.market.order(id)?.venueOrderId, symbol: 'BTC/USD' },
        { clientOrderId: '', venueOrderId: other.venueOrderId, symbol: 'BTC/USD' },
      ]),
    );
    await venue.cancelForeign({ clientOrderId: '', venueOrderId: other.venueOrderId, symbol: 'BTC/USD' });
    expect(emulator.market.order(other.venueOrderId)?.status).toBe('canceled');
  });
});

describe('coinbase venue credentials', () => {
  beforeEach(async () => {
    emulator = new CoinbaseEmulator({ credentials: { keyName: KEY_NAME, keyPem: PEM }, seed: 5 });
    urls = await emulator.start();
  });

  afterEach(async () => {
    await emulator.stop();
  });

  const startError = (v: CoinbaseVenue): Promise<Error> =>
    v.start(new VenueRecorder('BTC/USD')).then(
      () => new Error('started'),
      (e: Error) => e,
    );

  it('fails start naming both variables when the venue refuses the key, without the key in the text', async () => {
    const wrong = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const err = await startError(makeVenue(config(), KEY_NAME, wrong));
    expect(err.message).toMatch(/COINBASE_API_KEY_NAME and COINBASE_API_PRIVATE_KEY/);
    expect(err.message).toMatch(/401/);
    expect(err.message).not.toContain(wrong.split('\n')[1]);
    expect(emulator.requestCount(ORDERS)).toBe(0);
  });
});
