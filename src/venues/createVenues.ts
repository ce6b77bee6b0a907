import type { NodeConfig } from '../node/configTypes.ts';
import type { MarketRecording } from '../node/marketRecording.ts';
import type { CoinbaseVenue } from './coinbase/coinbaseVenue.ts';
import { coinbaseCredentials, krakenCredentials } from './credentials.ts';
import type { KrakenVenue } from './kraken/krakenVenue.ts';
import { FairPriceBook } from './sim/fairPrice.ts';
import { SimVenue } from './sim/simVenue.ts';
import type { Venue } from './venue.ts';

/**
 * Builds the venues a config declares and its deployments use. The sim venues of one run
 * share one fair-price book, seeded by `[node] seed`, so cross-venue algorithms have a
 * common price to trade around. A live venue subscribes to the symbols its deployments
 * trade and reads its API key from the environment now, so a missing or malformed key
 * stops the start with the variable's name (CredentialError) before anything connects.
 * The live adapters are loaded only when a config uses them: their order path brings in
 * ccxt, about 75 MB of a process's memory, which a node on sim venues never needs.
 */
export async function createVenues(config: NodeConfig, env: Readonly<Record<string, string | undefined>> = process.env, recording: MarketRecording | null = null): Promise<Venue[]> {
  const used = new Set(config.deployments.map((d) => d.venue));
  const fairPrices = new FairPriceBook(config.node.seed);
  const venues: Venue[] = [];
  for (const vc of config.venues) {
    if (!used.has(vc.name)) continue;
    const symbols = [...new Set(config.deployments.filter((d) => d.venue === vc.name).flatMap((d) => d.symbols))].sort();
    switch (vc.kind) {
      case 'sim':
        venues.push(new SimVenue(vc, fairPrices));
        break;
      case 'kraken': {
        // The tap reads the venue's metadata at the first frame, when start() has loaded it.
        const info = { name: vc.name, kind: vc.kind, depth: vc.depth, symbols, symbolMeta: (s: string) => venue.symbolMeta(s) };
        const credentials = krakenCredentials(env);
        const { KrakenVenue } = await import('./kraken/krakenVenue.ts');
        const venue: KrakenVenue = new KrakenVenue(vc, symbols, credentials, { onFrame: recording?.tapFor(info) });
        venues.push(venue);
        break;
      }
      case 'coinbase': {
        const info = { name: vc.name, kind: vc.kind, depth: 0, symbols, symbolMeta: (s: string) => venue.symbolMeta(s) };
        const credentials = coinbaseCredentials(env);
        const { CoinbaseVenue } = await import('./coinbase/coinbaseVenue.ts');
        const venue: CoinbaseVenue = new CoinbaseVenue(vc, symbols, credentials, { onFrame: recording?.tapFor(info) });
        venues.push(venue);
        break;
      }
    }
  }
  return venues;
}
