import { describe, expect, it } from 'vitest';
import { DecimalError } from '../src/node/fixedPoint.ts';
import { type WebSocket, WebSocketServer } from 'ws';
import { ExecutionFrameError, KrakenExecutions, executionReport, quoteNumbers, scaled } from '../src/venues/kraken/krakenExecutions.ts';

describe('Kraken executions frame reading', () => {
  it('keeps every number as its exact text, leaving strings, booleans and null alone', () => {
    const text = '{"a":0.00010000,"b":[1,-2.50,3e-5],"s":"x:1,2","t":true,"f":false,"n":null,"big":15113583034416118705}';
    expect(JSON.parse(quoteNumbers(text))).toEqual({ a: '0.00010000', b: ['1', '-2.50', '3e-5'], s: 'x:1,2', t: true, f: false, n: null, big: '15113583034416118705' });
  });

  it('copies escaped quotes inside strings through untouched', () => {
    const text = '{"reason":"say \\"1.5\\" twice","q":2.0}';
    expect(JSON.parse(quoteNumbers(text))).toEqual({ reason: 'say "1.5" twice', q: '2.0' });
  });

  it('scales decimal texts exactly, exponent forms included', () => {
    expect(scaled('0.00010000', 8)).toBe(10_000);
    expect(scaled('60000.1', 9)).toBe(60_000_100_000_000);
    expect(scaled('5.1e-05', 8)).toBe(5_100);
    expect(scaled('1.5E2', 9)).toBe(150_000_000_000);
    expect(scaled('-2e-9', 9)).toBe(-2);
  });

  it('refuses a number it cannot represent exactly, with a clear error', () => {
    expect(() => scaled('1e-9', 8)).toThrow(DecimalError);
    expect(() => scaled('1.2.3e4', 8)).toThrow(/not a decimal number/);
  });

  it('reads a trade report into integers: qty, price, fee, liquidity, ids', () => {
    const frame = JSON.parse(
      quoteNumbers(
        '{"order_id":"OAAAAA-BBBBB-CCCCCC","exec_id":"TAAAAA-BBBBB-CCCCCC","exec_type":"trade","order_status":"filled","cl_ord_id":"abc","symbol":"BTC/USD","last_qty":0.00100000,"last_price":60000.1,"liquidity_ind":"m","fees":[{"asset":"USD","qty":0.09600016}],"timestamp":"2024-01-02T03:04:05.123456Z"}',
      ),
    );
    expect(executionReport(frame)).toMatchObject({
      execType: 'trade',
      orderId: 'OAAAAA-BBBBB-CCCCCC',
      execId: 'TAAAAA-BBBBB-CCCCCC',
      clOrdId: 'abc',
      lastQty1e8: 100_000,
      lastPx1e9: 60_000_100_000_000,
      fee1e9: 96_000_160,
      liquidity: 'maker',
      tsNs: Date.parse('2024-01-02T03:04:05.123Z') * 1e6,
    });
  });

  it('refuses a report without order_id, and a trade without its quantity, naming what is missing', () => {
    expect(() => executionReport({ exec_type: 'new' })).toThrow(ExecutionFrameError);
    expect(() => executionReport({ order_id: 'O1', exec_type: 'trade', last_price: '1.0' })).toThrow(/trade report without last_qty/);
  });
});

