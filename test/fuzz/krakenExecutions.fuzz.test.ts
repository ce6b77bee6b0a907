import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { DecimalError } from '../../src/node/fixedPoint.ts';
import { ExecutionFrameError, executionReport, KrakenExecutions, quoteNumbers, type ExecutionReport } from '../../src/venues/kraken/krakenExecutions.ts';
import { waitFor } from './support/frameCapture.ts';
import { fuzzRuns, mutatedJson, mutatedText } from './support/mutations.ts';

// Kraken `executions` reports from a stranger: every data entry becomes an execution
// report with integer quantities, or an ExecutionFrameError / DecimalError the link counts;
// and the link survives any frame, reading the next good report after it.

const TRADE =
  '{"order_id":"OAAAAA-BBBBB-CCCCCC","exec_id":"TAAAAA-BBBBB-CCCCCC","exec_type":"trade","order_status":"filled","cl_ord_id":"abc","symbol":"BTC/USD","last_qty":0.00100000,"last_price":60000.1,"liquidity_ind":"m","fees":[{"asset":"USD","qty":0.09600016}],"timestamp":"2024-01-02T03:04:05.123456Z"}';
const NEW = '{"order_id":"OAAAAA-BBBBB-DDDDDD","exec_type":"new","order_status":"new","cl_ord_id":"abd","symbol":"BTC/USD","timestamp":"2024-01-02T03:04:05.123456Z"}';
const FRAMES = [`{"channel":"executions","type":"update","data":[${TRADE}],"sequence":2}`, `{"channel":"executions","type":"snapshot","data":[${NEW},${TRADE}],"sequence":1}`];

function expectReportOrNamedError(entry: unknown): void {
  let report: ExecutionReport;
  try {
    report = executionReport(entry as Record<string, unknown>);
  } catch (error) {
    expect(error instanceof ExecutionFrameError || error instanceof DecimalError).toBe(true);
    return;
  }
  expect(report.orderId.length).toBeGreaterThan(0);
  for (const n of [report.lastQty1e8, report.lastPx1e9, report.fee1e9]) expect(Number.isInteger(n)).toBe(true);
}

describe('Kraken execution reports from a stranger', () => {
  it('every data entry of any frame becomes a report with integer amounts or a named error', () => {
    const anyFrame = fc.oneof(fc.string({ unit: 'binary', maxLength: 150 }), mutatedText(FRAMES), mutatedJson(FRAMES.map((f) => JSON.parse(quoteNumbers(f)) as unknown)));
    fc.assert(
      fc.property(anyFrame, (text) => {
        let frame: unknown;
        try {
          frame = JSON.parse(quoteNumbers(text));
        } catch {
          return;
        }
        const data = typeof frame === 'object' && frame !== null ? (frame as { data?: unknown }).data : undefined;
        if (Array.isArray(data)) for (const entry of data) expectReportOrNamedError(entry);
        else expectReportOrNamedError(frame);
      }),
      fuzzRuns(500),
    );
  });

  it('an entry or a fee that is null is an ExecutionFrameError (shrunk counterexamples)', () => {
    expect(() => executionReport(null as unknown as Record<string, unknown>)).toThrow(ExecutionFrameError);
    expect(() => executionReport({ order_id: 'O1', fees: [null] })).toThrow(/fees entry is not an object/);
  });

  it('the link counts frames that are JSON but no report, and reads the next good report', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const request = JSON.parse(String(data)) as { method: string };
        if (request.method !== 'subscribe') return;
        ws.send(JSON.stringify({ method: 'subscribe', result: { channel: 'executions' }, success: true }));
        ws.send('null');
        ws.send('[1,2]');
        ws.send(`{"channel":"executions","type":"update","data":[null,{"order_id":"O1","fees":[null]},${TRADE}]}`);
      });
    });
    const reports: ExecutionReport[] = [];
    const link = new KrakenExecutions({
      url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
      fetchToken: async () => 'token',
      handlers: { onSnapshot: () => undefined, onExecution: (report) => reports.push(report), onConnection: () => undefined },
    });
    link.start();
    try {
      await waitFor(() => reports.length > 0, 'the good report after the hostile frames');
      expect(reports[0]).toMatchObject({ orderId: 'OAAAAA-BBBBB-CCCCCC', lastQty1e8: 100_000 });
      expect(link.badFrames).toBe(4);
      expect(link.connection).toBe('connected');
    } finally {
      await link.stop();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
