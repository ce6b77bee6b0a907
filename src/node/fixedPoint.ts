// Money is integers: prices px_1e9 (price x 10^9), quantities qty_1e8 (x 10^8), as in the
// algorithm ABI. Venue and config decimals go from their text straight to scaled integers,
// never through a float. A JS number holds these exactly up to 2^53 (a price up to about
// 9,000,000 and a quantity up to about 90,000,000); parseDecimal refuses anything larger.

export const PX_SCALE = 1_000_000_000;
export const QTY_SCALE = 100_000_000;
export const PX_DECIMALS = 9;
export const QTY_DECIMALS = 8;

export class DecimalError extends Error {}

/**
 * Parses a plain decimal text ("45283.5", "0.10000000", "-2", "1e-5" is refused) into an
 * integer scaled by 10^decimals. Digits beyond the scale must be zeros: a value that
 * cannot be represented exactly is an error, not a silent rounding.
 */
export function parseDecimal(text: string, decimals: number): number {
  const len = text.length;
  let i = 0;
  let negative = false;
  if (len > 0 && (text.charCodeAt(0) === 45 /* - */ || text.charCodeAt(0) === 43 /* + */)) {
    negative = text.charCodeAt(0) === 45;
    i = 1;
  }
  if (i >= len) throw new DecimalError(`not a decimal number: "${text}"`);
  let value = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (fraction >= 0) throw new DecimalError(`not a decimal number: "${text}"`);
      fraction = 0;
      continue;
    }
    if (c < 48 || c > 57) throw new DecimalError(`not a decimal number: "${text}"`);
    digits++;
    if (fraction >= 0) {
      fraction++;
      if (fraction > decimals) {
        if (c !== 48) throw new DecimalError(`"${text}" has more than ${decimals} decimal places`);
        continue;
      }
    }
    value = value * 10 + (c - 48);
  }
  if (digits === 0) throw new DecimalError(`not a decimal number: "${text}"`);
  const places = fraction < 0 ? 0 : Math.min(fraction, decimals);
  value *= POW10[decimals - places];
  if (!Number.isSafeInteger(value)) throw new DecimalError(`"${text}" is too large for a ${decimals}-decimal fixed-point value`);
  return negative ? -value : value;
}

/** Formats a scaled integer as decimal text with exactly `places` decimals (places <= decimals). */
export function formatDecimal(value: number, decimals: number, places: number = decimals): string {
  if (!Number.isSafeInteger(value)) throw new DecimalError(`not a safe integer: ${value}`);
  const negative = value < 0;
  const abs = negative ? -value : value;
  const unit = POW10[decimals];
  const whole = Math.floor(abs / unit);
  let frac = abs - whole * unit;
  let fracText = '';
  if (places > 0) {
    frac = Math.floor(frac / POW10[decimals - places]);
    fracText = '.' + String(frac).padStart(places, '0');
  }
  return (negative ? '-' : '') + String(whole) + fracText;
}

/** Trims trailing zeros from formatDecimal's output, for logs and the UI. */
export function formatDecimalShort(value: number, decimals: number): string {
  const text = formatDecimal(value, decimals);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

export const POW10: readonly number[] = Array.from({ length: 19 }, (_, i) => 10 ** i);

/**
 * a * b / divisor, truncated toward zero, exact for any safe-integer inputs. Takes the
 * plain path when the product is exactly representable and BigInt only when it is not.
 */
export function mulDiv(a: number, b: number, divisor: number): number {
  const product = a * b;
  if (Number.isSafeInteger(product)) return Math.trunc(product / divisor);
  const wide = (BigInt(a) * BigInt(b)) / BigInt(divisor);
  return Number(wide);
}

/** Notional of a quantity at a price, in px_1e9 units (price x qty, scaled 10^9). */
export function notional1e9(px1e9: number, qty1e8: number): number {
  return mulDiv(px1e9, qty1e8, QTY_SCALE);
}
