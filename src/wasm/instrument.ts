// Fuel metering and memory capping, written into an algorithm's module before it is compiled.
// A synchronous wasm call cannot be interrupted from JS, so the module is made to stop
// itself: a fuel global is charged one unit at every function entry and every loop header,
// and the module traps with `unreachable` once it goes below zero. The host refills the
// global before each callback and, after a trap, reads it: negative means out of fuel.

import {
  BundleError,
  ByteReader,
  EMPTY_BLOCK_TYPE,
  Op,
  VALUE_TYPE_I32,
  concatBytes,
  encodeS32,
  encodeU32,
  hex,
  readInstruction,
} from './wasmBinary.ts';

export { BundleError } from './wasmBinary.ts';

export const FUEL_EXPORT = '__seq_fuel';

export interface InstrumentOptions {
  /** Cap on each defined linear memory, in 64 KiB pages. */
  memoryMaxPages: number;
  /**
   * The fuel global's initial value (default 0). A start function runs inside instantiation,
   * before the host can refill, so a module with one (AssemblyScript emits one for top-level
   * code) needs this to be its start budget or it traps while instantiating.
   */
  initialFuel?: number;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const WASM_VERSION = 1;
const HEADER_BYTES = 8;
const MAX_MEMORY_PAGES = 65536;
const PAGES_PER_MIB = 16;

const Section = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
  tag: 13,
} as const;

const SECTION_NAMES = new Map<number, string>(Object.entries(Section).map(([name, id]) => [id, name]));

/** Section ids in the order the binary format requires (custom sections go anywhere). */
const SECTION_ORDER: readonly number[] = [
  Section.type,
  Section.import,
  Section.function,
  Section.table,
  Section.memory,
  Section.tag,
  Section.global,
  Section.export,
  Section.start,
  Section.element,
  Section.dataCount,
  Section.code,
  Section.data,
];

const ImportKind = { function: 0x00, table: 0x01, memory: 0x02, global: 0x03 } as const;
const EXPORT_KIND_GLOBAL = 0x03;
const MUTABLE = 0x01;
const LIMITS_WITH_MAX = 0x01;

interface SectionSpan {
  id: number;
  /** Offset of the id byte. */
  start: number;
  contentStart: number;
  end: number;
}

/**
 * Returns a copy of `bytes` with fuel metering added and defined memories capped at
 * `options.memoryMaxPages`. Throws BundleError if the module is malformed, uses an
 * instruction outside wasm 2.0, already exports `__seq_fuel`, or needs more memory at start
 * than the cap. The engine's validator still checks everything else at compile time.
 */
export function instrumentModule(bytes: Uint8Array, options: InstrumentOptions): Uint8Array<ArrayBuffer> {
  const initialFuel = options.initialFuel ?? 0;
  checkOptions(options.memoryMaxPages, initialFuel);
  const sections = readSections(bytes);
  const reader = (span: SectionSpan) => new ByteReader(bytes, span.contentStart, span.end, sectionLabel(span.id));
  const find = (id: number) => sections.find((s) => s.id === id);

  const importSpan = find(Section.import);
  const globalSpan = find(Section.global);
  const exportSpan = find(Section.export);
  const importedGlobals = importSpan === undefined ? 0 : countImportedGlobals(reader(importSpan));
  if (exportSpan !== undefined) refuseFuelExport(reader(exportSpan));

  const globals = globalSpan === undefined ? undefined : readVector(reader(globalSpan), 'global');
  const exports = exportSpan === undefined ? undefined : readVector(reader(exportSpan), 'export');
  // Appending after the imported and defined globals leaves every existing index unchanged.
  const fuelGlobal = importedGlobals + (globals?.count ?? 0);

  const replaced = new Map<number, Uint8Array>();
  replaced.set(Section.global, appendEntry(globals, fuelGlobalEntry(initialFuel)));
  replaced.set(Section.export, appendEntry(exports, fuelExportEntry(fuelGlobal)));
  const memorySpan = find(Section.memory);
  if (memorySpan !== undefined) replaced.set(Section.memory, capMemories(reader(memorySpan), options.memoryMaxPages));
  const codeSpan = find(Section.code);
  if (codeSpan !== undefined) replaced.set(Section.code, meterCode(reader(codeSpan), fuelCharge(fuelGlobal)));

  return concatBytes(assemble(bytes, sections, replaced));
}

