import { loadBundle } from '../wasm/loader.ts';
import type { NodeConfig } from './configTypes.ts';

/** ABI exports this build of the node calls when a bundle has them (all it defines). */
export const WIRED_EXPORTS: ReadonlySet<string> = new Set([
  'algo_alloc',
  'algo_on_book',
  'algo_on_fill',
  'algo_on_reject',
  'algo_on_shutdown',
  'algo_init',
  'algo_on_message',
  'algo_on_nbbo',
  'algo_on_heartbeat',
  'algo_on_node_status',
  'algo_on_kill_switch',
]);

/**
 * `sequence deploy --check`: loads every deployment's bundle through the same checks as
 * `run` (throws the first refusal) and describes what would run.
 */
export function checkDeployments(config: NodeConfig): string {
  let out = `${config.file}: ${config.deployments.length} deployment(s) OK\n`;
  for (const d of config.deployments) {
    const bundle = loadBundle(d.bundle, { memoryMaxMib: d.memoryMaxMib, callbackDeadlineMs: d.callbackDeadlineMs });
    const wired = bundle.abiExports.filter((e) => WIRED_EXPORTS.has(e));
    const unwired = bundle.abiExports.filter((e) => !WIRED_EXPORTS.has(e));
    const venue = config.venues.find((v) => v.name === d.venue);
    out += `\n[deploy.${d.name}]\n`;
    out += `  label     ${d.label}\n`;
    out += `  venue     ${d.venue} (${venue?.kind})\n`;
    out += `  symbols   ${d.symbols.join(', ')}\n`;
    out += `  bundle    ${d.bundle} (${bundle.sizeBytes} bytes)\n`;
    out += `  limits    callback deadline ${d.callbackDeadlineMs} ms, memory ${d.memoryMaxMib} MiB\n`;
    out += `  found     ${bundle.abiExports.join(', ')}\n`;
    out += `  wired     ${wired.join(', ')}\n`;
    if (unwired.length > 0) out += `  not wired ${unwired.join(', ')}\n`;
  }
  return out;
}
