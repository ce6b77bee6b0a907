import { listenOnLoopback } from '../../emulator/listenOnLoopback.ts';
import { createPublicKey } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { SimMarketConfig } from '../../../node/configTypes.ts';
import { OrderType } from '../../../wasm/abi.ts';
import { EmulatorMarket } from '../../emulator/emulatorMarket.ts';
import { ServerOutage } from '../../emulator/serverOutage.ts';
import { answerLedgerRequest, LEDGER_PATH, VenueLedger } from '../../emulator/venueLedger.ts';
import { CoinbasePublicFeed } from './coinbasePublicFeed.ts';
import { CoinbaseRestApi, emulatorUuid, type RestFaults } from './coinbaseRestApi.ts';
import { CoinbaseUserChannel } from './coinbaseUserChannel.ts';

// A Coinbase Advanced Trade stand-in on loopback for tests and dry runs: one HTTP server
// carrying the REST API (/api/v3/brokerage/*, plus the v2 endpoints ccxt's loadMarkets
// reads), the market-data WebSocket (path /) and the user-data WebSocket (path /user),
// all answered from one EmulatorMarket so an order placed over REST rests in the public
// book and reports on the user channel. Faults are methods, and also POST /_emulator/fault
// with {"fault": name, ...} for a process that only has the URL.

export interface CoinbaseEmulatorCredentials {
  /** The key name the emulator accepts (organizations/{org}/apiKeys/{id}). */
  keyName: string;
  /** The key's public PEM, or its private PEM (the public half is taken from it). */
  keyPem: string;
}

export interface CoinbaseEmulatorOptions {
  credentials: CoinbaseEmulatorCredentials;
  /** Default 0: any free port. */
  port?: number;
  host?: string;
  seed?: number;
  markets?: SimMarketConfig[];
  /** The synthetic flow's step; default 50. */
  tickIntervalMs?: number;
  heartbeatIntervalMs?: number;
}

export interface CoinbaseEmulatorUrls {
  restUrl: string;
  wsUrl: string;
  wsUserUrl: string;
}

const PX = 1_000_000_000;

export const DEFAULT_COINBASE_MARKETS: readonly SimMarketConfig[] = [
  { symbol: 'BTC/USD', startPrice1e9: 60_000 * PX, tickSize1e9: PX / 100, lotSize1e8: 1, minQty1e8: 1 },
  { symbol: 'ETH/USD', startPrice1e9: 3_000 * PX, tickSize1e9: PX / 100, lotSize1e8: 1, minQty1e8: 1 },
];

/** Request bodies larger than this are refused; an order is a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;
/** Crossing attempts fillWhileDisconnected makes before giving up (others may rest ahead of the order). */
const MAX_CROSSING_ATTEMPTS = 5;

export class CoinbaseEmulatorError extends Error {}

export class CoinbaseEmulator {
  readonly market: EmulatorMarket;
  /** What the venue received and did, for a harness (GET /_emulator/ledger). */
  readonly ledger: VenueLedger;
  private readonly faults: RestFaults = { orderAckDelayMs: 0, loseNextOrderAck: false, rateLimitNext: 0 };
  private readonly rest: CoinbaseRestApi;
  private readonly userChannel: CoinbaseUserChannel;
  private readonly publicFeed: CoinbasePublicFeed;
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<Socket>();
  private readonly serverOutage: ServerOutage;
  /** While set, user-channel connections are refused (a fill happens while the user is away). */
  private userRefused = false;
  private started = false;

