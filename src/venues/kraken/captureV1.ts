import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BookFrameScanner, type BookFrameType } from './bookFrameScanner.ts';
import { KrakenBook } from './krakenBook.ts';

// The real Kraken WS v1 book capture (cryptofeed's KRAKEN.ws.50.0, VENUES.md sections 3 and
// 10) turned into the v2 `book` frames Kraken sends today, for the emulator's replay and for
// tests. Every decimal keeps its exact wire text: v1 quotes it, v2 prints it as a bare JSON
// number, so the text moves over unquoted. v1 pair names become v2 symbols (XBT -> BTC,
// XDG -> DOGE). v1 snapshots carry no checksum; the converter computes it from the
// snapshot's levels cut to the subscribed depth. Updates keep the checksum Kraken sent.

export class CaptureFormatError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`Kraken v1 capture line ${line}: ${reason}`);
    this.name = 'CaptureFormatError';
  }
}

export interface CaptureFrame {
  /** Receive time from the capture, milliseconds since the Unix epoch. */
  recvEpochMs: number;
  symbol: string;
  type: BookFrameType;
  depth: number;
  checksum: number;
  /** The v2 frame text. */
  text: string;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the capture lives: ../shared/data beside the repository, never inside it. */
export function defaultCapturePath(): string {
  return resolve(REPO_ROOT, '../shared/data/kraken-book-2021/KRAKEN.ws.50.0');
}

const V2_ASSET_NAMES: Readonly<Record<string, string>> = { XBT: 'BTC', XDG: 'DOGE' };

/** A v1 pair name as Kraken v2 spells it: XBT/CHF -> BTC/CHF. */
export function v2Symbol(v1Pair: string): string {
  return v1Pair
    .split('/')
    .map((asset) => V2_ASSET_NAMES[asset] ?? asset)
    .join('/');
}

export function readCaptureV1(path: string = defaultCapturePath()): CaptureFrame[] {
  if (!existsSync(path)) throw new Error(`Kraken v1 capture not found at ${path} (expected in ../shared/data/kraken-book-2021 beside the repository)`);
  return convertCaptureV1(readFileSync(path, 'utf8'));
}

/** Converts the capture's text; lines other than book messages (status, acks, heartbeats, the header) are left out. */
export function convertCaptureV1(content: string): CaptureFrame[] {
  const frames: CaptureFrame[] = [];
  const snapshotScanner = new BookFrameScanner();
  const lines = content.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    const lineNo = index + 1;
    if (line.length === 0 || line.startsWith('wss://')) continue;
    const colon = line.indexOf(': ');
    if (colon < 0) throw new CaptureFormatError(lineNo, 'expected "<epoch>: <json>"');
    const epochText = line.slice(0, colon);
    const recvEpochSec = Number(epochText);
    if (!/^\d+(\.\d+)?$/.test(epochText) || !Number.isFinite(recvEpochSec)) throw new CaptureFormatError(lineNo, `bad receive time "${epochText}"`);
    const body = line.slice(colon + 2);
    if (!body.startsWith('[')) continue;
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch (error) {
      throw new CaptureFormatError(lineNo, `not JSON: ${(error as Error).message}`);
    }
    frames.push(convertMessage(message, lineNo, epochText, snapshotScanner));
  }
  return frames;
}

