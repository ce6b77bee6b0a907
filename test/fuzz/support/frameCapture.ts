import { WebSocket } from 'ws';

/**
 * Opens a WebSocket, sends `requests` once it is open, and resolves with the first `count`
 * text frames the server sends: real frames from an emulator, the seeds fuzz properties
 * mutate. Rejects after `timeoutMs` with how many frames came.
 */
export function captureFrames(url: string, requests: readonly unknown[], count: number, timeoutMs = 20_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const frames: string[] = [];
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`captured ${frames.length} of ${count} frames from ${url} in ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('open', () => {
      for (const request of requests) ws.send(JSON.stringify(request));
    });
    ws.on('message', (data) => {
      if (frames.length >= count) return;
      frames.push(String(data));
      if (frames.length === count) {
        clearTimeout(timer);
        ws.terminate();
        resolve(frames);
      }
    });
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Waits (yielding to the event loop) until `done()` holds; rejects after `timeoutMs` naming `what`. */
export async function waitFor(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const start = performance.now();
  while (!done()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