function checkOptions(memoryMaxPages: number, initialFuel: number): void {
  if (!(Number.isInteger(memoryMaxPages) && memoryMaxPages >= 0 && memoryMaxPages <= MAX_MEMORY_PAGES)) {
    throw new RangeError(`memoryMaxPages must be an integer from 0 to ${MAX_MEMORY_PAGES}, got ${memoryMaxPages}`);
  }
  if (!(Number.isInteger(initialFuel) && initialFuel >= 0 && initialFuel <= 0x7fffffff)) {
    throw new RangeError(`initialFuel must be an integer from 0 to ${0x7fffffff}, got ${initialFuel}`);
  }
}

function sectionLabel(id: number): string {
  return `section ${id} (${SECTION_NAMES.get(id) ?? 'unknown'})`;
}

function readSections(bytes: Uint8Array): SectionSpan[] {
  if (bytes.length < HEADER_BYTES) {
    throw new BundleError(`not a WebAssembly module (${bytes.length} bytes, shorter than the 8-byte header)`);
  }
  if (WASM_MAGIC.some((b, i) => bytes[i] !== b)) throw new BundleError('not a WebAssembly module (bad magic)');
  const version = new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getUint32(0, true);
  if (version !== WASM_VERSION) {
    throw new BundleError(`unsupported WebAssembly binary version ${version} (expected ${WASM_VERSION})`);
  }

  const r = new ByteReader(bytes, HEADER_BYTES, bytes.length, 'module');
  const sections: SectionSpan[] = [];
  let lastRank = -1;
  // Each pass consumes at least the id and size bytes, so this ends within bytes.length / 2 passes.
  while (r.remaining > 0) {
    const start = r.offset;
    const id = r.byte();
    const size = r.u32();
    const contentStart = r.offset;
    if (size > r.remaining) throw new BundleError(`${sectionLabel(id)} overruns the module at offset ${start}`);
    r.skip(size);
    if (id !== Section.custom) {
      const rank = SECTION_ORDER.indexOf(id);
      if (rank < 0) throw new BundleError(`unknown section id ${id} at offset ${start}`);
      if (rank <= lastRank) throw new BundleError(`${sectionLabel(id)} at offset ${start} is repeated or out of order`);
      lastRank = rank;
    }
    sections.push({ id, start, contentStart, end: r.offset });
  }
  return sections;
}

/** Writes the module back with `replaced` sections swapped in; ids not in the module are inserted in order. */
function assemble(
  bytes: Uint8Array,
  sections: readonly SectionSpan[],
  replaced: ReadonlyMap<number, Uint8Array>,
): Uint8Array[] {
  const parts: Uint8Array[] = [bytes.subarray(0, HEADER_BYTES)];
  const present = new Set(sections.map((s) => s.id));
  const inserts = SECTION_ORDER.filter((id) => replaced.has(id) && !present.has(id));
  const emit = (id: number, content: Uint8Array) => parts.push(Uint8Array.of(id), encodeU32(content.length), content);
  const flushInsertsBefore = (rank: number) => {
    while (inserts.length > 0 && SECTION_ORDER.indexOf(inserts[0]) < rank) {
      const id = inserts.shift() as number;
      emit(id, replaced.get(id) as Uint8Array);
    }
  };
  for (const section of sections) {
    if (section.id !== Section.custom) flushInsertsBefore(SECTION_ORDER.indexOf(section.id));
    const content = replaced.get(section.id);
    if (content === undefined) parts.push(bytes.subarray(section.start, section.end));
    else emit(section.id, content);
  }
  flushInsertsBefore(SECTION_ORDER.length);
  return parts;
}

function countImportedGlobals(r: ByteReader): number {
  const count = r.count('import');
  let globals = 0;
  for (let i = 0; i < count; i++) {
    r.name();
    r.name();
    const kindAt = r.offset;
    const kind = r.byte();
    switch (kind) {
      case ImportKind.function:
        r.u32();
        break;
      case ImportKind.table:
        r.valueType();
        r.limits();
        break;
      case ImportKind.memory:
        r.limits();
        break;
      case ImportKind.global:
        r.valueType();
        r.byte();
        globals++;
        break;
      default:
        throw new BundleError(`unsupported import kind ${hex(kind)} at offset ${kindAt}`);
    }
  }
  r.expectEnd();
  return globals;
}

const FUEL_EXPORT_NAME = new TextEncoder().encode(FUEL_EXPORT);

