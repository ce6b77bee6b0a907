import { RejectCode } from '../../wasm/abi.ts';
import type { AddOrderRequest, GatewayFailure, GatewayResult } from './krakenGateway.ts';

// Kraken order entry over the private WebSocket (WS v2 `add_order`, `cancel_order` on
// ws-auth): one text frame out, one answer back, matched by req_id. No HTTP round trip, no
// signing and no nonce, so requests need not wait for each other: a replace's cancel and
// its new order leave back to back. The request text is built by hand so each decimal goes
// out exactly as the node formatted it (Kraken takes JSON numbers here; a float would
// round them). Answers arrive as frames the private link already parsed with numbers kept
// as text. An answer that does not come within the timeout, or a link that drops first,
// leaves the request's fate unknown (unknownOutcome), as a lost REST answer does, and the
// venue settles it from the executions channel or by asking.

export interface KrakenWsOrdersOptions {
  /** Sends one text frame on the private link; false when the link is not up. */
  send(text: string): boolean;
  /** The private link's current token (every trading request carries it). */
  token(): string;
  /** Maps Kraken's error text ("EOrder:Rate limit exceeded") to a failure, as for REST. */
  failureFor(errorText: string): GatewayFailure;
  /** An answer later than this counts as lost; default 10,000. */
  timeoutMs?: number;
  /** Requests awaiting answers before new ones are refused; default 256. */
  maxPending?: number;
}

type Settle = (result: GatewayResult<unknown>) => void;

interface Pending {
  method: 'add_order' | 'cancel_order';
  settle: Settle;
  sentMs: number;
}

/** A decimal as the node formats it: the only number text spliced into a request. */
const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

export class KrakenWsOrders {
  private readonly pending = new Map<number, Pending>();
  private readonly timeoutMs: number;
  private readonly maxPending: number;
  private reqId = 0;
  /** Settles requests past the timeout; runs from construction to close(), so no timer is made per request. */
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly options: KrakenWsOrdersOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxPending = options.maxPending ?? 256;
    this.sweep = setInterval(() => this.expire(), Math.min(1000, this.timeoutMs)).unref();
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** add_order; the answer's order_id (Kraken's txid) on success. */
  addOrder(request: AddOrderRequest): Promise<GatewayResult<string>> {
    if (!DECIMAL.test(request.volume) || (request.kind !== 'market' && !DECIMAL.test(request.price))) {
      return Promise.resolve(refused(RejectCode.InvalidParams, `not a decimal: price "${request.price}", volume "${request.volume}"`));
    }
    const reqId = this.nextReqId();
    let params = `"order_type":"${request.kind === 'market' ? 'market' : 'limit'}","side":"${request.side === 1 ? 'buy' : 'sell'}","order_qty":${request.volume},"symbol":${JSON.stringify(request.symbol)}`;
    if (request.kind !== 'market') params += `,"limit_price":${request.price}`;
    if (request.kind === 'ioc') params += ',"time_in_force":"ioc"';
    if (request.kind === 'post') params += ',"post_only":true';
    params += `,"cl_ord_id":${JSON.stringify(request.clOrdId)},"token":${JSON.stringify(this.options.token())}`;
    return this.request('add_order', reqId, `{"method":"add_order","params":{${params}},"req_id":${reqId}}`) as Promise<GatewayResult<string>>;
  }

  /** cancel_order by cl_ord_id; 1 (the orders cancelled) on success. */
  cancelByClientId(clOrdId: string): Promise<GatewayResult<number>> {
    const reqId = this.nextReqId();
    const text = `{"method":"cancel_order","params":{"cl_ord_id":[${JSON.stringify(clOrdId)}],"token":${JSON.stringify(this.options.token())}},"req_id":${reqId}}`;
    return this.request('cancel_order', reqId, text) as Promise<GatewayResult<number>>;
  }

  /**
   * An add_order or cancel_order answer from the private link (parsed, numbers as text).
   * One with no request waiting (answered after its timeout, or not ours) is ignored.
   */
  onAnswer(frame: Record<string, unknown>): void {
    const reqId = Number(frame.req_id);
    const waiting = this.pending.get(reqId);
    if (waiting === undefined || waiting.method !== frame.method) return;
    this.pending.delete(reqId);
    if (frame.success !== true) {
      waiting.settle(this.options.failureFor(typeof frame.error === 'string' && frame.error !== '' ? frame.error : `${waiting.method} refused without a reason`));
      return;
    }
    if (waiting.method === 'cancel_order') return waiting.settle({ ok: true, value: 1 });
    const result = frame.result as Record<string, unknown> | undefined;
    const orderId = result?.order_id;
    if (typeof orderId !== 'string' || orderId === '') {
      waiting.settle(refused(RejectCode.Unknown, 'add_order answer has no order_id'));
      return;
    }
    waiting.settle({ ok: true, value: orderId });
  }

  /** The private link dropped: every request waiting may or may not have been acted on. */
  linkLost(reason: string): void {
    this.failAll(`private link lost before the answer: ${reason}`);
  }

  close(): void {
    clearInterval(this.sweep);
    this.failAll('order entry stopped before the answer');
  }

  private request(method: Pending['method'], reqId: number, text: string): Promise<GatewayResult<unknown>> {
    if (this.pending.size >= this.maxPending) {
      return Promise.resolve(refused(RejectCode.ExchangeBusy, `Kraken WebSocket order entry has ${this.maxPending} requests awaiting answers`));
    }
    if (!this.options.send(text)) return Promise.resolve(refused(RejectCode.Network, 'Kraken private link is not up; nothing was sent'));
    return new Promise((settle) => this.pending.set(reqId, { method, settle, sentMs: performance.now() }));
  }

  /** Requests past the timeout are settled as lost. */
  private expire(): void {
    const now = performance.now();
    for (const [reqId, waiting] of this.pending) {
      if (now - waiting.sentMs < this.timeoutMs) continue;
      this.pending.delete(reqId);
      waiting.settle(lost(`no ${waiting.method} answer within ${this.timeoutMs} ms`));
    }
  }

  private failAll(reason: string): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.settle(lost(reason));
  }

  private nextReqId(): number {
    this.reqId = this.reqId >= 2_147_483_647 ? 1 : this.reqId + 1;
    return this.reqId;
  }
}

function refused(code: RejectCode, reason: string): GatewayFailure {
  return { ok: false, code, reason, unknownOutcome: false, rateLimited: false };
}

function lost(reason: string): GatewayFailure {
  return { ok: false, code: RejectCode.Network, reason, unknownOutcome: true, rateLimited: false };
}
