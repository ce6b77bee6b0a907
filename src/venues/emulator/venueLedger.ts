import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatedFill, EmulatorMarket } from './emulatorMarket.ts';

// What a venue emulator received and did, for a harness that checks a node against the
// venue (the soak's invariants): every order request as it arrived (its client order id
// as sent on the wire, when, placed or refused and why, the venue order id), every fill of
// the account's orders under the fill id the account sees, every cancel request, and the
// resends a venue answers without placing anything. Entries are numbered in the order they
// happened, so a reader can fetch only what is new; the oldest go first past the bound,
// and are counted.
//
// Client order ids are kept as the wire carried them: Coinbase's client_order_id is the
// node's own id, Kraken's cl_ord_id is a UUID hashed from it (krakenClientId.ts), which
// only a reader that knows the node's ids can map back.

export type LedgerOrderOutcome = 'pending' | 'placed' | 'refused' | 'resend';

/** One order request (AddOrder, POST /orders). */
export interface LedgerOrder {
  kind: 'order';
  seq: number;
  /** As sent on the wire; '' when the request carried none. */
  clientOrderId: string;
  /** Wall ms (Date.now) when the request reached the venue. */
  receivedMs: number;
  /** The request's market, side, price and size as the wire carried them ('' when absent). */
  symbol: string;
  side: string;
  px: string;
  qty: string;
  /**
   * placed: a new order exists at the venue (it may have filled or died at once); refused:
   * no order was made; resend: the id named an order the venue already had, and no new one
   * was made (Coinbase answers with that order, Kraken refuses a duplicate open cl_ord_id).
   * pending: still being decided when the snapshot was taken.
   */
  outcome: LedgerOrderOutcome;
  reason: string;
  /** The venue's order id when placed (or the existing one, for a resend); '' otherwise. */
  venueOrderId: string;
  /** Wall ms of the decision; 0 while pending. */
  decidedMs: number;
}

/** One fill of one of the account's orders. */
export interface LedgerFill {
  kind: 'fill';
  seq: number;
  /** The id the account sees for this fill (Kraken trade id, Coinbase trade_id). */
  fillId: string;
  /** The order's client order id as placed (wire form). */
  clientOrderId: string;
  venueOrderId: string;
  /** Node form, BASE/QUOTE. */
  symbol: string;
  side: 'buy' | 'sell';
  px1e9: number;
  qty1e8: number;
  fee1e9: number;
  liquidity: 'maker' | 'taker';
  /** Wall ms of the fill at the venue. */
  tsMs: number;
}

/** One cancel request for one order. */
export interface LedgerCancel {
  kind: 'cancel';
  seq: number;
  /** The order's client order id (wire form) when the venue knew the order, else the id as given. */
  clientOrderId: string;
  venueOrderId: string;
  receivedMs: number;
  outcome: 'canceled' | 'refused';
  reason: string;
}

export type LedgerEntry = LedgerOrder | LedgerFill | LedgerCancel;

export interface LedgerSnapshot {
  venue: string;
  /** Wall ms when the snapshot was taken. */
  atMs: number;
  /** The highest seq given out so far (0 before any entry). */
  lastSeq: number;
  orders: LedgerOrder[];
  fills: LedgerFill[];
  cancels: LedgerCancel[];
  /** Order requests answered as resends, over the ledger's whole life. */
  resends: number;
  /** Entries forgotten to stay within the bound, over the ledger's whole life. */
  dropped: number;
}

export interface VenueLedgerOptions {
  venue: string;
  market: EmulatorMarket;
  /** The fill id the account sees for a market fill. */
  wireFillId(fill: EmulatedFill): string;
  /** Entries kept (orders, fills and cancels together); default 1,000,000. */
  capacity?: number;
}

export interface WireOrderRequest {
  symbol: string;
  side: string;
  px: string;
  qty: string;
}

export const DEFAULT_LEDGER_CAPACITY = 1_000_000;
/** Dropped slots at the front are reclaimed once there are this many (and they are the larger part). */
const COMPACT_AFTER = 65_536;

export class VenueLedger {
  readonly venue: string;
  readonly capacity: number;
  private entries: (LedgerEntry | undefined)[] = [];
  private head = 0;
  private seq = 0;
  private resendCount = 0;
  private droppedCount = 0;
  /** The market's client order id of each account order -> its wire client order id, so its fills are recorded. */
  private readonly accountOrders = new Map<string, string>();
  private readonly unsubscribe: () => void;

  constructor(private readonly options: VenueLedgerOptions) {
    this.venue = options.venue;
    this.capacity = options.capacity ?? DEFAULT_LEDGER_CAPACITY;
    if (!(Number.isSafeInteger(this.capacity) && this.capacity >= 1)) throw new RangeError(`ledger capacity must be a whole number >= 1, got ${this.capacity}`);
    this.unsubscribe = options.market.subscribe({ onOrder: (_order, fill) => (fill === null ? undefined : this.onFill(fill)) });
  }

  close(): void {
    this.unsubscribe();
  }

  /** An order request arrived; decide it with bind/placed/refused/resent. */
  receive(clientOrderId: string, request: WireOrderRequest): LedgerOrder {
    const entry: LedgerOrder = { kind: 'order', seq: 0, clientOrderId, receivedMs: Date.now(), ...request, outcome: 'pending', reason: '', venueOrderId: '', decidedMs: 0 };
    this.push(entry);
    return entry;
  }

