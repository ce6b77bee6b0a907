import { listenOnLoopback } from '../../emulator/listenOnLoopback.ts';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SimMarketConfig } from '../../../node/configTypes.ts';
import { OrderType } from '../../../wasm/abi.ts';
import { EmulatorMarket } from '../../emulator/emulatorMarket.ts';
import { ServerOutage } from '../../emulator/serverOutage.ts';
import { answerLedgerRequest, LEDGER_PATH, VenueLedger } from '../../emulator/venueLedger.ts';
import type { VenueStatus } from '../../venue.ts';
import { KrakenPrivateWs } from './krakenPrivateWs.ts';
import { KrakenPublicFeed } from './krakenPublicFeed.ts';
import { type DeadManState, type KrakenApiCredentials, KrakenRestApi, type RestFaults, krakenPairFor, krakenStyleId, krakenTradeId, newWsToken } from './krakenRestApi.ts';

// A loopback Kraken: one http.Server serving the REST API (/0/public/*, /0/private/*), the
// public WebSocket v2 (/v2) and the private one (/auth/v2), over one EmulatorMarket, so the
// real adapter runs against it by URL. Faults are methods for tests and, for a harness in
// another process, POST /_emulator/fault {"fault": ...}.

export interface KrakenEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The only API key the private endpoints accept. */
  credentials: KrakenApiCredentials;
  /** Default 1. */
  seed?: number;
  /** Default BTC/USD at 60000.0 (tick 0.1) and ETH/USD at 3000.00 (tick 0.01). */
  markets?: SimMarketConfig[];
  /** Path of a v1 capture the public feed replays instead of the live market. */
  replay?: string;
  /** The market's synthetic flow step; default 50. */
  tickIntervalMs?: number;
  /** Private channel heartbeat; default 1000. */
  heartbeatMs?: number;
  /** Timing hooks for a latency harness in this process; nothing is timed without one. */
  probe?: KrakenEmulatorProbe;
}

/** Times on performance.now() in ns, the emulator's clock. */
export interface KrakenEmulatorProbe {
  /** A book update frame of `symbol` is about to be written to its subscribers. */
  frameWritten(symbol: string, atNs: number): void;
  /**
   * An order for `symbol` that arrived at `arrivedNs` passed authentication: a REST AddOrder
   * (arrived: its headers read, its body not yet) or a WebSocket add_order (arrived: its
   * message event).
   */
  orderReceived(symbol: string, clOrdId: string, arrivedNs: number): void;
  /** Any private REST request (`/0/private/<method>`: headers read, body not yet), or a WebSocket add_order or cancel_order (its message event), arrived. */
  privateRequestArrived(method: string, arrivedNs: number): void;
}

export interface KrakenEmulatorUrls {
  restUrl: string;
  wsUrl: string;
  wsAuthUrl: string;
}

export type KrakenFault =
  | { fault: 'dropConnections' }
  | { fault: 'corruptNextChecksum'; symbol?: string }
  | { fault: 'pauseFeed'; paused: boolean }
  | { fault: 'setStatus'; status: VenueStatus }
  | { fault: 'delayOrderAcks'; ms: number }
  | { fault: 'loseNextOrderAck' }
  | { fault: 'rateLimitNext'; n: number }
  | { fault: 'holdPrivateLinks'; held: boolean }
  | { fault: 'fillResting'; id: string }
  | { fault: 'outage'; ms: number };

export const DEFAULT_KRAKEN_MARKETS: readonly SimMarketConfig[] = [
  { symbol: 'BTC/USD', startPrice1e9: 60_000_000_000_000, tickSize1e9: 100_000_000, lotSize1e8: 1, minQty1e8: 10_000 },
  { symbol: 'ETH/USD', startPrice1e9: 3_000_000_000_000, tickSize1e9: 10_000_000, lotSize1e8: 1, minQty1e8: 100_000 },
];

