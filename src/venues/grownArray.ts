type NumberArray = Float64Array | Int32Array | Uint32Array | Uint8Array;

/** A copy of a decoder's or book's typed array at a larger size (the bounded doubling their buffers use). */
export function grownArray<T extends NumberArray>(old: T, size: number): T {
  const next = new (old.constructor as new (length: number) => T)(size);
  next.set(old);
  return next;
}
