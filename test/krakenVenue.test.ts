import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KrakenVenueConfig } from '../src/node/configTypes.ts';
import { OrderType, RejectCode } from '../src/wasm/abi.ts';
import { Secret } from '../src/venues/credentials.ts';
import { KrakenEmulator, type KrakenEmulatorUrls } from '../src/venues/kraken/emulator/krakenEmulator.ts';
import { krakenClientOrderId } from '../src/venues/kraken/krakenClientId.ts';
import { KrakenVenue, type KrakenVenueOptions } from '../src/venues/kraken/krakenVenue.ts';
import type { OrderRequest, Side, VenueOrderEvent } from '../src/venues/venue.ts';
import { VenueRecorder } from './support/venueContract.ts';

const apiKey = 'venueTestKey';
const secret = Buffer.alloc(64, 3).toString('base64');
const credentials = { apiKey: new Secret(apiKey), secret: new Secret(secret) };
const SYMBOL = 'BTC/USD';
const TICK = 100_000_000;
const QTY = 100_000; // 0.001 BTC

let emulator: KrakenEmulator;
let urls: KrakenEmulatorUrls;
let venue: KrakenVenue | null;
let rec: VenueRecorder;
let seq = 0;

function config(overrides: Partial<KrakenVenueConfig> = {}): KrakenVenueConfig {
  return {
    kind: 'kraken',
    name: 'kraken',
    wsUrl: urls.wsUrl,
    wsAuthUrl: urls.wsAuthUrl,
    restUrl: urls.restUrl,
    depth: 10,
    deadManTimeoutSec: 60,
    orderEntry: 'ws',
    rateLimitBurst: 50,
    rateLimitPerSec: 50,
    unknownOrders: 'leave',
    ...overrides,
  };
}

const fast: KrakenVenueOptions = { pingIntervalMs: 1000, backoffMinMs: 50, backoffMaxMs: 500, lostAckCheckMs: 3000 };

async function startVenue(overrides: Partial<KrakenVenueConfig> = {}, options: KrakenVenueOptions = fast): Promise<KrakenVenue> {
  venue = new KrakenVenue(config(overrides), [SYMBOL], credentials, options);
  rec = new VenueRecorder(SYMBOL);
  await venue.start(rec);
  await rec.waitFor('a two-sided book', () => rec.latest !== null);
  return venue;
}

function request(side: Side, px1e9: number, type: OrderType = OrderType.Limit, qty1e8 = QTY): OrderRequest {
  return { clientOrderId: `maker.${Date.now()}.${++seq}.request-with-a-long-suffix`, symbol: SYMBOL, side, px1e9, qty1e8, type };
}

function passivePx(side: Side): number {
  const book = rec.latest!;
  return side === 1 ? book.bidPx[0] - 50 * TICK : book.askPx[0] + 50 * TICK;
}

function aggressivePx(side: Side): number {
  const book = rec.latest!;
  return side === 1 ? book.askPx[0] + 50 * TICK : book.bidPx[0] - 50 * TICK;
}

function kinds(id: string): VenueOrderEvent['kind'][] {
  return rec.of(id).map((e) => e.kind);
}

const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

/** The private requests the emulator received, by method: REST names (AddOrder) or WebSocket ones (add_order). */
let requests: string[] = [];
const orderMethods = () => requests.filter((m) => ['AddOrder', 'CancelOrder', 'add_order', 'cancel_order'].includes(m));

beforeEach(async () => {
  requests = [];
  const probe = { frameWritten: () => {}, orderReceived: () => {}, privateRequestArrived: (method: string) => void requests.push(method) };
  emulator = new KrakenEmulator({ credentials: { apiKey, secret }, seed: 11, probe });
  urls = await emulator.start();
  venue = null;
});

afterEach(async () => {
  await venue?.stop();
  await emulator.stop();
});

