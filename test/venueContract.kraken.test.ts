import { Secret } from '../src/venues/credentials.ts';
import { KrakenEmulator } from '../src/venues/kraken/emulator/krakenEmulator.ts';
import { krakenClientOrderId } from '../src/venues/kraken/krakenClientId.ts';
import { KrakenVenue } from '../src/venues/kraken/krakenVenue.ts';
import { runVenueContract } from './support/venueContract.ts';

// The venue contract against the real Kraken adapter pointed at the Kraken emulator, once
// with orders over the private WebSocket (the default) and once over REST.

const apiKey = 'contractKey';
const secret = Buffer.alloc(64, 5).toString('base64');

for (const orderEntry of ['ws', 'rest'] as const) {
runVenueContract(
  `kraken (emulator, order entry over ${orderEntry === 'ws' ? 'the private WebSocket' : 'REST'})`,
  async () => {
    const emulator = new KrakenEmulator({ credentials: { apiKey, secret }, seed: 21 });
    const urls = await emulator.start();
    const venue = new KrakenVenue(
      {
        kind: 'kraken',
        name: 'kraken',
        ...urls,
        depth: 10,
        deadManTimeoutSec: 60,
        orderEntry,
        rateLimitBurst: 50,
        rateLimitPerSec: 50,
        unknownOrders: 'leave',
      },
      ['BTC/USD'],
      { apiKey: new Secret(apiKey), secret: new Secret(secret) },
      { pingIntervalMs: 1000, backoffMinMs: 50, backoffMaxMs: 500, lostAckCheckMs: 3000 },
    );
    return {
      venue,
      symbol: 'BTC/USD',
      qty1e8: 100_000,
      invalidQty1e8: 1_000,
      faults: {
        dropConnections: () => emulator.dropConnections(),
        loseNextOrderAck: () => emulator.loseNextOrderAck(),
        rateLimitNext: (n) => emulator.rateLimitNext(n),
        fillWhileDisconnected: (clientOrderId) => emulator.fillWhileDisconnected(krakenClientOrderId(clientOrderId)),
      },
      close: () => emulator.stop(),
    };
  },
  { linkFaults: true },
);
}
