import { createHash } from 'node:crypto';

// Kraken's cl_ord_id takes a UUID or free text of at most 18 characters; the node's client
// order ids (`label.orderId.request`) are longer. Each node id maps to a UUID derived from
// its SHA-256, so the same intent always carries the same wire id (a restart cannot send a
// second id for one intent), and the map back is rebuilt from the ids the node holds.
// The version nibble says 4 (random): the hash is indistinguishable from random to Kraken,
// and v4 is the form Kraken's own examples use.

/** The deterministic UUID sent as cl_ord_id for a node client order id. */
export function krakenClientOrderId(nodeId: string): string {
  if (nodeId === '') throw new RangeError('client order id must not be empty');
  const hex = createHash('sha256').update(nodeId, 'utf8').digest('hex');
  const version = '4' + hex.slice(13, 16);
  const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16) + hex.slice(17, 20);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}-${variant}-${hex.slice(20, 32)}`;
}

/** Wire ids this adapter sent or was told about, back to node ids. Oldest entries are forgotten past the bound. */
export class KrakenClientIdMap {
  private readonly toNode = new Map<string, string>();

  constructor(readonly maxEntries = 65_536) {
    if (!(Number.isInteger(maxEntries) && maxEntries >= 1)) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  /** The wire id for a node id, remembered for the way back. */
  wireFor(nodeId: string): string {
    const wire = krakenClientOrderId(nodeId);
    this.remember(wire, nodeId);
    return wire;
  }

  /** The node id behind a wire id, or undefined for an id this node did not send. */
  nodeIdFor(wireId: string): string | undefined {
    return this.toNode.get(wireId.toLowerCase());
  }

  /** Learns the node's open client order ids (reconciliation after a restart). */
  rebuild(known: readonly string[]): void {
    for (const nodeId of known) if (nodeId !== '') this.wireFor(nodeId);
  }

  get size(): number {
    return this.toNode.size;
  }

  private remember(wire: string, nodeId: string): void {
    this.toNode.delete(wire);
    this.toNode.set(wire, nodeId);
    if (this.toNode.size > this.maxEntries) this.toNode.delete(this.toNode.keys().next().value as string);
  }
}
