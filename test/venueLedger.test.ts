import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { OrderType } from '../src/wasm/abi.ts';
import { buildJwt } from '../src/venues/coinbase/coinbaseJwt.ts';
import { CoinbaseVenue } from '../src/venues/coinbase/coinbaseVenue.ts';
import { CoinbaseEmulator, type CoinbaseEmulatorUrls } from '../src/venues/coinbase/emulator/coinbaseEmulator.ts';
import { Secret } from '../src/venues/credentials.ts';
import { EmulatorMarket } from '../src/venues/emulator/emulatorMarket.ts';
import { fetchLedger, VenueLedger } from '../src/venues/emulator/venueLedger.ts';
import { KrakenEmulator, type KrakenEmulatorUrls } from '../src/venues/kraken/emulator/krakenEmulator.ts';
import { krakenClientOrderId } from '../src/venues/kraken/krakenClientId.ts';
import { krakenSignature } from '../src/venues/kraken/krakenSign.ts';
import { KrakenVenue } from '../src/venues/kraken/krakenVenue.ts';
import type { OrderRequest, Side, VenueOrderEvent } from '../src/venues/venue.ts';
import { VenueRecorder } from './support/venueContract.ts';
import { eventually } from './support/eventually.ts';

// The emulators' ledgers, read as a harness reads them (GET /_emulator/ledger), after the
// real adapters and raw wire requests drove the emulators; and the outage fault.

const SYMBOL = 'BTC/USD';
const KRAKEN_KEY = 'ledgerTestKey';
const KRAKEN_SECRET = Buffer.alloc(64, 9).toString('base64');
const CB_KEY_NAME = 'organizations/org-1/apiKeys/ledger';
const CB_PEM = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();

type Fill = Extract<VenueOrderEvent, { kind: 'fill' }>;

let stops: (() => Promise<void>)[] = [];
let seq = 0;
let nonce = Date.now() * 1000;

afterEach(async () => {
  for (const stop of stops.reverse()) await stop();
  stops = [];
});


function nodeId(): string {
  return `maker.${++seq}.${seq}`;
}

async function startKraken(): Promise<{ emulator: KrakenEmulator; urls: KrakenEmulatorUrls }> {
  const emulator = new KrakenEmulator({ credentials: { apiKey: KRAKEN_KEY, secret: KRAKEN_SECRET }, seed: 21, heartbeatMs: 200 });
  const urls = await emulator.start();
  stops.push(() => emulator.stop());
  await eventually('a two-sided book', () => emulator.market.book(SYMBOL).bidCount > 0 && emulator.market.book(SYMBOL).askCount > 0);
  return { emulator, urls };
}

async function startKrakenVenue(urls: KrakenEmulatorUrls): Promise<{ venue: KrakenVenue; rec: VenueRecorder }> {
  const venue = new KrakenVenue(
    { kind: 'kraken', name: 'kraken', ...urls, depth: 10, deadManTimeoutSec: 60, orderEntry: 'ws', rateLimitBurst: 50, rateLimitPerSec: 50, unknownOrders: 'leave' },
    [SYMBOL],
    { apiKey: new Secret(KRAKEN_KEY), secret: new Secret(KRAKEN_SECRET) },
    { pingIntervalMs: 1000, backoffMinMs: 50, backoffMaxMs: 300, lostAckCheckMs: 3000 },
  );
  const rec = new VenueRecorder(SYMBOL);
  await venue.start(rec);
  stops.push(() => venue.stop());
  await eventually('the first book', () => rec.latest !== null);
  return { venue, rec };
}

