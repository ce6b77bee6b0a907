/**
 * Splits a byte stream into newline-terminated lines, holding at most `maxLineBytes` of an
 * unfinished line. Pure (no I/O), so both ends of the control socket share it and it can be
 * tested chunk by chunk. Once a line runs over the limit the framer stays failed: the peer is
 * not speaking the protocol and the caller disconnects it.
 */
export class LineFramer {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private overflowed = false;

  constructor(readonly maxLineBytes: number) {}

  /**
   * The complete lines this chunk finishes, in order. `overflow` is true when a line (complete
   * or not) exceeds the limit; lines after it are not returned.
   */
  push(chunk: Buffer): { lines: string[]; overflow: boolean } {
    const lines: string[] = [];
    if (this.overflowed) return { lines, overflow: true };
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline;
      if (this.partialBytes + (end - start) > this.maxLineBytes) {
        this.fail();
        return { lines, overflow: true };
      }
      if (newline === -1) break;
      const piece = chunk.subarray(start, end);
      lines.push(this.partialBytes === 0 ? piece.toString('utf8') : Buffer.concat([...this.partial, piece]).toString('utf8'));
      this.partial = [];
      this.partialBytes = 0;
      start = newline + 1;
    }
    if (start < chunk.length) {
      // Copy: a slice would keep the whole read buffer behind it alive.
      this.partial.push(Buffer.from(chunk.subarray(start)));
      this.partialBytes += chunk.length - start;
    }
    return { lines, overflow: false };
  }

  private fail(): void {
    this.overflowed = true;
    this.partial = [];
    this.partialBytes = 0;
  }
}