const PUBLIC_PATH = '/v2';
const PRIVATE_PATH = '/auth/v2';
const FAULT_PATH = '/_emulator/fault';
const PRIVATE_REST_PREFIX = '/0/private/';
const TOKEN_TTL_SEC = 900;
const MAX_TOKENS = 1_000;
const MAX_FAULT_BODY_BYTES = 4096;
/** Sweeps a fault's hidden counterparty may take to reach a resting order behind others at its price. */
const MAX_FILL_SWEEPS = 5;
const STATUSES: readonly VenueStatus[] = ['online', 'cancel_only', 'post_only', 'maintenance'];

export class KrakenEmulator {
  readonly market: EmulatorMarket;
  /** What the venue received and did, for a harness (GET /_emulator/ledger). */
  readonly ledger: VenueLedger;
  private readonly api: KrakenRestApi;
  private readonly publicFeed: KrakenPublicFeed;
  private readonly privateWs: KrakenPrivateWs;
  private readonly faults: RestFaults = { rateLimitRemaining: 0, loseNextOrderAck: false, orderAckDelayMs: 0 };
  private readonly tokens = new Map<string, number>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly server: Server;
  private readonly serverOutage: ServerOutage;
  private privateHeld = false;
  private started = false;
  private stopped = false;
  /** Routes asked for that the emulator does not serve, for a test to inspect. */
  readonly unknownRoutes: string[] = [];

  constructor(private readonly options: KrakenEmulatorOptions) {
    const markets = options.markets ?? [...DEFAULT_KRAKEN_MARKETS];
    const seed = options.seed ?? 1;
    this.market = new EmulatorMarket({
      name: 'kraken-emulator',
      seed,
      markets,
      tickIntervalMs: options.tickIntervalMs,
      makerFeeBps: 16,
      takerFeeBps: 26,
      orderIdFor: (n) => krakenStyleId('O', `order:${seed}:${n}`),
    });
    this.ledger = new VenueLedger({ venue: 'kraken', market: this.market, wireFillId: krakenTradeId });
    const pairs = this.market.symbols.map((s) => krakenPairFor(s, this.market.meta(s)));
    this.api = new KrakenRestApi({
      market: this.market,
      pairs,
      credentials: options.credentials,
      faults: this.faults,
      ledger: this.ledger,
      issueToken: () => this.issueToken(),
      onAddOrder: options.probe === undefined ? undefined : (symbol, clOrdId, arrivedNs) => options.probe!.orderReceived(symbol, clOrdId, arrivedNs),
      onUnknownRoute: (method, path) => {
        if (this.unknownRoutes.length < 100) this.unknownRoutes.push(`${method} ${path}`);
        console.error(`kraken emulator: no route for ${method} ${path}`);
      },
    });
    this.publicFeed = new KrakenPublicFeed({ market: this.market, replay: options.replay, onFrameWritten: options.probe === undefined ? undefined : (symbol, atNs) => options.probe!.frameWritten(symbol, atNs) });
    this.privateWs = new KrakenPrivateWs({
      market: this.market,
      api: this.api,
      tokenValid: (token) => this.tokenValid(token),
      heartbeatMs: options.heartbeatMs,
      onOrderRequest: options.probe === undefined ? undefined : (method, arrivedNs) => options.probe!.privateRequestArrived(method, arrivedNs),
    });
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.serverOutage = new ServerOutage(this.server, () => {
      this.publicFeed.dropConnections();
      this.privateWs.dropConnections();
    });
  }

  async start(): Promise<KrakenEmulatorUrls> {
    if (this.started) throw new Error('kraken emulator already started');
    this.started = true;
    await this.market.start();
    const host = this.options.host ?? '127.0.0.1';
    const port = await listenOnLoopback(this.server, this.options.port ?? 0, host);
    return { restUrl: `http://${host}:${port}`, wsUrl: `ws://${host}:${port}${PUBLIC_PATH}`, wsAuthUrl: `ws://${host}:${port}${PRIVATE_PATH}` };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.serverOutage.cancel();
    this.ledger.close();
    this.api.close();
    this.publicFeed.close();
    this.privateWs.close();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.market.stop();
  }

  /** Fault: public and private sockets die at once (HTTP is untouched). */
  dropConnections(): void {
    this.publicFeed.dropConnections();
    this.privateWs.dropConnections();
  }