describe('Kraken executions link', () => {
  async function server(onSubscribe: (ws: WebSocket, token: string, connection: number) => void): Promise<{ url: string; close(): Promise<void> }> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    let connections = 0;
    wss.on('connection', (ws) => {
      const n = ++connections;
      ws.on('message', (data) => {
        const m = JSON.parse(String(data));
        if (m.method === 'subscribe') onSubscribe(ws, m.params.token, n);
        if (m.method === 'ping') ws.send(JSON.stringify({ method: 'pong', req_id: m.req_id }));
      });
    });
    const { port } = wss.address() as { port: number };
    return {
      url: `ws://127.0.0.1:${port}`,
      close: () => new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
    };
  }

  const ack = JSON.stringify({ method: 'subscribe', result: { channel: 'executions' }, success: true });
  const update = (sequence: number) =>
    JSON.stringify({ channel: 'executions', type: 'update', sequence, data: [{ order_id: `O${sequence}`, exec_type: 'new', order_status: 'new', cl_ord_id: 'c' }] });

  async function until(probe: () => boolean): Promise<void> {
    const start = Date.now();
    while (!probe()) {
      if (Date.now() - start > 15_000) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('drops the link on a sequence gap and resubscribes with a fresh token', async () => {
    const tokens: string[] = [];
    const srv = await server((ws, token, n) => {
      tokens.push(token);
      ws.send(ack);
      ws.send(update(1));
      if (n === 1) ws.send(update(3));
    });
    const reports: string[] = [];
    const states: string[] = [];
    let issued = 0;
    const link = new KrakenExecutions({
      url: srv.url,
      fetchToken: async () => `token-${++issued}`,
      handlers: { onSnapshot: () => {}, onExecution: (r) => reports.push(r.orderId), onConnection: (s) => states.push(s) },
      backoffMinMs: 20,
      backoffMaxMs: 50,
    });
    link.start();
    await until(() => tokens.length === 2 && states.at(-1) === 'connected');
    expect(link.sequenceGaps).toBe(1);
    expect(link.reconnects).toBe(1);
    expect(tokens).toEqual(['token-1', 'token-2']);
    expect(states).toEqual(['connected', 'disconnected', 'connected']);
    expect(reports).toEqual(['O1', 'O1']);
    await link.stop();
    await srv.close();
  });

  it('holds the requests sent between holdWrites and releaseWrites, then sends them in one TCP write', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    const chunks: Buffer[] = [];
    const requests: string[] = [];
    wss.on('connection', (ws, request) => {
      request.socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      ws.on('message', (data) => {
        const m = JSON.parse(String(data));
        if (m.method === 'subscribe') ws.send(ack);
        else requests.push(m.method);
      });
    });
    const link = new KrakenExecutions({
      url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
      fetchToken: async () => 'token',
      handlers: { onSnapshot: () => {}, onExecution: () => {}, onConnection: () => {} },
    });
    link.start();
    await until(() => link.connection === 'connected');
    await new Promise((r) => setTimeout(r, 50));
    const before = chunks.length;
    link.holdWrites();
    expect(link.send(JSON.stringify({ method: 'cancel_order', req_id: 1 }))).toBe(true);
    expect(link.send(JSON.stringify({ method: 'add_order', req_id: 2 }))).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(chunks.length - before).toBe(0);
    link.releaseWrites();
    await until(() => requests.length === 2);
    expect(requests).toEqual(['cancel_order', 'add_order']);
    expect(chunks.length - before).toBe(1);
    await link.stop();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  it('reports a refused subscription with the venue reason and retries', async () => {
    let attempts = 0;
    const srv = await server((ws) => {
      attempts++;
      ws.send(attempts === 1 ? JSON.stringify({ method: 'subscribe', success: false, error: 'ESession:Invalid session' }) : ack);
    });
    const reasons: string[] = [];
    const link = new KrakenExecutions({
      url: srv.url,
      fetchToken: async () => 'tok',
      handlers: { onSnapshot: () => {}, onExecution: () => {}, onConnection: (s, reason) => reasons.push(`${s}: ${reason}`) },
      backoffMinMs: 20,
      backoffMaxMs: 50,
    });
    link.start();
    await until(() => link.connection === 'connected');
    expect(reasons[0]).toBe('connecting: executions subscribe refused: ESession:Invalid session');
    await link.stop();
    await srv.close();
  });

  it('keeps retrying with backoff, naming the reason, while no token can be had', async () => {
    const reasons: string[] = [];
    let calls = 0;
    const link = new KrakenExecutions({
      url: 'ws://127.0.0.1:1',
      fetchToken: async () => {
        calls++;
        throw new Error('EAPI:Invalid key');
      },
      handlers: { onSnapshot: () => {}, onExecution: () => {}, onConnection: (s, reason) => reasons.push(`${s}: ${reason}`) },
      backoffMinMs: 10,
      backoffMaxMs: 20,
    });
    link.start();
    await until(() => calls >= 3);
    await link.stop();
    expect(reasons[0]).toBe('connecting: no WebSocket token: EAPI:Invalid key');
  });
});
