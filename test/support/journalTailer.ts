import { Journal } from '../../src/node/journal/journal.ts';

// Child process for the follower test: tails a journal another process writes and prints
// each delivered record as "<seq> <clientOrderId, or kind when it has none>", until it is killed.
// Usage: journalTailer.ts <dataDir> <fromSeq>

const [dataDir, fromText] = process.argv.slice(2);
const journal = Journal.open(dataDir, { readOnly: true });
journal.tail(
  Number(fromText),
  (record) => {
    const m = record.message;
    process.stdout.write(`${record.seq} ${'clientOrderId' in m ? m.clientOrderId : m.kind}\n`);
  },
  (error) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
process.stdout.write('ready\n');
