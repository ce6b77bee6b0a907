import type { BlotterRow, BookLevelView, BookView, LogLineView, MeshMessageView, NodeView, ViewModel } from '../tui/viewModel.ts';
import type { Engine } from './engine.ts';
import { formatDecimalShort, PX_DECIMALS, QTY_DECIMALS } from './fixedPoint.ts';
import type { EventSink, NodeEvent } from './nodeEvent.ts';
import type { TradingMessage } from './tradingMessage.ts';

/** Rows kept for the blotter, the log pane and recent mesh messages. */
export const VIEW_ROWS = 200;
const BOOK_LEVELS_SHOWN = 10;
const MID_HISTORY = 60;
const px = (v: number) => formatDecimalShort(v, PX_DECIMALS);
const qty = (v: number) => formatDecimalShort(v, QTY_DECIMALS);

/** What the node knows about itself beyond the engine: role, lease and journal. */
export type NodeInfo = () => Omit<NodeView, 'phase' | 'uptimeS' | 'id'>;

/**
 * Builds the UI's view model. As an event sink it keeps the recent rows the panes show
 * (bounded rings); `snapshot()` reads the engine's current state into a plain object.
 * The node calls it on a ~30 Hz timer, never from the trading path.
 */
export class ViewPublisher implements EventSink {
  /** The newest trading messages the blotter shows, formatted only when a snapshot is built. */
  private readonly blotter: { tsMs: number; message: TradingMessage; row?: BlotterRow }[] = [];
  private readonly logs: LogLineView[] = [];
  private readonly meshRecent: MeshMessageView[] = [];
  private readonly mids = new Map<string, number[]>();
  private readonly shown = new Map<string, { bids: ShownSide; asks: ShownSide }>();
  private readonly labelOf = new Map<string, string>();
  private readonly startedMs = Date.now();

  constructor(
    private readonly engine: Engine,
    private readonly nodeInfo: NodeInfo,
  ) {}

  emit(event: NodeEvent): void {
    if (event.type === 'log') push(this.logs, { tsMs: Date.now(), label: String(event.label), level: Number(event.level), line: String(event.line) });
  }

  /** Keeps the message as it is: the text the blotter shows is made when a snapshot is built, off the trading path. */
  trading(m: TradingMessage): void {
    if (m.kind === 'order' || m.kind === 'fill' || m.kind === 'reject' || m.kind === 'nodeReject' || m.kind === 'canceled') push(this.blotter, { tsMs: Date.now(), message: m });
    else if (m.kind === 'mesh') push(this.meshRecent, { tsMs: Date.now(), from: m.from, to: m.to, bytes: m.payload.length });
  }

  private blotterRow(tsMs: number, m: TradingMessage): BlotterRow {
    switch (m.kind) {
      case 'order':
        this.labelOf.set(m.clientOrderId, m.label);
        if (this.labelOf.size > 4 * VIEW_ROWS) this.labelOf.delete(this.labelOf.keys().next().value as string);
        return { tsMs, label: m.label, kind: 'order', text: `${m.side === 1 ? 'BUY ' : 'SELL'} ${qty(m.qty1e8)} @ ${px(m.px1e9)} ${m.venue} ${m.clientOrderId}` };
      case 'fill':
        return { tsMs, label: this.labelOf.get(m.clientOrderId) ?? '', kind: 'fill', text: `FILL ${qty(m.qty1e8)} @ ${px(m.px1e9)} ${m.liquidity} ${m.clientOrderId}` };
      case 'reject':
        return { tsMs, label: this.labelOf.get(m.clientOrderId) ?? '', kind: 'reject', text: `REJECT ${m.clientOrderId}: ${m.reason}` };
      case 'nodeReject':
        return { tsMs, label: m.label, kind: 'reject', text: `REJECT order ${m.algoOrderId} (${m.code}): ${m.reason}` };
      case 'canceled':
        return { tsMs, label: this.labelOf.get(m.clientOrderId) ?? '', kind: 'canceled', text: `CANCELED ${m.clientOrderId} (${m.reason})` };
      default:
        return { tsMs, label: '', kind: 'order', text: m.kind };
    }
  }

  private shownLevels(key: string): { bids: ShownSide; asks: ShownSide } {
    let shown = this.shown.get(key);
    if (shown === undefined) this.shown.set(key, (shown = { bids: new ShownSide(), asks: new ShownSide() }));
    return shown;
  }