describe('KrakenVenue order entry', () => {
  it('places and cancels over the private WebSocket while it is subscribed, and over REST while it is down', async () => {
    const v = await startVenue();
    const first = request(1, passivePx(1));
    v.place(first);
    await rec.waitEvent(first.clientOrderId, ['ack']);
    v.cancel(first.clientOrderId, SYMBOL);
    await rec.waitEvent(first.clientOrderId, ['canceled']);
    expect(orderMethods()).toEqual(['add_order', 'cancel_order']);
    emulator.holdPrivateLinks(true);
    await rec.waitFor('the private link down', () => v.health().connection === 'disconnected');
    const second = request(1, passivePx(1));
    v.place(second);
    await rec.waitEvent(second.clientOrderId, ['ack']);
    expect(orderMethods()).toEqual(['add_order', 'cancel_order', 'AddOrder']);
    emulator.holdPrivateLinks(false);
    await rec.waitFor('the private link back', () => v.health().connection === 'connected');
    v.cancel(second.clientOrderId, SYMBOL);
    await rec.waitEvent(second.clientOrderId, ['canceled']);
    expect(orderMethods()).toEqual(['add_order', 'cancel_order', 'AddOrder', 'cancel_order']);
  });

  it('sends every order and cancel over REST with order_entry "rest"', async () => {
    const v = await startVenue({ orderEntry: 'rest' });
    const r = request(-1, passivePx(-1));
    v.place(r);
    await rec.waitEvent(r.clientOrderId, ['ack']);
    v.cancel(r.clientOrderId, SYMBOL);
    await rec.waitEvent(r.clientOrderId, ['canceled']);
    expect(orderMethods()).toEqual(['AddOrder', 'CancelOrder']);
  });

  it('does not hold an order behind an earlier request whose answer never comes', async () => {
    // Over REST the calls queue one at a time (nonces); on the private WebSocket an order
    // leaves at once even while the one before it waits out its minute-long answer timeout.
    const v = await startVenue({}, { ...fast, requestTimeoutMs: 60_000 });
    emulator.loseNextOrderAck();
    const unanswered = request(1, passivePx(1));
    v.place(unanswered);
    await rec.waitEvent(unanswered.clientOrderId, ['ack']);
    const next = request(-1, passivePx(-1));
    v.place(next);
    expect(await rec.waitEvent(next.clientOrderId, ['ack', 'reject'])).toMatchObject({ kind: 'ack' });
    expect(orderMethods()).toEqual(['add_order', 'add_order']);
    expect(kinds(unanswered.clientOrderId)).toEqual(['ack']);
  });
});

