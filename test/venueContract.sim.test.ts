import type { SimVenueConfig } from '../src/node/configTypes.ts';
import { FairPriceBook } from '../src/venues/sim/fairPrice.ts';
import { SimVenue } from '../src/venues/sim/simVenue.ts';
import { runVenueContract } from './support/venueContract.ts';

const PX = 1_000_000_000;
const QTY = 100_000_000;

const config: SimVenueConfig = {
  kind: 'sim',
  name: 'sim',
  seed: 5,
  volatilityBps: 1,
  spreadBps: 4,
  depthLevels: 10,
  tickIntervalMs: 20,
  takerRateHz: 2,
  makerFeeBps: 0,
  takerFeeBps: 5,
  markets: [{ symbol: 'BTC/USD', startPrice1e9: 60_000 * PX, tickSize1e9: PX / 100, lotSize1e8: QTY / 10_000, minQty1e8: QTY / 1_000 }],
};

runVenueContract('sim venue', async () => ({
  venue: new SimVenue(config, new FairPriceBook(config.seed)),
  symbol: 'BTC/USD',
  qty1e8: QTY / 100,
  invalidQty1e8: QTY / 10_000,
  close: async () => {},
}));
