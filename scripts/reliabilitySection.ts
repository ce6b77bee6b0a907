import { readFileSync, writeFileSync } from 'node:fs';

// RELIABILITY.md holds one generated section per harness (the fault soak, the load soak),
// each between its own markers, so regenerating one leaves the others as they were.

export function writeReliabilitySection(file: string, name: string, section: string): void {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  let doc: string;
  try {
    doc = readFileSync(file, 'utf8');
  } catch {
    doc = '# Reliability\n\nEach section below is written by the harness that produced it; none of it is typed by hand.\n';
  }
  const block = `${begin}\n${section.trimEnd()}\n${end}`;
  const at = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  const next = at >= 0 && stop > at ? doc.slice(0, at) + block + doc.slice(stop + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
