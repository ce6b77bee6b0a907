// Deployment parameters ([deploy.X].params in Sequence.toml). The node passes them once, to
// algo_init, as UTF-8 `key=value` lines separated by "\n": numbers as decimal text ("6",
// "0.01", "-3.5"), booleans as "true"/"false", strings raw. A value that does not parse as
// the type asked for aborts the instance with a message naming the key: a misconfigured
// algorithm must not trade.

export class Params {
  private values: Map<string, string> = new Map<string, string>();

  /** Parses the host's text; a line without "=" is an error. */
  static parse(text: string): Params {
    const params = new Params();
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i];
      if (line.endsWith("\r")) line = line.slice(0, line.length - 1);
      if (line.trim().length == 0) continue;
      const eq = line.indexOf("=");
      if (eq <= 0) throw new Error("params: line " + (i + 1).toString() + " is not key=value: " + line);
      params.values.set(line.slice(0, eq).trim(), line.slice(eq + 1));
    }
    return params;
  }

  has(key: string): bool {
    return this.values.has(key);
  }

  getString(key: string, fallback: string): string {
    return this.values.has(key) ? this.values.get(key) : fallback;
  }

  getBool(key: string, fallback: bool): bool {
    if (!this.values.has(key)) return fallback;
    const text = this.values.get(key).trim();
    if (text == "true") return true;
    if (text == "false") return false;
    throw new Error("param " + key + ": expected true or false, got \"" + text + "\"");
  }

  /** A whole number; "6" and "-3" parse, "0.5" and "6x" are errors. */
  getInt(key: string, fallback: i64): i64 {
    if (!this.values.has(key)) return fallback;
    return parseFixed(key, this.values.get(key).trim(), 0);
  }

  /**
   * A decimal scaled to an integer with `decimals` places, without going through a float:
   * getFixed("quote_qty", 8, 0) of "0.01" is 1_000_000. Digits beyond `decimals` must be
   * zeros; a value that cannot be represented exactly is an error, not a rounding.
   */
  getFixed(key: string, decimals: i32, fallback: i64): i64 {
    if (!this.values.has(key)) return fallback;
    return parseFixed(key, this.values.get(key).trim(), decimals);
  }
}

const MAX_DECIMALS: i32 = 18;

function parseFixed(key: string, text: string, decimals: i32): i64 {
  if (decimals < 0 || decimals > MAX_DECIMALS) {
    throw new Error("param " + key + ": decimals must be 0.." + MAX_DECIMALS.toString());
  }
  let i = 0;
  let negative = false;
  if (text.length > 0 && (text.charCodeAt(0) == 45 || text.charCodeAt(0) == 43)) {
    negative = text.charCodeAt(0) == 45;
    i = 1;
  }
  // Accumulate the magnitude as a negative number: i64's range reaches one further below
  // zero, and every overflow check stays one comparison.
  let value: i64 = 0;
  let digits = 0;
  let places = -1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c == 46 && places < 0) {
      places = 0;
      continue;
    }
    if (c < 48 || c > 57) throw new Error(notANumber(key, text, decimals));
    digits++;
    if (places >= 0) {
      places++;
      if (places > decimals) {
        if (c != 48) throw new Error("param " + key + ": \"" + text + "\" has more than " + decimals.toString() + " decimal places");
        continue;
      }
    }
    value = accumulate(key, text, value, <i64>(c - 48));
  }
  if (digits == 0) throw new Error(notANumber(key, text, decimals));
  for (let scale = places < 0 ? decimals : decimals - places; scale > 0; scale--) {
    value = accumulate(key, text, value, 0);
  }
  if (!negative) {
    if (value == i64.MIN_VALUE) throw new Error(tooLarge(key, text));
    return -value;
  }
  return value;
}

function accumulate(key: string, text: string, value: i64, digit: i64): i64 {
  if (value < (i64.MIN_VALUE + digit) / 10) throw new Error(tooLarge(key, text));
  return value * 10 - digit;
}

// The messages are built apart from the `throw new Error(...)`: AssemblyScript hands abort
// the message only when the thrown expression is a `new Error(message)`.
function notANumber(key: string, text: string, decimals: i32): string {
  const kind = decimals == 0 ? "a whole number" : "a decimal number";
  return "param " + key + ": expected " + kind + ", got \"" + text + "\"";
}

function tooLarge(key: string, text: string): string {
  return "param " + key + ": \"" + text + "\" is out of range";
}
