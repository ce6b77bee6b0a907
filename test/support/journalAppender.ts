import { Journal } from '../../src/node/journal/journal.ts';
import type { TradingMessage } from '../../src/node/tradingMessage.ts';

// Child process for the crash test: appends orders as fast as it can and prints each seq
// append returned, until it is killed (or reaches the bound, which the test never lets
// it). Usage: journalAppender.ts <dataDir> <maxRecords>

const [dataDir, maxText] = process.argv.slice(2);
const maxRecords = Number(maxText);
const journal = Journal.open(dataDir);
journal.beginTerm(journal.currentTerm + 1);
const term = journal.currentTerm;

function order(i: number): TradingMessage {
  return {
    kind: 'order',
    tsNs: 1_700_000_000_000_000_000 + i * 1024,
    label: 'maker',
    venue: 'sim',
    symbol: 'BTC/USD',
    algoOrderId: i,
    clientOrderId: `maker-${i}`,
    side: i % 2 === 0 ? 1 : -1,
    px1e9: 60_000_000_000_000 + i,
    qty1e8: 1_000_000,
    orderType: 0,
    replaces: '',
  };
}

for (let i = 0; i < maxRecords; i++) {
  const seq = journal.append(term, order(i));
  process.stdout.write(`${seq}\n`);
  // Let the pipe drain now and then, so the test sees seqs while appends continue.
  if (i % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
}
