import { describeTrading } from '../node/eventWriter.ts';
import { Journal, type JournalRecord } from '../node/journal/journal.ts';

// `sequence journal ...`: reads a node's journal beside it (read-only; a running node
// keeps writing while this reads).

function line(record: JournalRecord, json: boolean): string {
  const event = describeTrading(record.message);
  const ts = new Date(Math.floor(record.tsNs / 1e6)).toISOString();
  if (json) return JSON.stringify({ seq: record.seq, term: record.term, ts, ...event }) + '\n';
  const { type, ...fields } = event;
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${String(record.seq).padStart(8)} t${record.term} ${ts} ${String(type).padEnd(9)} ${rest}\n`;
}

export function dump(dataDir: string, from: number, json: boolean, write: (text: string) => void): void {
  const journal = Journal.open(dataDir, { readOnly: true });
  try {
    for (const record of journal.records(from)) write(line(record, json));
  } finally {
    void journal.close();
  }
}

/** The last `count` records, then (with follow) every new one as the node commits it, until stopped. */
export function tail(dataDir: string, count: number, follow: boolean, json: boolean, write: (text: string) => void): { stop(): void } | null {
  const journal = Journal.open(dataDir, { readOnly: true });
  const from = Math.max(1, journal.lastSeq - count + 1);
  let next = from;
  for (const record of journal.records(from)) {
    write(line(record, json));
    next = record.seq + 1;
  }
  if (!follow) {
    void journal.close();
    return null;
  }
  const t = journal.tail(next, (record) => write(line(record, json)));
  return {
    stop: () => {
      t.stop();
      void journal.close();
    },
  };
}

export function verify(dataDir: string): { ok: boolean; text: string } {
  const journal = Journal.open(dataDir, { readOnly: true });
  try {
    const report = journal.verify();
    const text = report.ok ? `journal OK: ${report.records} records, no gaps, terms never go down, every body decodes\n` : `journal has ${report.problems.length} problem(s) in ${report.records} records:\n${report.problems.map((p) => `  ${p}\n`).join('')}`;
    return { ok: report.ok, text };
  } finally {
    void journal.close();
  }
}

export function stats(dataDir: string): string {
  const journal = Journal.open(dataDir, { readOnly: true });
  try {
    const s = journal.stats();
    let out = `records ${s.records} (seq ${s.firstSeq}..${s.lastSeq}), current term ${s.currentTerm}, ${s.bytesOnDisk} bytes on disk\n`;
    for (const [kind, n] of Object.entries(s.byKind).sort((a, b) => b[1] - a[1])) out += `  ${kind.padEnd(14)} ${n}\n`;
    return out;
  } finally {
    void journal.close();
  }
}
