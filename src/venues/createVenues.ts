import type { NodeConfig } from '../node/configTypes.ts';
import { FairPriceBook } from './sim/fairPrice.ts';
import { SimVenue } from './sim/simVenue.ts';
import type { Venue } from './venue.ts';

export class VenueUnavailableError extends Error {}

/**
 * Builds the venues a config declares and its deployments use. The sim venues of one run
 * share one fair-price book, seeded by `[node] seed`, so cross-venue algorithms have a
 * common price to trade around.
 */
export function createVenues(config: NodeConfig): Venue[] {
  const used = new Set(config.deployments.map((d) => d.venue));
  const fairPrices = new FairPriceBook(config.node.seed);
  const venues: Venue[] = [];
  for (const vc of config.venues) {
    if (!used.has(vc.name)) continue;
    if (vc.kind === 'sim') {
      venues.push(new SimVenue(vc, fairPrices));
      continue;
    }
    throw new VenueUnavailableError(
      `venue "${vc.name}" is kind = "${vc.kind}": live ${vc.kind} trading is not in this build yet; ` +
        `use kind = "sim" (see README.md, "Limits")`,
    );
  }
  return venues;
}
