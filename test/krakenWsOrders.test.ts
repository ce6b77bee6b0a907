import { describe, expect, it } from 'vitest';
import { RejectCode } from '../src/wasm/abi.ts';
import { Secret } from '../src/venues/credentials.ts';
import { quoteNumbers } from '../src/venues/kraken/krakenExecutions.ts';
import { type AddOrderRequest, KrakenGateway } from '../src/venues/kraken/krakenGateway.ts';
import { KrakenWsOrders, type KrakenWsOrdersOptions } from '../src/venues/kraken/krakenWsOrders.ts';

// KrakenWsOrders is the seam between the venue and the private link: what it writes is the
// exact add_order / cancel_order text Kraken reads, and what it resolves is decided by the
// answers handed to it (the link's parsed frames). Error texts map through the real
// KrakenGateway's ccxt exception tables (no network: ccxt is only constructed).

const gateway = new KrakenGateway({ restUrl: 'http://127.0.0.1:9', credentials: { apiKey: new Secret('key'), secret: new Secret(Buffer.alloc(64, 1).toString('base64')) } });

function orders(overrides: Partial<KrakenWsOrdersOptions> = {}): { entry: KrakenWsOrders; sent: string[] } {
  const sent: string[] = [];
  const entry = new KrakenWsOrders({
    send: (text) => {
      sent.push(text);
      return true;
    },
    token: () => 'tok-1',
    failureFor: (text) => gateway.failureForText(text),
    ...overrides,
  });
  return { entry, sent };
}

/** An answer frame as the private link hands it over: numbers kept as text. */
function frame(text: string): Record<string, unknown> {
  return JSON.parse(quoteNumbers(text)) as Record<string, unknown>;
}

const BID: AddOrderRequest = { symbol: 'BTC/USD', side: 1, kind: 'post', price: '30000.10', volume: '0.00100000', clOrdId: 'abc-1' };

