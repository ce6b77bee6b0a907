import { generateKeyPairSync } from 'node:crypto';
import type { CoinbaseVenueConfig } from '../src/node/configTypes.ts';
import { CoinbaseVenue } from '../src/venues/coinbase/coinbaseVenue.ts';
import { CoinbaseEmulator } from '../src/venues/coinbase/emulator/coinbaseEmulator.ts';
import { Secret } from '../src/venues/credentials.ts';
import { runVenueContract } from './support/venueContract.ts';

const KEY_NAME = 'organizations/org-1/apiKeys/contract';
const PEM = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
const PX = 1_000_000_000;

runVenueContract(
  'coinbase (adapter against the emulator)',
  async () => {
    const emulator = new CoinbaseEmulator({
      credentials: { keyName: KEY_NAME, keyPem: PEM },
      seed: 3,
      // A minimum above one lot, so the suite has a quantity the venue refuses.
      markets: [{ symbol: 'BTC/USD', startPrice1e9: 60_000 * PX, tickSize1e9: PX / 100, lotSize1e8: 1, minQty1e8: 10_000 }],
    });
    const urls = await emulator.start();
    const config: CoinbaseVenueConfig = { kind: 'coinbase', name: 'coinbase', ...urls, rateLimitBurst: 50, rateLimitPerSec: 50, unknownOrders: 'leave' };
    const venue = new CoinbaseVenue(config, ['BTC/USD'], { keyName: new Secret(KEY_NAME), privateKeyPem: new Secret(PEM) }, { restTimeoutMs: 2_000, reconnectMinMs: 50, reconnectMaxMs: 500 });
    return {
      venue,
      symbol: 'BTC/USD',
      qty1e8: 100_000,
      invalidQty1e8: 1,
      faults: {
        dropConnections: () => emulator.dropConnections(),
        loseNextOrderAck: () => emulator.loseNextOrderAck(),
        rateLimitNext: (n) => emulator.rateLimitNext(n),
        fillWhileDisconnected: (clientOrderId) => emulator.fillWhileDisconnected(clientOrderId),
      },
      close: () => emulator.stop(),
    };
  },
  { linkFaults: true },
);
