import fc from 'fast-check';

// Arbitraries that turn valid samples (real frames, configs, bundles) into hostile ones, so
// a fuzz property reaches past the first syntax check: a random string is refused at its
// first byte, a valid frame with one digit changed reaches the book. Every property runs
// with a fixed seed (CI is deterministic; fast-check prints the seed and the shrunk case of
// a failure) and a run count sized so the whole fuzz suite stays well under a minute on a
// shared 2-core machine.

/** The seed every fuzz property starts from; change it locally to explore further. */
export const FUZZ_SEED = 90_309;

/** fc.assert parameters: the fixed seed and this property's run count. */
export function fuzzRuns(numRuns: number): { seed: number; numRuns: number } {
  return { seed: FUZZ_SEED, numRuns };
}

/** Fragments that break JSON (and TOML) in the ways that matter: structure, escapes, numbers, sizes. */
const HOSTILE_FRAGMENTS: readonly string[] = [
  '{', '}', '[', ']', ',', ':', '"', '\\', '\\u0000', '\\"', '-', '.', 'e', 'E', '+', '0', '9',
  '1e400', '-0', '0.0000000001', '99999999999999999999', '18446744073709551616', 'NaN', 'null', 'true', 'false',
  '""', ' ', '\n', '\t', '\u0000', '\u2028', '\ud800', '\u{1d11e}', '=', '#', "'", '[[', ']]', '"""',
  'snapshot', 'update', 'book', 'l2_data', 'offer', 'bid', '__proto__', 'constructor',
];

const fragment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_FRAGMENTS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789.-eE+'), minLength: 1, maxLength: 12 }) },
);

type TextEdit =
  | { kind: 'replace' | 'insert'; at: number; length: number; text: string }
  | { kind: 'delete' | 'duplicate'; at: number; length: number }
  | { kind: 'truncate'; at: number };

const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.record({ kind: fc.constantFrom('replace' as const, 'insert' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }), text: fragment }),
  fc.record({ kind: fc.constantFrom('delete' as const, 'duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 24 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function applyEdit(text: string, edit: TextEdit): string {
  const at = text.length === 0 ? 0 : edit.at % (text.length + 1);
  switch (edit.kind) {
    case 'replace':
      return text.slice(0, at) + edit.text + text.slice(at + edit.length);
    case 'insert':
      return text.slice(0, at) + edit.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + edit.length);
    case 'duplicate':
      return text.slice(0, at + edit.length) + text.slice(at, at + edit.length) + text.slice(at + edit.length);
    case 'truncate':
      return text.slice(0, at);
  }
}

/** A sample with one to four character-level edits (replace, insert, delete, duplicate, truncate). */
export function mutatedText(samples: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...samples), fc.array(textEdit, { minLength: 1, maxLength: 4 }))
    .map(([sample, edits]) => edits.reduce(applyEdit, sample));
}

/** JSON values chosen to break readers that trust a shape: wrong types, empties, extremes. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(null, [], {}, '', '0', '-1', '1e-12', 'NaN', 'x'.repeat(600), -1, 0, 0.5, 1e308, 2 ** 53 + 2, [null], { a: null }, true),
  },
);

type JsonEdit = { path: number[]; mode: 'replace' | 'delete' | 'add'; key: string; value: unknown };

const jsonEdit: fc.Arbitrary<JsonEdit> = fc.record({
  path: fc.array(fc.nat(), { maxLength: 8 }),
  mode: fc.constantFrom('replace' as const, 'delete' as const, 'add' as const),
  key: fc.oneof(fc.constantFrom('type', 'channel', 'data', 'events', 'id', 'v', 'params', 'orders', 'fees', 'updates', '__proto__'), fc.string({ maxLength: 8 })),
  value: hostileJson,
});

/** Follows `path` (indices taken modulo each container's size) and changes the node it ends at. */
function applyJsonEdit(root: unknown, edit: JsonEdit): unknown {
  const copy = structuredClone(root);
  let parent: unknown = null;
  let slot: string | number = '';
  let node: unknown = copy;
  for (const step of edit.path) {
    if (Array.isArray(node) && node.length > 0) {
      parent = node;
      slot = step % node.length;
      node = node[slot];
    } else if (typeof node === 'object' && node !== null && Object.keys(node).length > 0) {
      const keys = Object.keys(node);
      parent = node;
      slot = keys[step % keys.length];
      node = (node as Record<string, unknown>)[slot];
    } else {
      break;
    }
  }
  if (edit.mode === 'add' && typeof node === 'object' && node !== null) {
    if (Array.isArray(node)) node.push(edit.value);
    else Object.defineProperty(node, edit.key, { value: edit.value, enumerable: true, writable: true, configurable: true });
    return copy;
  }
  if (parent === null) return edit.mode === 'delete' ? {} : edit.value;
  if (edit.mode === 'delete') {
    if (Array.isArray(parent)) parent.splice(slot as number, 1);
    else delete (parent as Record<string, unknown>)[slot];
  } else {
    (parent as Record<string, unknown>)[slot] = edit.value;
  }
  return copy;
}

/** A parsed sample with one to three structural edits (a node replaced by a hostile value, deleted, or a key added), as JSON text. */
export function mutatedJson(samples: readonly unknown[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...samples), fc.array(jsonEdit, { minLength: 1, maxLength: 3 }))
    .map(([sample, edits]) => JSON.stringify(edits.reduce(applyJsonEdit, sample)) ?? 'null');
}

type ByteEdit = { kind: 'flip' | 'set' | 'delete' | 'insert' | 'truncate'; at: number; value: number; length: number };

const byteEdit: fc.Arbitrary<ByteEdit> = fc.record({
  kind: fc.constantFrom('flip' as const, 'set' as const, 'delete' as const, 'insert' as const, 'truncate' as const),
  at: fc.nat(),
  value: fc.oneof(fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x01, 0x0b, 0x10, 0x20, 0x41, 0x60), fc.integer({ min: 0, max: 255 })),
  length: fc.integer({ min: 1, max: 8 }),
});

function applyByteEdit(bytes: Uint8Array, edit: ByteEdit): Uint8Array {
  if (bytes.length === 0) return edit.kind === 'insert' ? Uint8Array.of(edit.value) : bytes;
  const at = edit.at % bytes.length;
  switch (edit.kind) {
    case 'flip': {
      const out = bytes.slice();
      out[at] ^= 1 << (edit.value % 8);
      return out;
    }
    case 'set': {
      const out = bytes.slice();
      out[at] = edit.value;
      return out;
    }
    case 'delete':
      return Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + edit.length)]);
    case 'insert':
      return Uint8Array.from([...bytes.subarray(0, at), ...new Array<number>(edit.length).fill(edit.value), ...bytes.subarray(at)]);
    case 'truncate':
      return bytes.slice(0, at);
  }
}

/**
 * A byte sample with one to six edits (bit flip, byte set, delete, insert, truncate), or with
 * `inPlace` one or two flips or sets that keep every length field right, so the result often
 * still parses and the fuzzer reaches what runs after parsing.
 */
export function mutatedBytes(samples: readonly Uint8Array[], inPlace = false): fc.Arbitrary<Uint8Array<ArrayBuffer>> {
  const edit = inPlace ? byteEdit.filter((e) => e.kind === 'flip' || e.kind === 'set') : byteEdit;
  return fc
    .tuple(fc.constantFrom(...samples), fc.array(edit, { minLength: 1, maxLength: inPlace ? 2 : 6 }))
    .map(([sample, edits]) => new Uint8Array(edits.reduce(applyByteEdit, sample)));
}