  constructor(private readonly options: CoinbaseEmulatorOptions) {
    let publicKey;
    try {
      publicKey = createPublicKey(options.credentials.keyPem);
    } catch {
      throw new CoinbaseEmulatorError('coinbase emulator: credentials.keyPem is not a readable PEM key');
    }
    const seed = options.seed ?? 1;
    const auth = { keyName: options.credentials.keyName, publicKey };
    this.market = new EmulatorMarket({
      name: 'coinbase-emu',
      seed,
      markets: [...(options.markets ?? DEFAULT_COINBASE_MARKETS)],
      tickIntervalMs: options.tickIntervalMs,
      makerFeeBps: 40,
      takerFeeBps: 60,
      orderIdFor: (n) => emulatorUuid(seed, `order:${n}`),
    });
    this.ledger = new VenueLedger({ venue: 'coinbase', market: this.market, wireFillId: (fill) => emulatorUuid(seed, `trade:${fill.fillId}`) });
    this.rest = new CoinbaseRestApi(this.market, auth, this.faults, seed, this.ledger);
    this.userChannel = new CoinbaseUserChannel(this.market, auth, () => this.market.openOrders(), { heartbeatIntervalMs: options.heartbeatIntervalMs });
    this.publicFeed = new CoinbasePublicFeed(this.market, { heartbeatIntervalMs: options.heartbeatIntervalMs });
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket as Socket, head));
    this.serverOutage = new ServerOutage(this.server, () => {
      for (const socket of this.sockets) socket.destroy();
      this.publicFeed.dropConnections();
      this.userChannel.dropConnections();
    });
  }

  async start(): Promise<CoinbaseEmulatorUrls> {
    if (this.started) throw new CoinbaseEmulatorError('coinbase emulator is already started');
    this.started = true;
    await this.market.start();
    const host = this.options.host ?? '127.0.0.1';
    const port = await listenOnLoopback(this.server, this.options.port ?? 0, host);
    return { restUrl: `http://${host}:${port}`, wsUrl: `ws://${host}:${port}/`, wsUserUrl: `ws://${host}:${port}/user` };
  }

  async stop(): Promise<void> {
    this.serverOutage.cancel();
    this.ledger.close();
    this.rest.close();
    this.userChannel.close();
    this.publicFeed.close();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.wss.close();
    await this.market.stop();
  }

  /** How many requests reached "METHOD /path" (query excluded). */
  requestCount(route: string): number {
    return this.rest.requestCounts.get(route) ?? 0;
  }

  /** Requests no route answered (each also got a 404 naming it). */
  get unknownRoutes(): readonly string[] {
    return this.rest.unknownRoutes;
  }

  // ---- faults ----

  /** Every WebSocket (market data and user) is cut at once. */
  dropConnections(): void {
    this.publicFeed.dropConnections();
    this.userChannel.dropConnections();
  }

  /** The next frame on every current socket skips one sequence number. */
  skipSequence(): void {
    this.publicFeed.skipSequence();
    this.userChannel.skipSequence();
  }

  pauseFeed(paused: boolean): void {
    this.publicFeed.pause(paused);
  }

  /** The user channel never publishes the next order change (sequence numbers stay contiguous). */
  loseNextOrderUpdate(): void {
    this.userChannel.loseNextOrderUpdate();
  }

  /** Order answers wait `ms` after the order is placed (0 turns it off). */
  delayOrderAcks(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new CoinbaseEmulatorError(`delayOrderAcks needs a duration >= 0 ms, got ${ms}`);
    this.faults.orderAckDelayMs = ms;
  }

  /** The next order is placed, but its HTTP answer never comes. */
  loseNextOrderAck(): void {
    this.faults.loseNextOrderAck = true;
  }

  /** The next n authenticated requests get HTTP 429 with Coinbase's body and x-ratelimit-* headers. */
  rateLimitNext(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new CoinbaseEmulatorError(`rateLimitNext needs a whole count >= 0, got ${n}`);
    this.faults.rateLimitNext = n;
  }

  /**
   * Cuts the user channel, fills the resting order `clientOrderId` completely by crossing
   * it with the emulator's own IOC orders, and only then lets user connections back in:
   * the client misses the fill live and has to find it by reconciling.
   */
  async fillWhileDisconnected(clientOrderId: string): Promise<void> {
    const order = this.market.order(clientOrderId);
    if (order === undefined || order.status !== 'open') throw new CoinbaseEmulatorError(`fillWhileDisconnected: no open order with client_order_id "${clientOrderId}"`);
    this.userRefused = true;
    this.userChannel.dropConnections();
    try {
      for (let attempt = 0; attempt < MAX_CROSSING_ATTEMPTS && order.status === 'open'; attempt++) {
        await this.market.place({ clientOrderId: '', symbol: order.symbol, side: order.side === 1 ? -1 : 1, type: OrderType.Ioc, px1e9: order.px1e9, qty1e8: this.liquidityAhead(order.symbol, order.side, order.px1e9) + order.qty1e8 - order.filled1e8 });
      }
      if (order.status === 'open') throw new CoinbaseEmulatorError(`fillWhileDisconnected: order "${clientOrderId}" is still open after ${MAX_CROSSING_ATTEMPTS} crossing orders`);
    } finally {
      this.userRefused = false;
    }
  }

  /**
   * The venue is unreachable for `ms` (listener closed, every connection dropped, new ones
   * refused), then back on the same port with its orders as they are by then. Resolves once
   * it listens again.
   */
  async outage(ms: number): Promise<void> {
    try {
      await this.serverOutage.run(ms);
    } catch (err) {
      if (err instanceof RangeError) throw new CoinbaseEmulatorError(err.message);
      throw err;
    }
  }

  /** Visible quantity on the order's own side at prices better than `px1e9`: what a crossing order meets first. */
  private liquidityAhead(symbol: string, side: 1 | -1, px1e9: number): number {
    const book = this.market.book(symbol);
    let total = 0;
    if (side === 1) {
      for (let i = 0; i < book.bidCount; i++) if (book.bidPx[i] > px1e9) total += book.bidSz[i];
    } else {
      for (let i = 0; i < book.askCount; i++) if (book.askPx[i] < px1e9) total += book.askSz[i];
    }
    return total;
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://emulator').pathname;
    if (path === '/user' && this.userRefused) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    if (path !== '/' && path !== '/user') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => (path === '/user' ? this.userChannel.accept(ws) : this.publicFeed.accept(ws)));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ error: 'INVALID_ARGUMENT', message: `request body over ${MAX_BODY_BYTES} bytes` }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://emulator').pathname;
      if (req.method === 'GET' && path === LEDGER_PATH) return answerLedgerRequest(this.ledger, req, res);
      const answer = req.method === 'POST' && path === '/_emulator/fault' ? this.faultRequest(body, res) : this.rest.handle(req, res, body);
      Promise.resolve(answer).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'INTERNAL', message: `coinbase emulator: ${(err as Error).message}` }));
      });
    });
  }

  private async faultRequest(body: string, res: ServerResponse): Promise<void> {
    const reply = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    let fault: Record<string, unknown>;
    try {
      fault = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return reply(400, { error: 'the fault request body is not JSON' });
    }
    try {
      switch (fault.fault) {
        case 'dropConnections':
          this.dropConnections();
          break;
        case 'skipSequence':
          this.skipSequence();
          break;
        case 'pauseFeed':
          this.pauseFeed(fault.paused !== false);
          break;
        case 'loseNextOrderUpdate':
          this.loseNextOrderUpdate();
          break;
        case 'delayOrderAcks':
          this.delayOrderAcks(Number(fault.ms));
          break;
        case 'loseNextOrderAck':
          this.loseNextOrderAck();
          break;
        case 'rateLimitNext':
          this.rateLimitNext(Number(fault.n));
          break;
        case 'fillWhileDisconnected':
          await this.fillWhileDisconnected(String(fault.clientOrderId));
          break;
        case 'outage': {
          // Answered first: the outage cuts this very connection.
          let ms: number;
          try {
            ms = this.serverOutage.check(fault.ms);
          } catch (err) {
            throw new CoinbaseEmulatorError((err as Error).message);
          }
          res.once('finish', () => void this.outage(ms).catch((err: unknown) => console.error(`coinbase emulator: outage failed: ${(err as Error).message}`)));
          break;
        }
        default:
          return reply(400, {
            error: `unknown fault ${JSON.stringify(fault.fault)}: one of dropConnections, skipSequence, pauseFeed, loseNextOrderUpdate, delayOrderAcks, loseNextOrderAck, rateLimitNext, fillWhileDisconnected, outage`,
          });
      }
    } catch (err) {
      if (err instanceof CoinbaseEmulatorError) return reply(400, { error: err.message });
      throw err;
    }
    reply(200, { ok: true });
  }
}
