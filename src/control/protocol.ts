// The control socket's wire protocol: newline-delimited JSON, one message a line.
// Client -> server: {"v":1,"id":<int>,"method":<string>,"params":{...}}.
// Server -> client: {"id":<int|null>,"ok":true,"result":...} | {"id":...,"ok":false,"error":"..."}
// and pushed events {"event":"snapshot","data":<ViewModel>}.
// Pure: parsing, validation and encoding only; the sockets live in the server and client.
// The response envelope and the hello exchange must stay readable by every later version,
// because they are how a node tells a client of another version that they cannot talk.

export const PROTOCOL_VERSION = 1;
/** Longest line either side accepts, newline excluded; longer is a protocol violation. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** Halt and resume reasons are shown in the UI and journaled: one short line. */
export const MAX_REASON_CHARS = 500;
/** Who asked (e.g. "cli:alice@host"); recorded beside the reason. */
export const MAX_BY_CHARS = 200;

export const METHODS = ['hello', 'status', 'halt', 'resume', 'deploy', 'subscribe', 'unsubscribe', 'shutdown'] as const;
export type MethodName = (typeof METHODS)[number];

export interface HaltParams {
  cancelAll: boolean;
  reason: string;
  by: string;
}
export interface ResumeParams {
  reason: string;
  by: string;
}
export interface DeployParams {
  config: string;
}
export interface ShutdownParams {
  by: string;
}

export type ControlRequest =
  | { id: number; method: 'hello'; params: { v: number } }
  | { id: number; method: 'status' | 'subscribe' | 'unsubscribe'; params: Record<string, never> }
  | { id: number; method: 'halt'; params: HaltParams }
  | { id: number; method: 'resume'; params: ResumeParams }
  | { id: number; method: 'deploy'; params: DeployParams }
  | { id: number; method: 'shutdown'; params: ShutdownParams };

/**
 * What one request line amounts to. `invalid` is answered and the connection stays open;
 * `fatal` (not JSON, no usable id, another protocol version) is answered and the client is
 * disconnected, because nothing it sends after that can be trusted to mean what it says.
 */
export type RequestParse =
  | { kind: 'request'; request: ControlRequest }
  | { kind: 'invalid'; id: number; error: string }
  | { kind: 'fatal'; id: number | null; error: string };

export type ServerMessage =
  | { kind: 'response'; id: number | null; ok: true; result: unknown }
  | { kind: 'response'; id: number | null; ok: false; error: string }
  | { kind: 'event'; event: string; data: unknown };

/** Thrown by parseServerLine: the node sent something that is not this protocol. */
export class ProtocolError extends Error {}

export function versionMismatch(clientVersion: unknown): string {
  return `the node speaks control protocol v${PROTOCOL_VERSION}; this sequence speaks v${String(clientVersion)}`;
}

export function parseRequestLine(line: string): RequestParse {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { kind: 'fatal', id: null, error: `request is not JSON: ${firstLine(err)}` };
  }
  if (!isPlainObject(value)) return { kind: 'fatal', id: null, error: `request must be a JSON object, got ${describe(value)}` };
  const id = value.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
    return { kind: 'fatal', id: null, error: `request field id must be an integer, got ${describe(id)}` };
  }
  if (!('v' in value)) return { kind: 'fatal', id, error: 'request has no protocol version field v' };
  if (value.v !== PROTOCOL_VERSION) return { kind: 'fatal', id, error: versionMismatch(value.v) };
  for (const key of Object.keys(value)) {
    if (key !== 'v' && key !== 'id' && key !== 'method' && key !== 'params') return { kind: 'invalid', id, error: `unknown request field "${key}"` };
  }
  const method = value.method;
  if (typeof method !== 'string') return { kind: 'invalid', id, error: `request field method must be a string, got ${describe(method)}` };
  if (!(METHODS as readonly string[]).includes(method)) {
    return { kind: 'invalid', id, error: `unknown method "${method}"; known: ${METHODS.join(', ')}` };
  }
  const checked = checkParams(method as MethodName, value.params);
  if (typeof checked === 'string') {
    // A hello the node cannot read is as final as a version mismatch.
    return { kind: method === 'hello' ? 'fatal' : 'invalid', id, error: `${method}: ${checked}` };
  }
  return { kind: 'request', request: { id, method, params: checked } as ControlRequest };
}