describe('KrakenVenue against the emulator', () => {
  it('acknowledges a limit order that rests, once, with the venue txid, and snapshot lists it under the node id', async () => {
    const v = await startVenue();
    const r = request(1, passivePx(1));
    v.place(r);
    expect(rec.of(r.clientOrderId)).toHaveLength(0);
    const ack = await rec.waitEvent(r.clientOrderId, ['ack', 'reject']);
    expect(ack).toMatchObject({ kind: 'ack', venueOrderId: expect.stringMatching(/^O[A-Z2-7]{5}-/) });
    await settle();
    expect(kinds(r.clientOrderId)).toEqual(['ack']);
    const snapshot = await v.snapshot([r.clientOrderId]);
    expect(snapshot.openOrders).toEqual([{ clientOrderId: r.clientOrderId, venueOrderId: (ack as { venueOrderId: string }).venueOrderId, symbol: SYMBOL }]);
    const atVenue = emulator.market.openOrders();
    expect(atVenue).toHaveLength(1);
    expect(atVenue[0].px1e9).toBe(r.px1e9);
    expect(atVenue[0].qty1e8).toBe(QTY);
    expect(emulator.unknownRoutes).toEqual([]);
  });

  it('fills an IOC order through the executions channel: ack, then fills with venue trade ids, then the end', async () => {
    const v = await startVenue();
    const r = request(1, aggressivePx(1), OrderType.Ioc);
    v.place(r);
    await rec.waitFor('the IOC to finish', () => {
      const filled = rec.of(r.clientOrderId).reduce((a, e) => a + (e.kind === 'fill' ? e.qty1e8 : 0), 0);
      return filled === QTY || kinds(r.clientOrderId).includes('canceled');
    });
    await settle();
    const events = rec.of(r.clientOrderId);
    expect(events[0].kind).toBe('ack');
    expect(events.filter((e) => e.kind === 'ack')).toHaveLength(1);
    const fills = events.filter((e): e is Extract<VenueOrderEvent, { kind: 'fill' }> => e.kind === 'fill');
    expect(fills.length).toBeGreaterThan(0);
    for (const f of fills) {
      expect(f.fillId).toMatch(/^T[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}$/);
      expect(f.liquidity).toBe('taker');
      expect(f.px1e9 % TICK).toBe(0);
      expect(f.fee1e9).toBeGreaterThan(0);
    }
    expect(new Set(fills.map((f) => f.fillId)).size).toBe(fills.length);
  });

  it('cancels a post-only order that would cross, after acknowledging it', async () => {
    const v = await startVenue();
    const r = request(1, aggressivePx(1), OrderType.PostOnly);
    v.place(r);
    const end = await rec.waitEvent(r.clientOrderId, ['canceled', 'reject']);
    expect(end).toMatchObject({ kind: 'canceled', reason: 'Post only order' });
    expect(kinds(r.clientOrderId)).toEqual(['ack', 'canceled']);
    expect(emulator.market.openOrders()).toHaveLength(0);
  });

  it('cancels a resting order on request, with one canceled event', async () => {
    const v = await startVenue();
    const r = request(-1, passivePx(-1));
    v.place(r);
    await rec.waitEvent(r.clientOrderId, ['ack']);
    v.cancel(r.clientOrderId, SYMBOL);
    await rec.waitEvent(r.clientOrderId, ['canceled']);
    await settle();
    expect(kinds(r.clientOrderId)).toEqual(['ack', 'canceled']);
    expect(emulator.market.openOrders()).toHaveLength(0);
  });

  it('answers a cancel of an unknown order with the venue text as a cancel reject', async () => {
    const v = await startVenue();
    v.cancel('maker.1.1', SYMBOL);
    const reject = await rec.waitEvent('maker.1.1', ['cancelReject', 'canceled']);
    expect(reject).toMatchObject({ kind: 'cancelReject', reason: 'EOrder:Unknown order' });
  });

  it('cancels everything with cancelAll, one canceled event per order', async () => {
    const v = await startVenue();
    const ids = [request(1, passivePx(1)), request(-1, passivePx(-1)), request(1, passivePx(1) - TICK)].map((r) => {
      v.place(r);
      return r.clientOrderId;
    });
    for (const id of ids) await rec.waitEvent(id, ['ack']);
    expect(await v.cancelAll()).toBe(3);
    for (const id of ids) await rec.waitEvent(id, ['canceled']);
    await settle();
    for (const id of ids) expect(kinds(id)).toEqual(['ack', 'canceled']);
  });

  it('turns the venue rate-limit answer into one RATE_LIMIT reject, without retrying, and counts it', async () => {
    const v = await startVenue();
    emulator.rateLimitNext(1);
    const r = request(1, passivePx(1));
    v.place(r);
    const reject = await rec.waitEvent(r.clientOrderId, ['reject', 'ack']);
    expect(reject).toMatchObject({ kind: 'reject', code: RejectCode.RateLimit, reason: 'EOrder:Rate limit exceeded' });
    await settle(500);
    expect(kinds(r.clientOrderId)).toEqual(['reject']);
    expect(emulator.market.openOrders()).toHaveLength(0);
    expect(v.health().rateLimited).toBe(1);
  });

  it('refuses an order with the local limiter when it is empty, before sending it', async () => {
    const v = await startVenue({ rateLimitBurst: 1, rateLimitPerSec: 0.01 });
    const first = request(1, passivePx(1));
    const second = request(1, passivePx(1));
    v.place(first);
    v.place(second);
    const reject = await rec.waitEvent(second.clientOrderId, ['reject', 'ack']);
    expect(reject).toMatchObject({ kind: 'reject', code: RejectCode.RateLimit, reason: expect.stringMatching(/^local rate limiter/) });
    await rec.waitEvent(first.clientOrderId, ['ack']);
    expect(emulator.market.openOrders()).toHaveLength(1);
    expect(v.health().rateHeadroom).toBe(0);
  });

  it('refuses fill-or-kill with INVALID_PARAMS naming Kraken spot limit, asynchronously', async () => {
    const v = await startVenue();
    const r = request(1, aggressivePx(1), OrderType.Fok);
    v.place(r);
    expect(rec.of(r.clientOrderId)).toHaveLength(0);
    const reject = await rec.waitEvent(r.clientOrderId, ['reject', 'ack']);
    expect(reject).toMatchObject({ kind: 'reject', code: RejectCode.InvalidParams, reason: expect.stringMatching(/no fill-or-kill.*GTC, IOC or GTD/) });
  });

  it('refuses a price off the tick and an unknown symbol with INVALID_PARAMS', async () => {
    const v = await startVenue();
    const offTick = request(1, passivePx(1) + 1);
    v.place(offTick);
    expect(await rec.waitEvent(offTick.clientOrderId, ['reject'])).toMatchObject({ code: RejectCode.InvalidParams, reason: expect.stringMatching(/not on the pair's tick 0\.1/) });
    const unknown = { ...request(1, passivePx(1)), symbol: 'DOGE/EUR' };
    v.place(unknown);
    expect(await rec.waitEvent(unknown.clientOrderId, ['reject'])).toMatchObject({ code: RejectCode.InvalidParams, reason: 'unknown symbol "DOGE/EUR"' });
  });

  it('maps the venue cancel_only status to an EXCHANGE_BUSY reject with the venue text, and reports the status', async () => {
    const v = await startVenue();
    emulator.setStatus('cancel_only');
    await rec.waitFor('the status', () => rec.statuses.includes('cancel_only'));
    const r = request(1, passivePx(1));
    v.place(r);
    expect(await rec.waitEvent(r.clientOrderId, ['reject', 'ack'])).toMatchObject({ kind: 'reject', code: RejectCode.ExchangeBusy, reason: 'EService:Market in cancel_only mode' });
  });

  it('still reports the ack once when the REST answer is lost, through the executions channel', async () => {
    const v = await startVenue();
    emulator.loseNextOrderAck();
    const r = request(1, passivePx(1));
    v.place(r);
    await rec.waitEvent(r.clientOrderId, ['ack', 'reject']);
    await settle(3500); // past the lost-ack check, which must not add anything
    expect(kinds(r.clientOrderId)).toEqual(['ack']);
  });

  it('reports an IOC fill once when its REST answer is lost', async () => {
    const v = await startVenue();
    emulator.loseNextOrderAck();
    const r = request(1, aggressivePx(1), OrderType.Ioc);
    v.place(r);
    await rec.waitEvent(r.clientOrderId, ['fill', 'reject']);
    await settle(3500);
    const events = rec.of(r.clientOrderId);
    expect(events[0].kind).toBe('ack');
    expect(events.filter((e) => e.kind === 'ack')).toHaveLength(1);
    const fillIds = events.flatMap((e) => (e.kind === 'fill' ? [e.fillId] : []));
    expect(new Set(fillIds).size).toBe(fillIds.length);
  });

  it('reconciles a fill made while disconnected exactly once, through snapshot after the reconnect', async () => {
    const v = await startVenue();
    const r = request(1, passivePx(1));
    v.place(r);
    await rec.waitEvent(r.clientOrderId, ['ack']);
    const before = rec.connections.length;
    await emulator.fillWhileDisconnected(krakenClientOrderId(r.clientOrderId));
    await rec.waitFor('the disconnect and reconnect', () => {
      const after = rec.connections.slice(before);
      return after.includes('disconnected') && after.at(-1) === 'connected';
    });
    expect(kinds(r.clientOrderId)).toEqual(['ack']);
    const snapshot = await v.snapshot([r.clientOrderId]);
    const fills = snapshot.recentFills.filter((f) => f.clientOrderId === r.clientOrderId);
    expect(fills.reduce((a, f) => a + f.qty1e8, 0)).toBe(QTY);
    expect(fills.every((f) => f.px1e9 === r.px1e9 && f.liquidity === 'maker')).toBe(true);
    expect(snapshot.openOrders).toEqual([]);
    const again = await v.snapshot([]);
    expect(again.recentFills.filter((f) => f.clientOrderId === r.clientOrderId)).toEqual([]);
    await settle();
    expect(kinds(r.clientOrderId)).toEqual(['ack']);
    expect(v.health().reconnects).toBeGreaterThan(0);
  });

  it('asks the venue about an order whose REST answer was lost while the private link is down, and acks it from there', async () => {
    const v = await startVenue();
    emulator.holdPrivateLinks(true);
    await rec.waitFor('the private link to drop', () => v.health().connection === 'disconnected');
    emulator.loseNextOrderAck();
    const r = request(1, passivePx(1));
    v.place(r);
    const ack = await rec.waitEvent(r.clientOrderId, ['ack', 'reject'], 20_000);
    expect(ack).toMatchObject({ kind: 'ack', venueOrderId: emulator.market.openOrders()[0].venueOrderId });
    emulator.holdPrivateLinks(false);
    await rec.waitFor('the reconnect', () => v.health().connection === 'connected');
    await settle();
    expect(kinds(r.clientOrderId)).toEqual(['ack']);
  });

  it('cancels, after a restart, an order a previous run placed, once it is known through snapshot', async () => {
    const first = await startVenue();
    const r = request(1, passivePx(1));
    first.place(r);
    await rec.waitEvent(r.clientOrderId, ['ack']);
    await first.stop();
    const v = await startVenue();
    const snapshot = await v.snapshot([r.clientOrderId]);
    expect(snapshot.openOrders.map((o) => o.clientOrderId)).toEqual([r.clientOrderId]);
    v.cancel(r.clientOrderId, SYMBOL);
    await rec.waitEvent(r.clientOrderId, ['canceled', 'cancelReject']);
    await settle();
    expect(kinds(r.clientOrderId)).toEqual(['canceled']);
  });

  it('reports an order it cannot attribute as foreign in snapshot and cancels it with cancelForeign', async () => {
    const v = await startVenue();
    const r = request(1, passivePx(1));
    v.place(r);
    await rec.waitEvent(r.clientOrderId, ['ack']);
    const other = new KrakenVenue(config(), [SYMBOL], credentials, fast);
    const otherRec = new VenueRecorder(SYMBOL);
    await other.start(otherRec);
    const seen = await other.snapshot([]);
    await other.stop();
    expect(seen.openOrders).toHaveLength(1);
    expect(seen.openOrders[0].clientOrderId).toBe('');
    await v.cancelForeign(seen.openOrders[0]);
    await rec.waitEvent(r.clientOrderId, ['canceled']);
    expect(emulator.market.openOrders()).toHaveLength(0);
    await expect(v.cancelForeign(seen.openOrders[0])).rejects.toThrow(/Kraken could not cancel O.*: EOrder:Unknown order/);
  });

  it('fails start with a clear error when the REST API cannot be reached', async () => {
    const dead = new KrakenVenue(config({ restUrl: 'http://127.0.0.1:1' }), [SYMBOL], credentials, { ...fast, requestTimeoutMs: 2000 });
    await expect(dead.start(new VenueRecorder(SYMBOL))).rejects.toThrow(/Kraken markets could not be loaded from http:\/\/127\.0\.0\.1:1/);
  });

  it('takes the ack from the channel when the REST answer is slow, and the late answer adds nothing', async () => {
    const v = await startVenue();
    emulator.delayOrderAcks(1500);
    const r = request(1, passivePx(1));
    v.place(r);
    await rec.waitEvent(r.clientOrderId, ['ack']);
    emulator.delayOrderAcks(0);
    await settle(2000);
    expect(kinds(r.clientOrderId)).toEqual(['ack']);
  });

  it('keeps an unchanged book current while the venue sends heartbeats, publishing nothing', async () => {
    const v = await startVenue();
    emulator.pauseFeed(true);
    try {
      await settle(300);
      const books = rec.books;
      const pausedAtMs = Date.now();
      await rec.waitFor('a heartbeat after the pause', () => v.health().currentAtMs > pausedAtMs + 500, 15_000);
      expect(rec.books).toBe(books);
      expect(v.health().invalidBooks).toBe(0);
    } finally {
      emulator.pauseFeed(false);
    }
  });

  it('counts a corrupted checksum and rebuilds the book from a fresh snapshot', async () => {
    const v = await startVenue();
    emulator.corruptNextChecksum(SYMBOL);
    await rec.waitFor('the mismatch and the rebuild', () => v.health().checksumFailures > 0 && v.health().resyncs > 0 && v.health().invalidBooks === 0);
    const books = rec.books;
    await rec.waitFor('books again', () => rec.books > books);
  });

  it('arms the dead man switch at start, re-arms it, and disarms it on stop', async () => {
    const v = await startVenue({ deadManTimeoutSec: 60 }, { ...fast, deadManRearmMs: 150 });
    expect(emulator.deadMan().timeoutSec).toBe(60);
    await rec.waitFor('three arms', () => emulator.deadMan().arms >= 3);
    expect(v.health()).toMatchObject({ deadManArmed: true, deadManFailures: 0 });
    await v.stop();
    venue = null;
    expect(emulator.deadMan().timeoutSec).toBe(0);
    expect(emulator.deadMan().fired).toBe(0);
  });

  it('counts a failed re-arm of the dead man switch in health, with the reason', async () => {
    const v = await startVenue({ deadManTimeoutSec: 60 }, { ...fast, deadManRearmMs: 150, requestTimeoutMs: 2000 });
    expect(v.health().deadManFailures).toBe(0);
    await emulator.stop();
    await rec.waitFor('a failed re-arm', () => v.health().deadManFailures > 0);
    expect(v.health().deadManLastError).not.toBe('');
  });

  it('fails start with the venue error when Kraken refuses the key, and the error never carries the secret', async () => {
    const wrongSecret = Buffer.alloc(64, 4).toString('base64');
    const wrong = new KrakenVenue(config(), [SYMBOL], { apiKey: new Secret(apiKey), secret: new Secret(wrongSecret) }, fast);
    const error = await wrong.start(new VenueRecorder(SYMBOL)).then(
      () => null,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(/Kraken refused the API key \(GetWebSocketsToken\): EAPI:Invalid signature/);
    expect(error?.message).not.toContain(wrongSecret);
    expect(error?.message).not.toContain(secret);
    expect(emulator.market.openOrders()).toHaveLength(0);
  });

  it('fails start naming a symbol Kraken does not list', async () => {
    const v = new KrakenVenue(config(), ['DOGE/EUR'], credentials, fast);
    await expect(v.start(new VenueRecorder('DOGE/EUR'))).rejects.toThrow(/Kraken does not list symbol "DOGE\/EUR"/);
  });

  it('delivers no events after stop resolves', async () => {
    const v = await startVenue();
    const r = request(1, passivePx(1));
    v.place(r);
    await rec.waitEvent(r.clientOrderId, ['ack']);
    await v.stop();
    venue = null;
    const count = rec.events.length;
    await emulator.fillResting(krakenClientOrderId(r.clientOrderId));
    await settle();
    expect(rec.events.length).toBe(count);
  });
});