  /** The market's client order id the request is placed under: fills of that order are the account's. Call before placing. */
  bind(entry: LedgerOrder | undefined, marketClientOrderId: string): void {
    if (entry === undefined) return;
    this.accountOrders.delete(marketClientOrderId);
    this.accountOrders.set(marketClientOrderId, entry.clientOrderId);
    if (this.accountOrders.size > this.capacity) this.accountOrders.delete(this.accountOrders.keys().next().value as string);
  }

  placed(entry: LedgerOrder | undefined, venueOrderId: string): void {
    this.decide(entry, 'placed', '', venueOrderId);
  }

  /** A decision is final: a refusal after the entry was decided (an error thrown past it) changes nothing. */
  refused(entry: LedgerOrder | undefined, reason: string): void {
    this.decide(entry, 'refused', reason, '');
  }

  resent(entry: LedgerOrder | undefined, venueOrderId: string, reason: string): void {
    if (entry === undefined || entry.outcome !== 'pending') return;
    this.resendCount++;
    this.decide(entry, 'resend', reason, venueOrderId);
  }

  cancel(clientOrderId: string, venueOrderId: string, outcome: LedgerCancel['outcome'], reason: string): void {
    this.push({ kind: 'cancel', seq: 0, clientOrderId, venueOrderId, receivedMs: Date.now(), outcome, reason });
  }

  /** Entries after `sinceSeq` (all by default), split by kind, oldest first. */
  snapshot(sinceSeq = 0): LedgerSnapshot {
    const snapshot: LedgerSnapshot = { venue: this.venue, atMs: Date.now(), lastSeq: this.seq, orders: [], fills: [], cancels: [], resends: this.resendCount, dropped: this.droppedCount };
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i] as LedgerEntry;
      if (entry.seq <= sinceSeq) continue;
      if (entry.kind === 'order') snapshot.orders.push({ ...entry });
      else if (entry.kind === 'fill') snapshot.fills.push(entry);
      else snapshot.cancels.push(entry);
    }
    return snapshot;
  }

  private decide(entry: LedgerOrder | undefined, outcome: LedgerOrderOutcome, reason: string, venueOrderId: string): void {
    if (entry === undefined || entry.outcome !== 'pending') return;
    entry.outcome = outcome;
    entry.reason = reason;
    entry.venueOrderId = venueOrderId;
    entry.decidedMs = Date.now();
  }

  private onFill(fill: EmulatedFill): void {
    const clientOrderId = this.accountOrders.get(fill.clientOrderId);
    if (clientOrderId === undefined) return;
    this.push({
      kind: 'fill',
      seq: 0,
      fillId: this.options.wireFillId(fill),
      clientOrderId,
      venueOrderId: fill.venueOrderId,
      symbol: fill.symbol,
      side: fill.side === 1 ? 'buy' : 'sell',
      px1e9: fill.px1e9,
      qty1e8: fill.qty1e8,
      fee1e9: fill.fee1e9,
      liquidity: fill.liquidity,
      tsMs: Math.floor(fill.tsNs / 1e6),
    });
  }

  private push(entry: LedgerEntry): void {
    entry.seq = ++this.seq;
    this.entries.push(entry);
    if (this.entries.length - this.head > this.capacity) {
      this.entries[this.head++] = undefined;
      this.droppedCount++;
      if (this.head >= COMPACT_AFTER && this.head * 2 >= this.entries.length) {
        this.entries = this.entries.slice(this.head);
        this.head = 0;
      }
    }
  }
}

export const LEDGER_PATH = '/_emulator/ledger';

/** Answers GET /_emulator/ledger[?since=<seq>] with the ledger's snapshot as JSON. */
export function answerLedgerRequest(ledger: VenueLedger, req: IncomingMessage, res: ServerResponse): void {
  const sinceText = new URL(req.url ?? '/', 'http://emulator').searchParams.get('since') ?? '0';
  const reply = (status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  if (!/^[0-9]{1,15}$/.test(sinceText)) return reply(400, { error: `since must be a whole number >= 0 (a ledger seq), got ${JSON.stringify(sinceText)}` });
  reply(200, ledger.snapshot(Number(sinceText)));
}

/** Reads an emulator's ledger from its REST URL (entries after `sinceSeq`, all by default). */
export async function fetchLedger(restUrl: string, sinceSeq = 0): Promise<LedgerSnapshot> {
  const url = `${restUrl.replace(/\/+$/, '')}${LEDGER_PATH}?since=${sinceSeq}`;
  const res = await fetch(url);
  const text = await res.text();
  if (!res.ok) throw new Error(`ledger at ${url}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`ledger at ${url}: the answer is not JSON: ${text.slice(0, 200)}`);
  }
  const s = value as Partial<LedgerSnapshot>;
  if (typeof s !== 'object' || s === null || !Array.isArray(s.orders) || !Array.isArray(s.fills) || !Array.isArray(s.cancels) || typeof s.dropped !== 'number' || typeof s.resends !== 'number') {
    throw new Error(`ledger at ${url}: the answer is not a ledger snapshot (orders, fills, cancels, resends, dropped): ${text.slice(0, 200)}`);
  }
  return s as LedgerSnapshot;
}
