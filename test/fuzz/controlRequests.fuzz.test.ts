import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlServer } from '../../src/control/controlServer.ts';
import { encodeRequest, METHODS, parseRequestLine, PROTOCOL_VERSION } from '../../src/control/protocol.ts';
import { controlDataDir, RawClient, RecordingHandler } from '../support/controlHarness.ts';
import { fuzzRuns, mutatedJson, mutatedText } from './support/mutations.ts';

// Control-socket requests from any local client: every line parses to a request, an
// `invalid` (answered, connection kept) or a `fatal` (answered, connection closed), never
// an exception; a params object with a key the method does not define is always refused;
// and a greeted session answers every line and keeps serving after an invalid one.

const VALID_REQUESTS = [
  { v: 1, id: 1, method: 'hello', params: { v: 1 } },
  { v: 1, id: 2, method: 'status' },
  { v: 1, id: 3, method: 'halt', params: { cancelAll: true, reason: 'fuzz', by: 'ops' } },
  { v: 1, id: 4, method: 'resume', params: { reason: 'fuzz', by: 'ops' } },
  { v: 1, id: 5, method: 'deploy', params: { config: 'Sequence.toml' } },
  { v: 1, id: 6, method: 'subscribe' },
  { v: 1, id: 7, method: 'unsubscribe', params: {} },
  { v: 1, id: 8, method: 'shutdown', params: { by: 'ops' } },
];
const VALID_LINES = VALID_REQUESTS.map((r) => JSON.stringify(r));

const anyLine = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  mutatedText(VALID_LINES),
  mutatedJson(VALID_REQUESTS),
);

describe('control requests from a stranger', () => {
  it('every line becomes a request, an invalid or a fatal answer with a one-line error, never an exception', () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        const parsed = parseRequestLine(line);
        if (parsed.kind === 'request') {
          expect((METHODS as readonly string[]).includes(parsed.request.method)).toBe(true);
          expect(Number.isSafeInteger(parsed.request.id)).toBe(true);
          return;
        }
        expect(parsed.error.length).toBeGreaterThan(0);
        if (parsed.kind === 'invalid') expect(Number.isSafeInteger(parsed.id)).toBe(true);
      }),
      fuzzRuns(500),
    );
  });

  it('a params key the method does not define is refused, whatever its name', () => {
    const extraKey = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__'));
    fc.assert(
      fc.property(fc.constantFrom(...VALID_REQUESTS.filter((r) => r.method !== 'hello')), extraKey, fc.jsonValue({ maxDepth: 1 }), (request, key, value) => {
        const params: Record<string, unknown> = { ...((request as { params?: object }).params ?? {}) };
        if (Object.hasOwn(params, key)) return;
        Object.defineProperty(params, key, { value, enumerable: true });
        const parsed = parseRequestLine(JSON.stringify({ ...request, params }));
        expect(parsed.kind).toBe('invalid');
      }),
      fuzzRuns(300),
    );
  });

  it('a request line with toString in its params is refused (shrunk counterexample)', () => {
    expect(parseRequestLine('{"v":1,"id":9,"method":"status","params":{"toString":1}}')).toEqual({ kind: 'invalid', id: 9, error: 'status: takes no params, got "toString"' });
    expect(parseRequestLine('{"v":1,"id":9,"method":"shutdown","params":{"by":"ops","constructor":0}}')).toMatchObject({ kind: 'invalid', id: 9 });
  });
});

describe('a greeted control session fed hostile lines', () => {
  let dir: string;
  let server: ControlServer;
  let path: string;

  beforeAll(async () => {
    dir = controlDataDir();
    path = join(dir, 'control.sock');
    server = await ControlServer.listen(path, new RecordingHandler());
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers each line, and after an invalid one still answers status; a fatal one closes only that client', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedJson(VALID_REQUESTS), async (line) => {
        const client = await RawClient.greeted(path);
        try {
          client.socket.write(line.replace(/\n/g, ' ') + '\n');
          const parsed = parseRequestLine(line);
          if (parsed.kind === 'fatal' || line.trim() === '') return;
          const answer = await client.next();
          expect(typeof answer.ok).toBe('boolean');
          // A second hello naming another version is as final as a fatal line.
          if (parsed.kind === 'request' && parsed.request.method === 'hello' && parsed.request.params.v !== PROTOCOL_VERSION) return;
          client.socket.write(encodeRequest(77, 'status', undefined));
          let reply = await client.next();
          // A subscribe may push the latest snapshot first; the status answer follows it.
          while (reply.id !== 77) reply = await client.next();
          expect(reply).toMatchObject({ id: 77, ok: true });
        } finally {
          client.socket.destroy();
        }
      }),
      fuzzRuns(60),
    );
  });
});
