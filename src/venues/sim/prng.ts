// The sim venue's only source of randomness. xoshiro128** runs entirely in 32-bit integer
// arithmetic, so a seed draws the same sequence on every platform and every run; that is
// what makes a simulated session replayable and its tests exact.

const TWO_POW_32 = 4_294_967_296;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Mixes a seed and a label (a symbol, a venue name) into one 32-bit seed, so each stream is independent. */
export function seedFor(seed: number, label: string): number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`a seed must be a safe integer, got ${seed}`);
  // FNV-1a over the seed's two 32-bit halves and the label's UTF-16 code units.
  let h = 0x811c9dc5;
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  for (let shift = 0; shift < 32; shift += 8) {
    h = Math.imul(h ^ ((lo >>> shift) & 0xff), 0x01000193);
    h = Math.imul(h ^ ((hi >>> shift) & 0xff), 0x01000193);
  }
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Prng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Box–Muller yields normals in pairs; the second waits here. */
  private spareNormal = 0;
  private hasSpareNormal = false;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`a seed must be a safe integer, got ${seed}`);
    // splitmix32 spreads a small or patterned seed over the whole 128-bit state.
    let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32) >>> 0, 0x9e3779b9);
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // The all-zero state is the one state xoshiro never leaves.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform integer in [0, 2^32). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** A uniform integer in [0, n), for 1 <= n <= 2^32. */
  intBelow(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) throw new RangeError(`intBelow needs an integer in [1, 2^32], got ${n}`);
    return Math.floor(this.nextFloat() * n);
  }

  /** A standard normal draw (mean 0, standard deviation 1). */
  normal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      return this.spareNormal;
    }
    // 1 - u keeps the logarithm's argument in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - this.nextFloat()));
    const theta = 2 * Math.PI * this.nextFloat();
    this.spareNormal = r * Math.sin(theta);
    this.hasSpareNormal = true;
    return r * Math.cos(theta);
  }

  /** The wait until the next event of a Poisson process with `rate` events per unit time; Infinity when rate is 0. */
  exponential(rate: number): number {
    if (!(rate >= 0) || rate === Infinity) throw new RangeError(`an exponential rate must be finite and >= 0, got ${rate}`);
    if (rate === 0) return Infinity;
    return -Math.log(1 - this.nextFloat()) / rate;
  }
}
