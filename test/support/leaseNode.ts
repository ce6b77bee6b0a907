// A stand-in for `sequence run` in the election tests: one LeaseKeeper on a shared data
// directory, reporting every change of role on stdout, one line each:
//   leader <term> <at_ms> <valid_until_ms>
//   renewed <term> <valid_until_ms>
//   lost <at_ms> <reason>
//   corrupt <detail> | error <message> | released
// Times are performance.timeOrigin + performance.now(): monotonic within the process and on
// the same timeline as the other child's, so the test can check that validity windows of
// different Leaders never overlap.
// Usage: node --import tsx leaseNode.ts <dataDir> <nodeId> <ttlMs> <renewEveryMs> <safetyMarginMs>

import { LeaseFile } from '../../src/node/lease/leaseFile.ts';
import { LeaseKeeper } from '../../src/node/lease/leaseKeeper.ts';

const [dataDir, nodeId, ttlMs, renewEveryMs, safetyMarginMs] = process.argv.slice(2);
if (dataDir === undefined || nodeId === undefined) throw new Error('usage: leaseNode.ts <dataDir> <nodeId> <ttlMs> <renewEveryMs> <safetyMarginMs>');

const lease = new LeaseFile(dataDir, nodeId, { ttlMs: Number(ttlMs), renewEveryMs: Number(renewEveryMs), safetyMarginMs: Number(safetyMarginMs) });
const sharedNowMs = () => performance.timeOrigin + performance.now();
const say = (line: string) => process.stdout.write(`${line}\n`);

const keeper = new LeaseKeeper(lease, {
  onLeader: (term) => {
    const at = sharedNowMs();
    say(`leader ${term} ${at} ${at + lease.validForMs}`);
  },
  onRenewed: (term) => say(`renewed ${term} ${sharedNowMs() + lease.validForMs}`),
  onLost: (reason) => say(`lost ${sharedNowMs()} ${reason}`),
  onCorrupt: (detail) => say(`corrupt ${detail}`),
  onError: (error) => say(`error ${(error as Error).message}`),
});

process.on('SIGTERM', () => {
  keeper.releaseAndStop();
  say('released');
  process.exit(0);
});

keeper.start();
say('started');
