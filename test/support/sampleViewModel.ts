// A hand-built view model with every pane populated and distinctive values, so a test can
// look for one value and know which pane drew it. Overrides replace whole top-level fields.

import type { BlotterRow, LogLineView, MeshMessageView, ViewModel } from '../../src/tui/viewModel.ts';

/** 2026-01-02 03:04:05 local time, so clock strings in frames are predictable. */
export const SAMPLE_NOW_MS = new Date(2026, 0, 2, 3, 4, 5).getTime();

function blotterRows(count: number): BlotterRow[] {
  return Array.from({ length: count }, (_, i) => ({
    tsMs: SAMPLE_NOW_MS - (count - i) * 1000,
    label: i % 2 === 0 ? 'maker' : 'hedger',
    kind: i % 3 === 0 ? 'fill' : 'order',
    text: `blotter-row-${i}`,
  }));
}

function logLines(count: number): LogLineView[] {
  return Array.from({ length: count }, (_, i) => ({
    tsMs: SAMPLE_NOW_MS - (count - i) * 500,
    label: 'maker',
    level: i % 5,
    line: `log-line-${i}`,
  }));
}

function meshMessages(count: number): MeshMessageView[] {
  return Array.from({ length: count }, (_, i) => ({
    tsMs: SAMPLE_NOW_MS - (count - i) * 100,
    from: 'maker',
    to: 'hedger',
    bytes: 40 + i,
  }));
}

export function sampleViewModel(overrides: Partial<ViewModel> = {}): ViewModel {
  return {
    version: 1,
    node: {
      id: 'node-7',
      role: 'leader',
      leaseHolder: 'node-7',
      term: 4,
      journalSeq: 918273,
      bootstrap: null,
      phase: 'trading',
      uptimeS: 3723,
    },
    halt: { halted: false, reason: '', by: '', sinceMs: 0 },
    venues: [
      { name: 'kraken', kind: 'ws', connected: true, dataAgeMs: 42, booksValid: true, rateLimitHeadroom: 0.73 },
      { name: 'coinbase', kind: 'ws', connected: false, dataAgeMs: 3200, booksValid: false, rateLimitHeadroom: null },
    ],
    books: [
      {
        venue: 'kraken',
        symbol: 'BTC/USD',
        bids: [
          { px: '64250.1', sz: '0.5' },
          { px: '64250.0', sz: '1.25' },
          { px: '64249.5', sz: '3' },
          { px: '64249.0', sz: '0.01' },
        ],
        asks: [
          { px: '64251.3', sz: '0.75' },
          { px: '64251.5', sz: '2' },
          { px: '64252.0', sz: '4.5' },
        ],
        nbboBid: true,
        nbboAsk: false,
        midHistory: [1, 2, 3, 4, 5, 6, 7, 8, 7, 6],
      },
      {
        venue: 'coinbase',
        symbol: 'BTC-USD',
        bids: [
          { px: '64249.9', sz: '0.2' },
          { px: '64249.8', sz: '0.4' },
          { px: '64249.7', sz: '0.6' },
        ],
        asks: [
          { px: '64251.1', sz: '0.3' },
          { px: '64251.2', sz: '0.5' },
          { px: '64251.4', sz: '0.9' },
        ],
        nbboBid: false,
        nbboAsk: true,
        midHistory: [5, 5, 5],
      },
    ],
    instances: [
      {
        label: 'maker',
        venue: 'kraken',
        status: 'running',
        reason: '',
        position: '0.25',
        realizedPnl: '12.50',
        unrealizedPnl: '-3.10',
        openOrders: 2,
        fills: 17,
        lastCallUs: 12,
        maxCallUs: 480,
      },
      {
        label: 'hedger',
        venue: 'coinbase',
        status: 'aborted',
        reason: 'trap in on_book',
        position: '-0.25',
        realizedPnl: '0',
        unrealizedPnl: '1.05',
        openOrders: 0,
        fills: 9,
        lastCallUs: 30,
        maxCallUs: 900,
      },
    ],
    blotter: blotterRows(30),
    mesh: {
      links: [
        { from: 'maker', to: 'hedger', sent: 120, delivered: 118, dropped: 2 },
        { from: 'hedger', to: 'maker', sent: 64, delivered: 64, dropped: 0 },
      ],
      recent: meshMessages(12),
    },
    logs: logLines(40),
    ...overrides,
  };
}

export function haltedViewModel(): ViewModel {
  return sampleViewModel({
    halt: { halted: true, reason: 'rejects over limit', by: 'risk', sinceMs: SAMPLE_NOW_MS },
  });
}