describe('KrakenWsOrders', () => {
  it('writes add_order with the decimals exactly as formatted, the kind as Kraken spells it, the token and a req_id', () => {
    const { entry, sent } = orders();
    void entry.addOrder(BID);
    void entry.addOrder({ ...BID, side: -1, kind: 'ioc', clOrdId: 'abc-2' });
    void entry.addOrder({ ...BID, kind: 'market', price: '', clOrdId: 'abc-3' });
    void entry.addOrder({ ...BID, kind: 'limit', clOrdId: 'abc-4' });
    expect(sent).toEqual([
      '{"method":"add_order","params":{"order_type":"limit","side":"buy","order_qty":0.00100000,"symbol":"BTC/USD","limit_price":30000.10,"post_only":true,"cl_ord_id":"abc-1","token":"tok-1"},"req_id":1}',
      '{"method":"add_order","params":{"order_type":"limit","side":"sell","order_qty":0.00100000,"symbol":"BTC/USD","limit_price":30000.10,"time_in_force":"ioc","cl_ord_id":"abc-2","token":"tok-1"},"req_id":2}',
      '{"method":"add_order","params":{"order_type":"market","side":"buy","order_qty":0.00100000,"symbol":"BTC/USD","cl_ord_id":"abc-3","token":"tok-1"},"req_id":3}',
      '{"method":"add_order","params":{"order_type":"limit","side":"buy","order_qty":0.00100000,"symbol":"BTC/USD","limit_price":30000.10,"cl_ord_id":"abc-4","token":"tok-1"},"req_id":4}',
    ]);
    for (const text of sent) expect(() => JSON.parse(text)).not.toThrow();
  });

  it('writes cancel_order by cl_ord_id and resolves 1 when Kraken confirms it', async () => {
    const { entry, sent } = orders();
    const result = entry.cancelByClientId('abc-1');
    expect(sent).toEqual(['{"method":"cancel_order","params":{"cl_ord_id":["abc-1"],"token":"tok-1"},"req_id":1}']);
    entry.onAnswer(frame('{"method":"cancel_order","req_id":1,"result":{"cl_ord_id":"abc-1"},"success":true}'));
    expect(await result).toEqual({ ok: true, value: 1 });
  });

  it('refuses a price or size that is not a plain decimal without sending anything', async () => {
    const { entry, sent } = orders();
    const result = await entry.addOrder({ ...BID, price: '1e5' });
    expect(result).toMatchObject({ ok: false, code: RejectCode.InvalidParams, unknownOutcome: false });
    expect(result.ok ? '' : result.reason).toContain('"1e5"');
    expect(await entry.addOrder({ ...BID, volume: '-1' })).toMatchObject({ ok: false, code: RejectCode.InvalidParams });
    expect(sent).toEqual([]);
  });

  it('matches answers by req_id in any order and returns the order_id as the txid', async () => {
    const { entry } = orders();
    const first = entry.addOrder(BID);
    const second = entry.addOrder({ ...BID, clOrdId: 'abc-2' });
    entry.onAnswer(frame('{"method":"add_order","req_id":2,"result":{"order_id":"OB2222-AAAAA-BBBBBB","cl_ord_id":"abc-2"},"success":true}'));
    entry.onAnswer(frame('{"method":"add_order","req_id":1,"result":{"order_id":"OA1111-AAAAA-BBBBBB"},"success":true}'));
    expect(await first).toEqual({ ok: true, value: 'OA1111-AAAAA-BBBBBB' });
    expect(await second).toEqual({ ok: true, value: 'OB2222-AAAAA-BBBBBB' });
    expect(entry.inFlight).toBe(0);
  });

  it("maps Kraken's error texts as ccxt does for REST: rate limit, funds, cancel_only, an unknown text", async () => {
    const cases: Array<[string, number, boolean]> = [
      ['EOrder:Rate limit exceeded', RejectCode.RateLimit, true],
      ['EOrder:Insufficient funds', RejectCode.InsufficientBalance, false],
      ['EService:Market in cancel_only mode', RejectCode.ExchangeBusy, false],
      ['EOrder:Something new', RejectCode.InvalidParams, false],
    ];
    for (const [error, code, rateLimited] of cases) {
      const { entry } = orders();
      const result = entry.addOrder(BID);
      entry.onAnswer(frame(`{"method":"add_order","req_id":1,"success":false,"error":${JSON.stringify(error)}}`));
      expect(await result).toEqual({ ok: false, code, reason: error, unknownOutcome: false, rateLimited });
    }
  });

  it('ignores an answer to no waiting request or of another method, and one without an order_id is a reject', async () => {
    const { entry } = orders();
    const result = entry.addOrder(BID);
    entry.onAnswer(frame('{"method":"add_order","req_id":99,"result":{"order_id":"OX"},"success":true}'));
    entry.onAnswer(frame('{"method":"cancel_order","req_id":1,"result":{},"success":true}'));
    expect(entry.inFlight).toBe(1);
    entry.onAnswer(frame('{"method":"add_order","req_id":1,"result":{},"success":true}'));
    expect(await result).toMatchObject({ ok: false, code: RejectCode.Unknown, reason: 'add_order answer has no order_id', unknownOutcome: false });
  });

  it('leaves the outcome unknown when the link drops or no answer comes in time', async () => {
    const { entry } = orders({ timeoutMs: 50 });
    const dropped = entry.addOrder(BID);
    const cancel = entry.cancelByClientId('abc-9');
    entry.linkLost('closed (1006)');
    expect(await dropped).toMatchObject({ ok: false, code: RejectCode.Network, unknownOutcome: true, reason: 'private link lost before the answer: closed (1006)' });
    expect(await cancel).toMatchObject({ ok: false, unknownOutcome: true });
    const silent = await entry.addOrder({ ...BID, clOrdId: 'abc-5' });
    expect(silent).toMatchObject({ ok: false, code: RejectCode.Network, unknownOutcome: true, reason: 'no add_order answer within 50 ms' });
    expect(entry.inFlight).toBe(0);
  });

  it('refuses at once, sending nothing, when too many requests await answers or the link is down', async () => {
    const { entry, sent } = orders({ maxPending: 2 });
    void entry.addOrder(BID);
    void entry.addOrder(BID);
    expect(await entry.addOrder(BID)).toMatchObject({ ok: false, code: RejectCode.ExchangeBusy, unknownOutcome: false });
    expect(sent).toHaveLength(2);
    entry.close();
    const down = orders({ send: () => false }).entry;
    expect(await down.cancelByClientId('abc-1')).toMatchObject({ ok: false, code: RejectCode.Network, unknownOutcome: false, reason: 'Kraken private link is not up; nothing was sent' });
    expect(down.inFlight).toBe(0);
  });
});
