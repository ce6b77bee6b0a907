import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

// What the node's own process is using, in every status (event and `sequence status`), so
// a trader watching a long run, and the load soak, can see memory and responsiveness:
// memory as the OS and V8 see it, and how late the event loop ran its turns.

export interface ResourceUsage {
  rss_mb: number;
  /**
   * The RSS split (Linux; null elsewhere): anonymous memory is the process's own, while
   * file-backed pages are mostly the journal's memory map, which grows with the journal and
   * which the kernel can reclaim at will. A leak shows in the anonymous part.
   */
  rss_anon_mb: number | null;
  rss_file_mb: number | null;
  heap_used_mb: number;
  /** Typed arrays and Buffers outside the V8 heap (books, journal and socket buffers). */
  array_buffers_mb: number;
  /** Event-loop delay since the previous status: how late timers and I/O callbacks ran. */
  loop_delay_p99_ms: number;
  loop_delay_max_ms: number;
}

const MB = 1024 * 1024;
const round1 = (v: number) => Math.round(v * 10) / 10;

export class ResourceProbe {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private delayP99Ms = 0;
  private delayMaxMs = 0;

  constructor() {
    this.delay.enable();
  }

  /** For the periodic status: memory now, and the loop delay since the previous sample. */
  sample(): ResourceUsage {
    this.delayP99Ms = this.delay.count === 0 ? 0 : round1(this.delay.percentile(99) / 1e6);
    this.delayMaxMs = this.delay.count === 0 ? 0 : round1(this.delay.max / 1e6);
    this.delay.reset();
    return this.latest();
  }

  /** For `sequence status`: memory now, and the loop delay of the latest sample. */
  latest(): ResourceUsage {
    const m = process.memoryUsage();
    const split = rssSplitKb();
    return {
      rss_mb: round1(m.rss / MB),
      rss_anon_mb: split === null ? null : round1(split.anonKb / 1024),
      rss_file_mb: split === null ? null : round1(split.fileKb / 1024),
      heap_used_mb: round1(m.heapUsed / MB),
      array_buffers_mb: round1(m.arrayBuffers / MB),
      loop_delay_p99_ms: this.delayP99Ms,
      loop_delay_max_ms: this.delayMaxMs,
    };
  }

  stop(): void {
    this.delay.disable();
  }
}

/** RssAnon and RssFile from /proc/self/status, or null where there is no such file. */
function rssSplitKb(): { anonKb: number; fileKb: number } | null {
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'latin1');
  } catch {
    return null;
  }
  const anon = /^RssAnon:\s+(\d+) kB$/m.exec(status);
  const file = /^RssFile:\s+(\d+) kB$/m.exec(status);
  return anon === null || file === null ? null : { anonKb: Number(anon[1]), fileKb: Number(file[1]) };
}
