// smol-toml returns plain objects with no source positions, so a config error could not say
// where to look. This scanner reads the TOML text once and records the line on which each
// table header and each key is written, so an error can point at its line. It only needs to
// understand TOML's line structure (headers, keys, strings, arrays that span lines); values
// are validated elsewhere, and the text has already been accepted by the real parser.

export interface TomlLocator {
  /**
   * The 1-based line of a dotted key path. A path with no line of its own (a missing key,
   * a key inside an inline table, an implicit table) falls back to the line of its nearest
   * recorded ancestor, usually the table header, and finally to line 1.
   */
  lineOf(path: readonly string[]): number;
}

interface Position {
  line: number;
  /** Implied by a longer header or dotted key rather than written out; written beats implied. */
  implied: boolean;
}

interface ScanState {
  /** The closing delimiter of a multi-line string still open at the end of a line. */
  openString: '"""' | "'''" | null;
  /** Unclosed [ and { of a value continuing on later lines. */
  depth: number;
}

const PATH_SEPARATOR = '\u0000';

export function locateToml(text: string): TomlLocator {
  const positions = new Map<string, Position>();
  const record = (path: readonly string[], line: number): void => {
    for (let len = 1; len <= path.length; len++) {
      const key = path.slice(0, len).join(PATH_SEPARATOR);
      const implied = len < path.length;
      const existing = positions.get(key);
      if (existing === undefined || (existing.implied && !implied)) positions.set(key, { line, implied });
    }
  };

  const lines = text.split(/\r?\n/);
  const state: ScanState = { openString: null, depth: 0 };
  let table: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    const lineNumber = index + 1;
    let pos = 0;
    if (state.openString !== null) {
      const end = findStringEnd(line, 0, state.openString);
      if (end < 0) continue;
      state.openString = null;
      pos = end;
    }
    if (state.depth > 0 || pos > 0) {
      scanValue(line, pos, state);
      continue;
    }
    pos = skipSpaces(line, 0);
    if (pos >= line.length || line[pos] === '#') continue;
    if (line[pos] === '[') {
      const arrayOfTables = line[pos + 1] === '[';
      const header = readKeyPath(line, pos + (arrayOfTables ? 2 : 1));
      if (header === null) continue;
      table = header.path;
      record(table, lineNumber);
      continue;
    }
    const key = readKeyPath(line, pos);
    if (key === null) continue;
    const eq = skipSpaces(line, key.end);
    if (line[eq] !== '=') continue;
    record([...table, ...key.path], lineNumber);
    scanValue(line, eq + 1, state);
  }

  return {
    lineOf(path: readonly string[]): number {
      for (let len = path.length; len > 0; len--) {
        const found = positions.get(path.slice(0, len).join(PATH_SEPARATOR));
        if (found !== undefined) return found.line;
      }
      return 1;
    },
  };
}

function skipSpaces(line: string, pos: number): number {
  while (pos < line.length && (line[pos] === ' ' || line[pos] === '\t')) pos++;
  return pos;
}

const BARE_KEY_CHAR = /[A-Za-z0-9_-]/;

/** Reads `a."b.c".'d'` starting at pos; null when the line does not start with a key. */
function readKeyPath(line: string, pos: number): { path: string[]; end: number } | null {
  const path: string[] = [];
  for (;;) {
    pos = skipSpaces(line, pos);
    const part = readKeyPart(line, pos);
    if (part === null) return null;
    path.push(part.text);
    pos = skipSpaces(line, part.end);
    if (line[pos] !== '.') return { path, end: pos };
    pos++;
  }
}

function readKeyPart(line: string, pos: number): { text: string; end: number } | null {
  const quote = line[pos];
  if (quote === '"') return readBasicString(line, pos + 1);
  if (quote === "'") {
    const close = line.indexOf("'", pos + 1);
    return close < 0 ? null : { text: line.slice(pos + 1, close), end: close + 1 };
  }
  let end = pos;
  while (end < line.length && BARE_KEY_CHAR.test(line[end])) end++;
  return end === pos ? null : { text: line.slice(pos, end), end };
}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\u001b', '"': '"', '\\': '\\' };

/** Decodes a one-line basic string whose opening quote is just before pos. */
function readBasicString(line: string, pos: number): { text: string; end: number } | null {
  let text = '';
  while (pos < line.length) {
    const c = line[pos];
    if (c === '"') return { text, end: pos + 1 };
    if (c !== '\\') {
      text += c;
      pos++;
      continue;
    }
    const escape = line[pos + 1];
    const hexDigits = escape === 'u' ? 4 : escape === 'U' ? 8 : escape === 'x' ? 2 : 0;
    if (hexDigits > 0) {
      const code = Number.parseInt(line.slice(pos + 2, pos + 2 + hexDigits), 16);
      if (!Number.isInteger(code) || code > 0x10ffff) return null;
      text += String.fromCodePoint(code);
      pos += 2 + hexDigits;
      continue;
    }
    const simple = SIMPLE_ESCAPES[escape];
    if (simple === undefined) return null;
    text += simple;
    pos += 2;
  }
  return null;
}

/**
 * Index just past the closing delimiter of a string that started before pos, or -1 when it
 * does not close on this line. Basic strings honour backslash escapes; literal ones do not.
 */
function findStringEnd(line: string, pos: number, delimiter: string): number {
  const escapes = delimiter[0] === '"';
  while (pos < line.length) {
    if (escapes && line[pos] === '\\') {
      pos += 2;
      continue;
    }
    if (line.startsWith(delimiter, pos)) {
      let end = pos + delimiter.length;
      // A multi-line string may end with one or two quotes of its own right before the delimiter.
      while (delimiter.length === 3 && line[end] === delimiter[0] && end < pos + 5) end++;
      return end;
    }
    pos++;
  }
  return -1;
}

/** Follows strings, brackets and comments in a value so continuation lines are not read as keys. */
function scanValue(line: string, pos: number, state: ScanState): void {
  while (pos < line.length) {
    const c = line[pos];
    if (c === '#') return;
    if (c === '"' || c === "'") {
      const multiLine = line.startsWith(c.repeat(3), pos);
      const delimiter = multiLine ? c.repeat(3) : c;
      const end = findStringEnd(line, pos + delimiter.length, delimiter);
      if (end < 0) {
        if (multiLine) state.openString = delimiter as '"""' | "'''";
        return;
      }
      pos = end;
      continue;
    }
    if (c === '[' || c === '{') state.depth++;
    else if ((c === ']' || c === '}') && state.depth > 0) state.depth--;
    pos++;
  }
}
