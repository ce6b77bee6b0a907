/**
 * Times `batches` runs of `batchSize` calls of `op` with process.hrtime and returns the
 * mean cost of one call in each batch, in ns: costs far below a timer's resolution become
 * measurable, and the spread across batches still shows the tail.
 */
export function timeBatches(batches: number, batchSize: number, op: (i: number) => void): number[] {
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batchSize; i++) op(i);
    samples.push(Number(process.hrtime.bigint() - t0) / batchSize);
  }
  return samples;
}
