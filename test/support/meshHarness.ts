import { WebSocket } from 'ws';
import { MeshEdge, type MeshEdgeOptions } from '../../src/node/mesh/meshEdge.ts';
import type { MeshNbbo } from '../../src/node/mesh/meshProtocol.ts';

export const SECRET = 'test-mesh-secret-0123456789abcdef';
/** Fast retries and pings so that reconnect and RTT tests finish quickly. */
export const FAST: MeshEdgeOptions = { backoffMinMs: 20, backoffMaxMs: 200, pingIntervalMs: 50 };

/** Polls `cond` until it holds; fails after `timeoutMs` naming what was awaited. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface Received {
  from: string;
  to: string;
  payload: Uint8Array;
  sentNs: number;
}

/** A MeshEdge whose callbacks are recorded for assertions. */
export class RecordingEdge {
  readonly messages: Received[] = [];
  readonly nbbos: { symbol: string; nbbo: MeshNbbo }[] = [];
  readonly links: { up: boolean; reason: string }[] = [];
  readonly edge: MeshEdge;

  constructor(url: string, node: string, labels: string[], secret = SECRET, options: MeshEdgeOptions = FAST) {
    this.edge = new MeshEdge(
      url,
      node,
      secret,
      labels,
      {
        onMessage: (from, to, payload, sentNs) => this.messages.push({ from, to, payload: payload.slice(), sentNs }),
        onNbbo: (symbol, nbbo) => this.nbbos.push({ symbol, nbbo }),
        onLinkChange: (up, reason) => this.links.push({ up, reason }),
      },
      options,
    );
  }

  async started(): Promise<this> {
    this.edge.start();
    await waitFor(() => this.edge.isUp, `edge up`);
    return this;
  }
}

/** A plain ws client that records every text frame (parsed) and how the connection ended. */
export class RawClient {
  readonly frames: Record<string, any>[] = [];
  closeCode: number | null = null;
  readonly ws: WebSocket;

  constructor(port: number) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}`);
    this.ws.on('message', (data) => this.frames.push(JSON.parse(String(data))));
    this.ws.on('close', (code) => {
      this.closeCode = code;
    });
    this.ws.on('error', () => {});
  }

  async frame(type: string): Promise<Record<string, any>> {
    await waitFor(() => this.frames.some((f) => f.type === type), `a ${type} frame`);
    return this.frames.find((f) => f.type === type)!;
  }

  async closed(): Promise<number> {
    await waitFor(() => this.closeCode !== null, 'the connection to close');
    return this.closeCode!;
  }
}