function refuseFuelExport(r: ByteReader): void {
  const count = r.count('export');
  for (let i = 0; i < count; i++) {
    const name = r.name();
    r.byte();
    r.u32();
    if (name.length === FUEL_EXPORT_NAME.length && name.every((b, j) => b === FUEL_EXPORT_NAME[j])) {
      throw new BundleError(`the module exports "${FUEL_EXPORT}", a name the node reserves for its fuel counter`);
    }
  }
  r.expectEnd();
}

interface Vector {
  count: number;
  /** The encoded elements, unparsed. */
  elements: Uint8Array;
}

function readVector(r: ByteReader, what: string): Vector {
  const count = r.count(what);
  return { count, elements: r.span(r.offset, r.end) };
}

function appendEntry(vector: Vector | undefined, entry: Uint8Array): Uint8Array {
  if (vector === undefined) return concatBytes([encodeU32(1), entry]);
  return concatBytes([encodeU32(vector.count + 1), vector.elements, entry]);
}

function fuelGlobalEntry(initialFuel: number): Uint8Array {
  return concatBytes([
    Uint8Array.of(VALUE_TYPE_I32, MUTABLE, Op.i32Const),
    encodeS32(initialFuel),
    Uint8Array.of(Op.end),
  ]);
}

function fuelExportEntry(fuelGlobal: number): Uint8Array {
  return concatBytes([
    encodeU32(FUEL_EXPORT_NAME.length),
    FUEL_EXPORT_NAME,
    Uint8Array.of(EXPORT_KIND_GLOBAL),
    encodeU32(fuelGlobal),
  ]);
}

function capMemories(r: ByteReader, maxPages: number): Uint8Array {
  const count = r.count('memory');
  const parts: Uint8Array[] = [encodeU32(count)];
  for (let i = 0; i < count; i++) {
    const at = r.offset;
    const limits = r.limits();
    if (limits.shared) {
      throw new BundleError(`memory ${i} at offset ${at} is shared, which needs threads (not supported)`);
    }
    if (limits.min > maxPages) {
      const mib = maxPages / PAGES_PER_MIB;
      throw new BundleError(
        `the module needs ${limits.min} pages of memory at start, over the limit of ${maxPages} pages (${mib} MiB)`,
      );
    }
    const max = limits.max === undefined ? maxPages : Math.min(limits.max, maxPages);
    parts.push(Uint8Array.of(LIMITS_WITH_MAX), encodeU32(limits.min), encodeU32(max));
  }
  r.expectEnd();
  return concatBytes(parts);
}

/**
 * fuel -= 1; if (fuel < 0) unreachable. The `if` is closed inside the sequence, so it adds
 * no label around the code that follows and relative branch depths stay valid.
 */
function fuelCharge(fuelGlobal: number): Uint8Array {
  const index = encodeU32(fuelGlobal);
  return concatBytes([
    Uint8Array.of(Op.globalGet),
    index,
    Uint8Array.of(Op.i32Const, 1, Op.i32Sub, Op.globalSet),
    index,
    Uint8Array.of(Op.globalGet),
    index,
    Uint8Array.of(Op.i32Const, 0, Op.i32LtS, Op.if, EMPTY_BLOCK_TYPE, Op.unreachable, Op.end),
  ]);
}

function meterCode(r: ByteReader, charge: Uint8Array): Uint8Array {
  const count = r.count('function body');
  const parts: Uint8Array[] = [encodeU32(count)];
  for (let i = 0; i < count; i++) {
    const sizeAt = r.offset;
    const size = r.u32();
    if (size > r.remaining) throw new BundleError(`function body ${i} at offset ${sizeAt} overruns ${r.context}`);
    const body = meterBody(r.window(size, `function body ${i}`), charge);
    parts.push(encodeU32(body.length), body);
  }
  r.expectEnd();
  return concatBytes(parts);
}

function meterBody(r: ByteReader, charge: Uint8Array): Uint8Array {
  const groups = r.count('local declaration');
  for (let i = 0; i < groups; i++) {
    r.u32();
    r.valueType();
  }
  const parts: Uint8Array[] = [r.span(r.start, r.offset), charge];
  let copiedTo = r.offset;
  // Every instruction consumes at least its opcode byte, so this ends within the body's size.
  while (r.remaining > 0) {
    if (readInstruction(r) === Op.loop) {
      parts.push(r.span(copiedTo, r.offset), charge);
      copiedTo = r.offset;
    }
  }
  parts.push(r.span(copiedTo, r.end));
  return concatBytes(parts);
}