  corruptNextChecksum(symbol?: string): void {
    this.publicFeed.corruptNextChecksum(symbol);
  }

  pauseFeed(paused: boolean): void {
    this.publicFeed.pause(paused);
  }

  /** The trading status: pushed on the public status channel and enforced on AddOrder. */
  setStatus(status: VenueStatus): void {
    if (!STATUSES.includes(status)) throw new RangeError(`unknown status "${String(status)}": expected one of ${STATUSES.join(', ')}`);
    this.market.setStatus(status);
    this.publicFeed.sendStatus(status);
  }

  /** AddOrder answers this many ms after placing the order; 0 restores prompt answers. */
  delayOrderAcks(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`delayOrderAcks needs ms >= 0, got ${ms}`);
    this.faults.orderAckDelayMs = ms;
  }

  /** The next order (AddOrder or add_order) is placed but its answer never comes (REST: the socket is closed; WebSocket: no message). */
  loseNextOrderAck(): void {
    this.faults.loseNextOrderAck = true;
  }

  /** The next n order calls (AddOrder, CancelOrder, or their WebSocket add_order, cancel_order) answer EOrder:Rate limit exceeded. */
  rateLimitNext(n: number): void {
    if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`rateLimitNext needs a whole n >= 0, got ${n}`);
    this.faults.rateLimitRemaining = n;
  }

  /** While held, private WebSocket connections are refused (HTTP 503), so a client stays disconnected. */
  holdPrivateLinks(held: boolean): void {
    this.privateHeld = held;
    if (held) this.privateWs.dropConnections();
  }

  /** Fills a resting order (by txid or cl_ord_id) completely, from a counterparty the account never sees. */
  async fillResting(id: string): Promise<void> {
    for (let sweep = 0; sweep < MAX_FILL_SWEEPS; sweep++) {
      const order = this.market.openOrders().find((o) => this.api.visible(o) && (o.venueOrderId === id || this.api.note(o.clientOrderId)?.clOrdId === id));
      if (order === undefined) {
        if (sweep > 0) return;
        throw new RangeError(`no open order "${id}" to fill`);
      }
      // The visible depth at or better than the order's price plus its remainder, so the
      // sweep reaches it whatever rests ahead of it; an IOC kills whatever is left over.
      const book = this.market.book(order.symbol);
      let qty1e8 = order.qty1e8 - order.filled1e8;
      const px = order.side === 1 ? book.bidPx : book.askPx;
      const sz = order.side === 1 ? book.bidSz : book.askSz;
      const count = order.side === 1 ? book.bidCount : book.askCount;
      for (let i = 0; i < count; i++) {
        const better = order.side === 1 ? (px[i] as number) >= order.px1e9 : (px[i] as number) <= order.px1e9;
        if (better) qty1e8 += sz[i] as number;
      }
      await this.api.placeHidden({ symbol: order.symbol, side: order.side === 1 ? -1 : 1, type: OrderType.Ioc, px1e9: order.px1e9, qty1e8 });
      if (order.status !== 'open') return;
    }
    throw new Error(`order "${id}" is still open after ${MAX_FILL_SWEEPS} sweeps`);
  }

  /** The contract rig's fault: the account's private link is down while its order fills, then comes back. */
  async fillWhileDisconnected(id: string): Promise<void> {
    this.holdPrivateLinks(true);
    this.publicFeed.dropConnections();
    try {
      await this.fillResting(id);
    } finally {
      this.holdPrivateLinks(false);
    }
  }

  /**
   * Fault: the venue is unreachable for `ms` (listener closed, every connection dropped,
   * new ones refused), then back on the same port with its orders as they are by then.
   * Resolves once it listens again.
   */
  outage(ms: number): Promise<void> {
    return this.serverOutage.run(ms);
  }

  /** The dead man's switch as the venue holds it. */
  deadMan(): Readonly<DeadManState> {
    return { ...this.api.deadMan };
  }

  /** Applies a fault described as data (the control endpoint's body); throws a RangeError naming what is wrong. */
  async applyFault(input: unknown): Promise<void> {
    if (typeof input !== 'object' || input === null) throw new RangeError('fault must be a JSON object like {"fault":"dropConnections"}');
    const f = input as Record<string, unknown>;
    switch (f.fault) {
      case 'dropConnections':
        return this.dropConnections();
      case 'corruptNextChecksum':
        if (f.symbol !== undefined && typeof f.symbol !== 'string') throw new RangeError('corruptNextChecksum: symbol must be a string');
        return this.corruptNextChecksum(f.symbol);
      case 'pauseFeed':
        if (typeof f.paused !== 'boolean') throw new RangeError('pauseFeed needs "paused": true|false');
        return this.pauseFeed(f.paused);
      case 'setStatus':
        return this.setStatus(f.status as VenueStatus);
      case 'delayOrderAcks':
        return this.delayOrderAcks(f.ms as number);
      case 'loseNextOrderAck':
        return this.loseNextOrderAck();
      case 'rateLimitNext':
        return this.rateLimitNext(f.n as number);
      case 'holdPrivateLinks':
        if (typeof f.held !== 'boolean') throw new RangeError('holdPrivateLinks needs "held": true|false');
        return this.holdPrivateLinks(f.held);
      case 'fillResting':
        if (typeof f.id !== 'string') throw new RangeError('fillResting needs "id": a txid or cl_ord_id');
        return this.fillResting(f.id);
      case 'outage':
        return this.outage(f.ms as number);
      default:
        throw new RangeError(
          `unknown fault ${JSON.stringify(f.fault)}: expected dropConnections, corruptNextChecksum, pauseFeed, setStatus, delayOrderAcks, loseNextOrderAck, rateLimitNext, holdPrivateLinks, fillResting or outage`,
        );
    }
  }

  private issueToken(): { token: string; expires: number } {
    const token = newWsToken();
    this.tokens.set(token, Date.now() + TOKEN_TTL_SEC * 1000);
    if (this.tokens.size > MAX_TOKENS) this.tokens.delete(this.tokens.keys().next().value as string);
    return { token, expires: TOKEN_TTL_SEC };
  }

  private tokenValid(token: string): boolean {
    const expiresMs = this.tokens.get(token);
    return expiresMs !== undefined && expiresMs > Date.now();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (path === FAULT_PATH && req.method === 'POST') {
      void this.onFaultRequest(req, res);
      return;
    }
    if (path === LEDGER_PATH && req.method === 'GET') return answerLedgerRequest(this.ledger, req, res);
    const probe = this.options.probe;
    const arrivedNs = probe === undefined ? 0 : performance.now() * 1e6;
    if (probe !== undefined && path.startsWith(PRIVATE_REST_PREFIX)) probe.privateRequestArrived(path.slice(PRIVATE_REST_PREFIX.length), arrivedNs);
    this.api.handle(req, res, path, arrivedNs).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: [`EGeneral:Internal error: ${(err as Error).message}`] }));
    });
  }

  private async onFaultRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let text = '';
    for await (const chunk of req) {
      text += String(chunk);
      if (text.length > MAX_FAULT_BODY_BYTES) return answer(413, { error: `fault body over ${MAX_FAULT_BODY_BYTES} bytes` });
    }
    try {
      const fault: unknown = JSON.parse(text);
      if (isOutage(fault)) {
        // Answered first: the outage cuts this very connection.
        const ms = this.serverOutage.check(fault.ms);
        res.once('finish', () => void this.outage(ms).catch((err: unknown) => console.error(`kraken emulator: outage failed: ${(err as Error).message}`)));
        answer(200, { ok: true });
        return;
      }
      await this.applyFault(fault);
      answer(200, { ok: true });
    } catch (err) {
      answer(400, { error: (err as Error).message });
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === PRIVATE_PATH && this.privateHeld) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    if (path !== PUBLIC_PATH && path !== PRIVATE_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (path === PUBLIC_PATH) this.publicFeed.accept(ws);
      else this.privateWs.accept(ws);
    });
  }
}

function isOutage(fault: unknown): fault is { fault: 'outage'; ms: unknown } {
  return typeof fault === 'object' && fault !== null && (fault as { fault?: unknown }).fault === 'outage';
}