async function krakenCall(urls: KrakenEmulatorUrls, method: string, params: Record<string, string>): Promise<{ error: string[]; result?: Record<string, any> }> {
  const n = String(++nonce);
  const body = new URLSearchParams({ nonce: n, ...params }).toString();
  const path = `/0/private/${method}`;
  const res = await fetch(urls.restUrl + path, {
    method: 'POST',
    headers: { 'API-Key': KRAKEN_KEY, 'API-Sign': krakenSignature(KRAKEN_SECRET, path, n, body), 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return (await res.json()) as { error: string[]; result?: Record<string, any> };
}

async function startCoinbase(): Promise<{ emulator: CoinbaseEmulator; urls: CoinbaseEmulatorUrls }> {
  const emulator = new CoinbaseEmulator({ credentials: { keyName: CB_KEY_NAME, keyPem: CB_PEM }, seed: 23 });
  const urls = await emulator.start();
  stops.push(() => emulator.stop());
  await eventually('a two-sided book', () => emulator.market.book(SYMBOL).bidCount > 0 && emulator.market.book(SYMBOL).askCount > 0);
  return { emulator, urls };
}

async function startCoinbaseVenue(urls: CoinbaseEmulatorUrls): Promise<{ venue: CoinbaseVenue; rec: VenueRecorder }> {
  const venue = new CoinbaseVenue(
    { kind: 'coinbase', name: 'coinbase', ...urls, rateLimitBurst: 50, rateLimitPerSec: 50, unknownOrders: 'leave' },
    [SYMBOL],
    { keyName: new Secret(CB_KEY_NAME), privateKeyPem: new Secret(CB_PEM) },
    { restTimeoutMs: 2_000, reconnectMinMs: 50, reconnectMaxMs: 300 },
  );
  const rec = new VenueRecorder(SYMBOL);
  await venue.start(rec);
  stops.push(() => venue.stop());
  await eventually('connected', () => venue.health().connection === 'connected');
  return { venue, rec };
}

async function coinbaseOrder(urls: CoinbaseEmulatorUrls, body: unknown): Promise<Record<string, any>> {
  const path = '/api/v3/brokerage/orders';
  const jwt = buildJwt({ keyName: CB_KEY_NAME, privateKey: createPrivateKey(CB_PEM), request: { method: 'POST', host: new URL(urls.restUrl).host, path } });
  const res = await fetch(urls.restUrl + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` }, body: JSON.stringify(body) });
  return (await res.json()) as Record<string, any>;
}

function crossing(market: EmulatorMarket, side: Side, tick1e9: number): number {
  const book = market.book(SYMBOL);
  return side === 1 ? book.askPx[0] + 50 * tick1e9 : book.bidPx[0] - 50 * tick1e9;
}

function resting(market: EmulatorMarket, side: Side, tick1e9: number): number {
  const book = market.book(SYMBOL);
  return side === 1 ? book.bidPx[0] - 500 * tick1e9 : book.askPx[0] + 500 * tick1e9;
}

const KRAKEN_TICK = 100_000_000;
const CB_TICK = 10_000_000;

describe('the Kraken emulator ledger', () => {
  it('records an order placed through the adapter under its cl_ord_id, with its venue order id, and its fills under the ids the node applied', async () => {
    const { emulator, urls } = await startKraken();
    const { venue, rec } = await startKrakenVenue(urls);
    const id = nodeId();
    const request: OrderRequest = { clientOrderId: id, symbol: SYMBOL, side: 1, px1e9: crossing(emulator.market, 1, KRAKEN_TICK), qty1e8: 100_000, type: OrderType.Limit };
    venue.place(request);
    const fills = await eventually('the fills of the whole order', () => {
      const f = rec.of(id).filter((e): e is Fill => e.kind === 'fill');
      return f.reduce((sum, x) => sum + x.qty1e8, 0) === 100_000 ? f : undefined;
    });
    const ack = rec.of(id).find((e) => e.kind === 'ack') as Extract<VenueOrderEvent, { kind: 'ack' }>;

    const ledger = await fetchLedger(urls.restUrl);
    expect(ledger.venue).toBe('kraken');
    const orders = ledger.orders.filter((o) => o.clientOrderId === krakenClientOrderId(id));
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ outcome: 'placed', venueOrderId: ack.venueOrderId, symbol: 'XXBTZUSD', side: 'buy', reason: '' });
    const ledgerFills = ledger.fills.filter((f) => f.clientOrderId === krakenClientOrderId(id));
    expect(ledgerFills.map((f) => [f.fillId, f.qty1e8, f.px1e9])).toEqual(fills.map((f) => [f.fillId, f.qty1e8, f.px1e9]));
    expect(ledgerFills.every((f) => f.symbol === SYMBOL && f.side === 'buy' && f.venueOrderId === ack.venueOrderId)).toBe(true);
    expect(ledgerFills.every((f) => f.seq > orders[0].seq)).toBe(true);
    expect(ledger.dropped).toBe(0);
  });

  it('records a rate-limited order as refused with Kraken\'s error, and a cancel with its outcome', async () => {
    const { emulator, urls } = await startKraken();
    const { venue, rec } = await startKrakenVenue(urls);
    emulator.rateLimitNext(1);
    const refusedId = nodeId();
    venue.place({ clientOrderId: refusedId, symbol: SYMBOL, side: 1, px1e9: resting(emulator.market, 1, KRAKEN_TICK), qty1e8: 100_000, type: OrderType.Limit });
    await eventually('the reject', () => rec.of(refusedId).some((e) => e.kind === 'reject'));
    const restingId = nodeId();
    venue.place({ clientOrderId: restingId, symbol: SYMBOL, side: 1, px1e9: resting(emulator.market, 1, KRAKEN_TICK), qty1e8: 100_000, type: OrderType.Limit });
    await eventually('the ack', () => rec.of(restingId).some((e) => e.kind === 'ack'));
    venue.cancel(restingId, SYMBOL);
    await eventually('the cancel', () => rec.of(restingId).some((e) => e.kind === 'canceled'));

    const ledger = await fetchLedger(urls.restUrl);
    expect(ledger.orders.find((o) => o.clientOrderId === krakenClientOrderId(refusedId))).toMatchObject({ outcome: 'refused', reason: 'EOrder:Rate limit exceeded', venueOrderId: '' });
    const placed = ledger.orders.find((o) => o.clientOrderId === krakenClientOrderId(restingId));
    expect(ledger.cancels).toEqual([expect.objectContaining({ clientOrderId: krakenClientOrderId(restingId), venueOrderId: placed?.venueOrderId, outcome: 'canceled' })]);
  });

  it('counts a second AddOrder with an open cl_ord_id as a resend, not a second placement', async () => {
    const { emulator, urls } = await startKraken();
    const clOrdId = krakenClientOrderId(nodeId());
    const px = (resting(emulator.market, 1, KRAKEN_TICK) / 1e9).toFixed(1);
    const order = { pair: 'XBTUSD', type: 'buy', ordertype: 'limit', price: px, volume: '0.001', cl_ord_id: clOrdId };
    const first = await krakenCall(urls, 'AddOrder', order);
    const second = await krakenCall(urls, 'AddOrder', order);
    expect(second.error).toEqual(['EOrder:Duplicate cl_ord_id']);

    const ledger = await fetchLedger(urls.restUrl);
    expect(ledger.orders.map((o) => [o.clientOrderId, o.outcome, o.venueOrderId])).toEqual([
      [clOrdId, 'placed', first.result?.txid[0]],
      [clOrdId, 'resend', first.result?.txid[0]],
    ]);
    expect(ledger.resends).toBe(1);
  });

  it('reads only the entries after a given seq, and refuses a since that is not a seq', async () => {
    const { emulator, urls } = await startKraken();
    const px = (resting(emulator.market, 1, KRAKEN_TICK) / 1e9).toFixed(1);
    await krakenCall(urls, 'AddOrder', { pair: 'XBTUSD', type: 'buy', ordertype: 'limit', price: px, volume: '0.001', cl_ord_id: krakenClientOrderId(nodeId()) });
    const all = await fetchLedger(urls.restUrl);
    await krakenCall(urls, 'AddOrder', { pair: 'XBTUSD', type: 'buy', ordertype: 'limit', price: px, volume: 'lots' });
    const newer = await fetchLedger(urls.restUrl, all.lastSeq);
    expect(newer.orders).toEqual([expect.objectContaining({ outcome: 'refused', reason: 'EGeneral:Invalid arguments:volume', qty: 'lots', seq: all.lastSeq + 1 })]);

    const bad = await fetch(`${urls.restUrl}/_emulator/ledger?since=-3`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'since must be a whole number >= 0 (a ledger seq), got "-3"' });
  });
});

describe('the Coinbase emulator ledger', () => {
  it('records an order placed through the adapter and its fills under the trade ids the node applied', async () => {
    const { emulator, urls } = await startCoinbase();
    const { venue, rec } = await startCoinbaseVenue(urls);
    const id = nodeId();
    venue.place({ clientOrderId: id, symbol: SYMBOL, side: -1, px1e9: crossing(emulator.market, -1, CB_TICK), qty1e8: 100_000, type: OrderType.Limit });
    const fills = await eventually('the fills of the whole order', () => {
      const f = rec.of(id).filter((e): e is Fill => e.kind === 'fill');
      return f.reduce((sum, x) => sum + x.qty1e8, 0) === 100_000 ? f : undefined;
    });

    const ledger = await fetchLedger(urls.restUrl);
    expect(ledger.venue).toBe('coinbase');
    expect(ledger.orders.filter((o) => o.clientOrderId === id)).toEqual([expect.objectContaining({ outcome: 'placed', symbol: 'BTC-USD', side: 'SELL', qty: '0.00100000' })]);
    expect(ledger.fills.filter((f) => f.clientOrderId === id).map((f) => [f.fillId, f.qty1e8, f.side])).toEqual(fills.map((f) => [f.fillId, f.qty1e8, 'sell']));
  });

  it('records a repeated client_order_id as a resend of the same order, and a malformed order as refused with the reason', async () => {
    const { emulator, urls } = await startCoinbase();
    const id = nodeId();
    const px = (resting(emulator.market, 1, CB_TICK) / 1e9).toFixed(2);
    const body = { client_order_id: id, product_id: 'BTC-USD', side: 'BUY', order_configuration: { limit_limit_gtc: { base_size: '0.001', limit_price: px } } };
    const first = await coinbaseOrder(urls, body);
    const again = await coinbaseOrder(urls, body);
    expect(again.order_id).toBe(first.order_id);
    await coinbaseOrder(urls, { ...body, client_order_id: 'bad-side', side: 'SIDEWAYS' });

    const ledger = await fetchLedger(urls.restUrl);
    expect(ledger.orders.map((o) => [o.clientOrderId, o.outcome, o.venueOrderId])).toEqual([
      [id, 'placed', first.order_id],
      [id, 'resend', first.order_id],
      ['bad-side', 'refused', ''],
    ]);
    expect(ledger.orders[2].reason).toBe('side must be BUY or SELL, got "SIDEWAYS"');
    expect(ledger.resends).toBe(1);
  });
});

describe('the outage fault', () => {
  it('Kraken: refuses connections while down, then listens on the same port with the resting order intact, and the adapter reconnects', async () => {
    const { emulator, urls } = await startKraken();
    const { venue, rec } = await startKrakenVenue(urls);
    const id = nodeId();
    venue.place({ clientOrderId: id, symbol: SYMBOL, side: 1, px1e9: resting(emulator.market, 1, KRAKEN_TICK), qty1e8: 100_000, type: OrderType.Limit });
    await eventually('the ack', () => rec.of(id).some((e) => e.kind === 'ack'));
    const reconnectsBefore = venue.health().reconnects;

    const res = await fetch(`${urls.restUrl}/_emulator/fault`, { method: 'POST', body: JSON.stringify({ fault: 'outage', ms: 1500 }) });
    expect(res.status).toBe(200);
    const refused = await eventually('a refused connection', () =>
      fetch(`${urls.restUrl}/0/public/Time`).then(
        () => undefined,
        (err: Error & { cause?: { code?: string } }) => err.cause?.code,
      ),
    );
    expect(refused).toBe('ECONNREFUSED');

    const back = await eventually('the emulator back', () => fetch(`${urls.restUrl}/0/public/Time`).then((r) => r.status, () => undefined));
    expect(back).toBe(200);
    const open = emulator.market.openOrders();
    expect(open.map((o) => emulator.ledger.snapshot().orders.find((l) => l.venueOrderId === o.venueOrderId)?.clientOrderId)).toContain(krakenClientOrderId(id));
    await eventually('the adapter reconnected', () => venue.health().reconnects > reconnectsBefore && venue.health().connection === 'connected');
  });

  it('Coinbase: refuses connections while down and comes back on the same port with the order still open', async () => {
    const { emulator, urls } = await startCoinbase();
    const px = (resting(emulator.market, 1, CB_TICK) / 1e9).toFixed(2);
    const id = nodeId();
    const placed = await coinbaseOrder(urls, { client_order_id: id, product_id: 'BTC-USD', side: 'BUY', order_configuration: { limit_limit_gtc: { base_size: '0.001', limit_price: px } } });
    const down = emulator.outage(1000);
    const refused = await fetch(`${urls.restUrl}/v2/currencies`).then(
      () => 'answered',
      (err: Error & { cause?: { code?: string } }) => err.cause?.code,
    );
    expect(refused).toBe('ECONNREFUSED');
    await down;
    expect((await fetch(`${urls.restUrl}/v2/currencies`)).status).toBe(200);
    expect(emulator.market.order(placed.order_id)?.status).toBe('open');
  });

  it('refuses an outage without a whole non-negative ms, and a second one while the first is under way', async () => {
    const { emulator, urls } = await startKraken();
    const bad = await fetch(`${urls.restUrl}/_emulator/fault`, { method: 'POST', body: JSON.stringify({ fault: 'outage', ms: -5 }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'outage needs "ms": a whole number of milliseconds >= 0, got -5' });
    const { emulator: coinbase, urls: cbUrls } = await startCoinbase();
    const cbBad = await fetch(`${cbUrls.restUrl}/_emulator/fault`, { method: 'POST', body: JSON.stringify({ fault: 'outage' }) });
    expect(cbBad.status).toBe(400);
    expect(await cbBad.json()).toEqual({ error: 'outage needs "ms": a whole number of milliseconds >= 0, got undefined' });

    const first = emulator.outage(500);
    await expect(emulator.outage(500)).rejects.toThrow('an outage is already under way');
    await first;
    const cbFirst = coinbase.outage(500);
    await expect(coinbase.outage(500)).rejects.toThrow('an outage is already under way');
    await cbFirst;
  });
});

describe('the ledger itself', () => {
  it('keeps at most its capacity, dropping the oldest entries and counting them', () => {
    const market = new EmulatorMarket({ name: 'bounded', seed: 1, markets: [{ symbol: SYMBOL, startPrice1e9: 60_000_000_000_000, tickSize1e9: KRAKEN_TICK, lotSize1e8: 1, minQty1e8: 1 }] });
    const ledger = new VenueLedger({ venue: 'test', market, wireFillId: (f) => f.fillId, capacity: 3 });
    for (let i = 1; i <= 5; i++) ledger.refused(ledger.receive(`id-${i}`, { symbol: SYMBOL, side: 'buy', px: '1', qty: '1' }), 'no');
    const snapshot = ledger.snapshot();
    expect(snapshot.orders.map((o) => o.clientOrderId)).toEqual(['id-3', 'id-4', 'id-5']);
    expect(snapshot.dropped).toBe(2);
    expect(snapshot.lastSeq).toBe(5);
    ledger.close();
  });

  it('refuses a capacity that is not a whole number of at least 1', () => {
    const market = new EmulatorMarket({ name: 'bounded', seed: 1, markets: [{ symbol: SYMBOL, startPrice1e9: 60_000_000_000_000, tickSize1e9: KRAKEN_TICK, lotSize1e8: 1, minQty1e8: 1 }] });
    expect(() => new VenueLedger({ venue: 'test', market, wireFillId: (f) => f.fillId, capacity: 0 })).toThrow('ledger capacity must be a whole number >= 1, got 0');
  });

  it('fetchLedger says clearly when the URL does not serve a ledger', async () => {
    const { urls } = await startCoinbase();
    await expect(fetchLedger(`${urls.restUrl}/nothing-here`)).rejects.toThrow(/ledger at http:\/\/127\.0\.0\.1:\d+\/nothing-here\/_emulator\/ledger\?since=0: HTTP 404/);
  });
});
