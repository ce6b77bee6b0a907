import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../node/config.ts';
import { hostedPart } from '../node/hostedPart.ts';
import { krakenCaptureSource } from '../replay/krakenCaptureSource.ts';
import { ReplaySourceError, type MarketSource } from '../replay/marketSource.ts';
import { isRecordingFile, recordingSource } from '../replay/recordingFile.ts';
import { reportJson } from '../replay/reportJson.ts';
import { reportText } from '../replay/reportText.ts';
import { DEFAULT_FEES, runReplay } from '../replay/replayRun.ts';

// `sequence replay`: a config's deployments against recorded market data, then the report
// (a table and PnL charts, or JSON). The journal and report.json go to the output directory.

export interface ReplayCommandOptions {
  config: string;
  /** A node recording (a directory of <venue>.rec files, or one file) or a Kraken v1 capture. */
  data: string;
  /** Default: <data_dir>/replay. */
  out?: string;
  latencyMs: number;
  makerFeeBps?: number;
  takerFeeBps?: number;
  labels?: string;
  venues?: string;
  json: boolean;
}

export async function replay(options: ReplayCommandOptions, write: (text: string) => void): Promise<void> {
  const config = hostedPart(loadConfig(options.config), options.labels, options.venues);
  const source = openSource(options.data);
  const outDir = options.out ?? join(config.node.dataDir, 'replay');
  const fee = (kind: 'kraken' | 'coinbase') => ({ makerBps: options.makerFeeBps ?? DEFAULT_FEES[kind].makerBps, takerBps: options.takerFeeBps ?? DEFAULT_FEES[kind].takerBps });
  const summary = await runReplay(config, source, { outDir, latencyMs: options.latencyMs, fees: { kraken: fee('kraken'), coinbase: fee('coinbase') } });
  const json = JSON.stringify(reportJson(summary), null, 2) + '\n';
  writeFileSync(join(outDir, 'report.json'), json);
  write(options.json ? json : `${reportText(summary)}\njournal: ${join(outDir, 'journal')}  report: ${join(outDir, 'report.json')}\n`);
}

/** What the path holds: a node recording (directory or file) or a Kraken v1 capture, told by its first bytes. */
export function openSource(path: string): MarketSource {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    throw new ReplaySourceError(`${path}: no such file or directory`);
  }
  if (isDirectory || isRecordingFile(path)) return recordingSource(path);
  if (startsWith(path, 'wss://')) return krakenCaptureSource(path);
  throw new ReplaySourceError(`${path}: neither a node recording (sequence run --record) nor a Kraken v1 capture (its first line starts with "wss://")`);
}

function startsWith(path: string, prefix: string): boolean {
  const head = Buffer.alloc(prefix.length);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, head, 0, head.length, 0) === head.length && head.toString('latin1') === prefix;
  } finally {
    closeSync(fd);
  }
}