type Field = 'boolean' | 'version' | 'reason' | 'by' | 'config';
const PARAMS: Record<MethodName, Record<string, Field>> = {
  hello: { v: 'version' },
  status: {},
  halt: { cancelAll: 'boolean', reason: 'reason', by: 'by' },
  resume: { reason: 'reason', by: 'by' },
  deploy: { config: 'config' },
  subscribe: {},
  unsubscribe: {},
  shutdown: { by: 'by' },
};

/** The validated params, or why they are wrong. */
function checkParams(method: MethodName, params: unknown): Record<string, unknown> | string {
  const fields = PARAMS[method];
  const names = Object.keys(fields);
  if (params === undefined) {
    return names.length === 0 ? {} : `params are required: {${names.join(', ')}}`;
  }
  if (!isPlainObject(params)) return `params must be an object, got ${describe(params)}`;
  for (const key of Object.keys(params)) {
    if (!Object.hasOwn(fields, key)) return names.length === 0 ? `takes no params, got "${key}"` : `unknown param "${key}"; expected {${names.join(', ')}}`;
  }
  for (const name of names) {
    const problem = checkField(name, fields[name], params[name]);
    if (problem !== null) return problem;
  }
  return params;
}

function checkField(name: string, field: Field, value: unknown): string | null {
  const label = `params.${name}`;
  if (value === undefined) return `${label} is required`;
  switch (field) {
    case 'boolean':
      return typeof value === 'boolean' ? null : `${label} must be a boolean, got ${describe(value)}`;
    case 'version':
      return typeof value === 'number' && Number.isSafeInteger(value) ? null : `${label} must be an integer protocol version, got ${describe(value)}`;
    case 'reason':
      return checkText(label, value, MAX_REASON_CHARS);
    case 'by':
      return checkText(label, value, MAX_BY_CHARS);
    case 'config':
      if (typeof value !== 'string') return `${label} must be a string, got ${describe(value)}`;
      return value.trim() === '' ? `${label} must not be empty` : null;
  }
}

/** A short, single line of operator text: it is shown in the UI and journaled. */
function checkText(label: string, value: unknown, maxChars: number): string | null {
  if (typeof value !== 'string') return `${label} must be a string, got ${describe(value)}`;
  if (value.trim() === '') return `${label} must not be empty`;
  const chars = Array.from(value).length;
  if (chars > maxChars) return `${label} is ${chars} characters; the limit is ${maxChars}`;
  if (/[\u0000-\u001f\u007f]/.test(value)) return `${label} must be one line of text (no control characters)`;
  return null;
}

export function encodeRequest(id: number, method: string, params: object | undefined): string {
  return JSON.stringify(params === undefined ? { v: PROTOCOL_VERSION, id, method } : { v: PROTOCOL_VERSION, id, method, params }) + '\n';
}

export function encodeResult(id: number, result: unknown): string {
  // undefined would vanish from the JSON; a handler that returns nothing answers null.
  return JSON.stringify({ id, ok: true, result: result === undefined ? null : result }) + '\n';
}

export function encodeError(id: number | null, error: string): string {
  return JSON.stringify({ id, ok: false, error: oneLine(error) }) + '\n';
}

export function encodeEvent(event: string, data: unknown): string {
  return JSON.stringify({ event, data }) + '\n';
}

/** Reads one line from the node; throws ProtocolError on anything that is not this protocol. */
export function parseServerLine(line: string): ServerMessage {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new ProtocolError(`the node sent a line that is not JSON: ${firstLine(err)}`);
  }
  if (!isPlainObject(value)) throw new ProtocolError(`the node sent ${describe(value)} where a JSON object belongs`);
  if (typeof value.event === 'string') return { kind: 'event', event: value.event, data: value.data };
  const id = value.id;
  if (id !== null && (typeof id !== 'number' || !Number.isSafeInteger(id))) {
    throw new ProtocolError(`the node sent a response whose id is ${describe(id)}`);
  }
  if (value.ok === true) return { kind: 'response', id, ok: true, result: value.result };
  if (value.ok === false && typeof value.error === 'string') return { kind: 'response', id, ok: false, error: value.error };
  throw new ProtocolError('the node sent a message that is neither a response nor an event');
}

/** An error's message as one line, for a response or a CLI message. */
export function oneLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0].trim();
  return line === '' ? 'unknown error' : line;
}

function firstLine(err: unknown): string {
  return oneLine(err instanceof Error ? err.message : String(err));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'undefined' ? 'nothing' : `${typeof value} ${String(value)}`;
}
