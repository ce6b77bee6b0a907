import type { ParamValue } from './configTypes.ts';

/**
 * The text handed to algo_init: one `key=value` line per `[deploy.X].params` entry, in
 * file order. Numbers are written as their shortest decimal text (a TOML `0.01` arrives
 * as "0.01"), booleans as true/false, strings as they are (the config refuses newlines in
 * them, so every line is one entry).
 */
export function paramsText(params: Record<string, ParamValue>): string {
  let text = '';
  for (const [key, value] of Object.entries(params)) text += `${key}=${String(value)}\n`;
  return text;
}