  snapshot(): ViewModel {
    const e = this.engine;
    const halt = e.core.halt;
    const venues = e.venueList();
    const nowMs = Date.now();
    const books: BookView[] = [];
    venues.forEach((venue, i) => {
      for (const symbol of venue.symbols) {
        const book = e.book(i, symbol);
        if (book === undefined) continue;
        const nbbo = e.nbboOf(symbol);
        const key = `${venue.name}\u0000${symbol}`;
        const history = this.mids.get(key) ?? [];
        history.push(book.mid() / 1e9);
        if (history.length > MID_HISTORY) history.shift();
        this.mids.set(key, history);
        const shown = this.shownLevels(key);
        books.push({
          venue: venue.name,
          symbol,
          bids: shown.bids.update(book.bidPx, book.bidSz, book.bidCount),
          asks: shown.asks.update(book.askPx, book.askSz, book.askCount),
          nbboBid: nbbo !== undefined && nbbo.venueCount > 1 && book.bidCount > 0 && book.bidPx[0] === nbbo.bidPx1e9,
          nbboAsk: nbbo !== undefined && nbbo.venueCount > 1 && book.askCount > 0 && book.askPx[0] === nbbo.askPx1e9,
          midHistory: [...history],
        });
      }
    });
    return {
      version: 1,
      node: { id: e.config.node.id, phase: e.phase, uptimeS: Math.floor((nowMs - this.startedMs) / 1000), ...this.nodeInfo() },
      halt: { halted: halt.halted, reason: halt.halted ? halt.reason : '', by: halt.halted ? halt.by : '', sinceMs: halt.halted ? Math.floor(halt.tsNs / 1e6) : 0 },
      venues: venues.map((v, i) => {
        const state = e.venueStates[i];
        const health = v.health();
        const dataAtMs = e.dataAtMs(i, health);
        const symbolBooks = v.symbols.map((s) => e.book(i, s));
        return {
          name: v.name,
          kind: v.kind,
          connected: health.connection === 'connected' && state.status !== 'maintenance',
          dataAgeMs: dataAtMs === 0 ? -1 : nowMs - dataAtMs,
          booksValid: health.invalidBooks === 0 && symbolBooks.every((b) => b !== undefined && b.valid),
          rateLimitHeadroom: health.rateCapacity > 0 ? health.rateHeadroom / health.rateCapacity : null,
        };
      }),
      books,
      instances: e.deployments.map((d) => {
        const pause = e.core.paused.get(d.label);
        let position = 0;
        let realized = 0;
        let unrealized = 0;
        let fills = 0;
        for (const [symbol, p] of d.positions) {
          position += p.qty1e8;
          realized += p.realizedPnl1e9();
          unrealized += p.unrealizedPnl1e9(e.mark(d.venue.name, symbol));
          fills += p.fillCount;
        }
        return {
          label: d.label,
          venue: d.venue.name,
          status: d.algo.status === 'aborted' ? 'aborted' : pause !== undefined ? 'paused' : 'running',
          reason: d.algo.status === 'aborted' ? d.algo.abortReason : (pause?.reason ?? ''),
          position: qty(position),
          realizedPnl: px(realized),
          unrealizedPnl: px(unrealized),
          openOrders: e.oms.liveOrders(d.label).length,
          fills,
          lastCallUs: Math.round(d.algo.lastCallNs / 100) / 10,
          maxCallUs: Math.round(d.algo.maxCallNs / 100) / 10,
        };
      }),
      blotter: this.blotter.map((b) => (b.row ??= this.blotterRow(b.tsMs, b.message))),
      mesh: { links: e.mesh.links().map((l) => ({ ...l })), recent: [...this.meshRecent] },
      logs: [...this.logs],
    };
  }
}

/**
 * One book side's levels as the UI shows them, kept between snapshots: a level whose price
 * and size are unchanged keeps its text, so a snapshot formats only the levels that moved
 * (the snapshot is built on the trading thread, and most levels stay put between two).
 */
class ShownSide {
  private readonly pxs = new Float64Array(BOOK_LEVELS_SHOWN);
  private readonly szs = new Float64Array(BOOK_LEVELS_SHOWN);
  private readonly views: BookLevelView[] = [];

  update(pxs: Float64Array, szs: Float64Array, count: number): BookLevelView[] {
    const n = Math.min(count, BOOK_LEVELS_SHOWN);
    for (let i = 0; i < n; i++) {
      if (i < this.views.length && this.pxs[i] === pxs[i] && this.szs[i] === szs[i]) continue;
      this.pxs[i] = pxs[i];
      this.szs[i] = szs[i];
      this.views[i] = { px: px(pxs[i]), sz: qty(szs[i]) };
    }
    this.views.length = n;
    return this.views.slice();
  }
}

function push<T>(rows: T[], row: T): void {
  rows.push(row);
  if (rows.length > VIEW_ROWS) rows.shift();
}
