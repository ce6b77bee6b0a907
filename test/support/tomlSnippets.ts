// Sequence.toml pieces the engine-level tests assemble their configs from.

/** A sim venue trading BTC/USD from 60000 on a 0.1 tick and a 0.0001 lot. */
export function simVenue(name: string, settings: { seed?: number; spreadBps?: number; takerRateHz?: number } = {}): string {
  return `
[venues.${name}]
kind = "sim"
seed = ${settings.seed ?? 1}
spread_bps = ${settings.spreadBps ?? 4}
taker_rate_hz = ${settings.takerRateHz ?? 40}

[venues.${name}.markets."BTC/USD"]
start_price = "60000"
tick_size = "0.1"
lot_size = "0.0001"
`;
}

/** A deployment of `bundle` labelled and named `label`, on `venue`, trading BTC/USD; `extra` lines go in its table. */
export function deployment(label: string, venue: string, bundle: string, extra = ''): string {
  return `
[deploy.${label}]
venue = "${venue}"
label = "${label}"
symbols = ["BTC/USD"]
bundle = "${bundle}"
${extra}
`;
}