function convertMessage(message: unknown, lineNo: number, epochText: string, scanner: BookFrameScanner): CaptureFrame {
  if (!Array.isArray(message) || message.length < 4) throw new CaptureFormatError(lineNo, 'a book message must be an array of at least 4 elements');
  // A trailing "r" marks a republish; the pair and channel name come just before it.
  const end = message[message.length - 1] === 'r' ? message.length - 1 : message.length;
  const pair = message[end - 1];
  const channelName = message[end - 2];
  if (typeof pair !== 'string' || typeof channelName !== 'string') throw new CaptureFormatError(lineNo, 'missing channel name or pair');
  const depthMatch = /^book-(\d+)$/.exec(channelName);
  if (depthMatch === null) throw new CaptureFormatError(lineNo, `not a book channel: "${channelName}"`);
  const depth = Number(depthMatch[1]);
  let type: BookFrameType | null = null;
  let bids: string[][] = [];
  let asks: string[][] = [];
  let checksumText: string | null = null;
  for (let i = 1; i < end - 2; i++) {
    const part = message[i] as Record<string, unknown>;
    if (typeof part !== 'object' || part === null || Array.isArray(part)) throw new CaptureFormatError(lineNo, `element ${i} is not an object`);
    for (const [key, value] of Object.entries(part)) {
      if (key === 'as' || key === 'bs') {
        type = 'snapshot';
        if (key === 'as') asks = levels(value, lineNo);
        else bids = levels(value, lineNo);
      } else if (key === 'a' || key === 'b') {
        type ??= 'update';
        if (key === 'a') asks = asks.concat(levels(value, lineNo));
        else bids = bids.concat(levels(value, lineNo));
      } else if (key === 'c') {
        if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) > 0xffffffff) throw new CaptureFormatError(lineNo, `bad checksum ${JSON.stringify(value)}`);
        checksumText = value;
      } else {
        throw new CaptureFormatError(lineNo, `unknown key "${key}"`);
      }
    }
  }
  if (type === null) throw new CaptureFormatError(lineNo, 'a book message without levels');
  const symbol = v2Symbol(pair);
  const timestamp = rfc3339(epochText);
  let checksum: number;
  if (type === 'update') {
    if (checksumText === null) throw new CaptureFormatError(lineNo, 'an update without a checksum');
    checksum = Number(checksumText);
  } else {
    checksum = snapshotChecksum(v2Frame(type, symbol, bids, asks, 0, timestamp), symbol, depth, scanner, lineNo);
  }
  return {
    recvEpochMs: Number(epochText) * 1000,
    symbol,
    type,
    depth,
    checksum,
    text: v2Frame(type, symbol, bids, asks, checksum, timestamp),
  };
}

function levels(value: unknown, lineNo: number): string[][] {
  if (!Array.isArray(value)) throw new CaptureFormatError(lineNo, 'levels must be an array');
  for (const level of value) {
    if (!Array.isArray(level) || level.length < 2 || typeof level[0] !== 'string' || typeof level[1] !== 'string') {
      throw new CaptureFormatError(lineNo, `bad level ${JSON.stringify(level)}`);
    }
    if (!/^\d+(\.\d+)?$/.test(level[0]) || !/^\d+(\.\d+)?$/.test(level[1])) throw new CaptureFormatError(lineNo, `bad decimal in level ${JSON.stringify(level)}`);
  }
  return value as string[][];
}

function v2Frame(type: BookFrameType, symbol: string, bids: string[][], asks: string[][], checksum: number, timestamp: string): string {
  return (
    `{"channel":"book","type":"${type}","data":[{"symbol":"${symbol}",` +
    `"bids":[${bids.map(levelText).join(',')}],"asks":[${asks.map(levelText).join(',')}],` +
    `"checksum":${checksum},"timestamp":"${timestamp}"}]}`
  );
}

function levelText(level: string[]): string {
  return `{"price":${level[0]},"qty":${level[1]}}`;
}

function snapshotChecksum(text: string, symbol: string, depth: number, scanner: BookFrameScanner, lineNo: number): number {
  try {
    scanner.scanText(text);
    const book = new KrakenBook(symbol, depth);
    book.applySnapshot(scanner, scanner.bidStart[0], scanner.bidEnd[0], scanner.askStart[0], scanner.askEnd[0]);
    return book.checksum();
  } catch (error) {
    throw new CaptureFormatError(lineNo, (error as Error).message);
  }
}

/** "1618678132.927716" -> "2021-04-17T16:48:52.927716Z" (v2 timestamps carry microseconds). */
function rfc3339(epochText: string): string {
  const [seconds, fraction = ''] = epochText.split('.');
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${fraction.padEnd(6, '0').slice(0, 6)}Z`;
}
