import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTION, ALGO_STATE, FILL, L2BOOK, NBBO, OPEN_ORDER, REJECT, SYMBOL_META, WASM_ACTIONS } from '../src/wasm/abi.ts';

// The struct layouts in src/wasm/abi.ts, checked against the contract text itself
// (../shared/ABI.md): every `field type @offset` the document states must match.

const ABI_MD = new URL('../../shared/ABI.md', import.meta.url);

function documented(struct: string): Map<string, number> {
  const text = readFileSync(ABI_MD, 'utf8');
  const start = text.indexOf('`' + struct + '`');
  expect(start, `ABI.md describes ${struct}`).toBeGreaterThanOrEqual(0);
  const paragraph = text.slice(start, text.indexOf('\n\n', start));
  const fields = new Map<string, number>();
  for (const m of paragraph.matchAll(/`(\w+) [^`@]*@(\d+)`/g)) fields.set(m[1], Number(m[2]));
  return fields;
}

function documentedSize(struct: string): number {
  const text = readFileSync(ABI_MD, 'utf8');
  const m = new RegExp('`' + struct + '`[^(]*\\((\\d+)\\)').exec(text);
  expect(m, `ABI.md gives the size of ${struct}`).not.toBeNull();
  return Number(m![1]);
}

describe('struct layouts match ABI.md', () => {
  it('finds the ABI document beside the repository', () => {
    expect(existsSync(ABI_MD), `${ABI_MD.pathname} must exist (shared/ is checked out beside the repository)`).toBe(true);
  });

  it('L2Book', () => {
    const f = documented('L2Book');
    expect(documentedSize('L2Book')).toBe(L2BOOK.size);
    expect([f.get('bids'), f.get('asks'), f.get('bid_ct'), f.get('ask_ct'), f.get('symbol_id'), f.get('recv_ns')]).toEqual([
      L2BOOK.bids, L2BOOK.asks, L2BOOK.bidCt, L2BOOK.askCt, L2BOOK.symbolId, L2BOOK.recvNs,
    ]);
  });

  it('OpenOrder', () => {
    const f = documented('OpenOrder');
    expect(documentedSize('OpenOrder')).toBe(OPEN_ORDER.size);
    expect([f.get('order_id'), f.get('px_1e9'), f.get('qty_1e8'), f.get('filled_1e8'), f.get('side'), f.get('status')]).toEqual([
      OPEN_ORDER.orderId, OPEN_ORDER.px, OPEN_ORDER.qty, OPEN_ORDER.filled, OPEN_ORDER.side, OPEN_ORDER.status,
    ]);
  });

  it('AlgoState, version-1 part and extensions', () => {
    const f = documented('AlgoState');
    expect(documentedSize('AlgoState')).toBe(ALGO_STATE.v1Size);
    expect([f.get('position_1e8'), f.get('avg_entry_1e9'), f.get('realized_pnl_1e9'), f.get('unrealized_pnl_1e9'), f.get('orders'), f.get('order_ct')]).toEqual([
      ALGO_STATE.position, ALGO_STATE.avgEntry, ALGO_STATE.realizedPnl, ALGO_STATE.unrealizedPnl, ALGO_STATE.orders, ALGO_STATE.orderCt,
    ]);
    expect([f.get('session_pnl_1e9'), f.get('total_fill_count'), f.get('node_role'), f.get('halted')]).toEqual([
      ALGO_STATE.sessionPnl, ALGO_STATE.totalFillCount, ALGO_STATE.nodeRole, ALGO_STATE.halted,
    ]);
    const text = readFileSync(ABI_MD, 'utf8');
    expect(text).toContain(`\`SymbolMeta @${ALGO_STATE.symbolMeta}\``);
    expect(text).toContain(`Total ${ALGO_STATE.size}.`);
    expect(SYMBOL_META.size).toBe(40);
    expect(ALGO_STATE.symbolMeta + SYMBOL_META.size).toBe(ALGO_STATE.nodeRole);
  });

  it('Fill, Reject, Action, WasmActions and Nbbo', () => {
    const fill = documented('Fill');
    expect(documentedSize('Fill')).toBe(FILL.size);
    expect([fill.get('order_id'), fill.get('px_1e9'), fill.get('qty_1e8'), fill.get('recv_ns'), fill.get('side')]).toEqual([FILL.orderId, FILL.px, FILL.qty, FILL.recvNs, FILL.side]);
    const reject = documented('Reject');
    expect(documentedSize('Reject')).toBe(REJECT.size);
    expect([reject.get('order_id'), reject.get('code')]).toEqual([REJECT.orderId, REJECT.code]);
    const action = documented('Action');
    expect(documentedSize('Action')).toBe(ACTION.size);
    expect([action.get('order_id'), action.get('px_1e9'), action.get('qty_1e8'), action.get('side'), action.get('is_cancel'), action.get('order_type')]).toEqual([
      ACTION.orderId, ACTION.px, ACTION.qty, ACTION.side, ACTION.isCancel, ACTION.orderType,
    ]);
    const actions = documented('WasmActions');
    expect(documentedSize('WasmActions')).toBe(WASM_ACTIONS.size);
    expect([actions.get('count'), actions.get('actions')]).toEqual([WASM_ACTIONS.count, WASM_ACTIONS.actions]);
    const nbbo = documented('Nbbo');
    expect(documentedSize('Nbbo')).toBe(NBBO.size);
    expect([nbbo.get('bid_px_1e9'), nbbo.get('bid_sz_1e8'), nbbo.get('ask_px_1e9'), nbbo.get('ask_sz_1e8'), nbbo.get('bid_venue'), nbbo.get('ask_venue'), nbbo.get('symbol_id'), nbbo.get('recv_ns'), nbbo.get('venue_ct')]).toEqual([
      NBBO.bidPx, NBBO.bidSz, NBBO.askPx, NBBO.askSz, NBBO.bidVenue, NBBO.askVenue, NBBO.symbolId, NBBO.recvNs, NBBO.venueCt,
    ]);
  });
});
