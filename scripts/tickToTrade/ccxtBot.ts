import ccxt from 'ccxt';

// The baseline of the tick-to-trade benchmark: the example maker's quoting rule written as
// the plain TypeScript script a user would otherwise write with ccxt, run as its own
// process (as the node is). ccxt.pro's watchOrderBook gives the book, ccxt's createOrder
// and cancelOrder trade: one post-only bid and one post-only ask around the mid, each
// cancelled and placed again when its price moves `requoteTicks` ticks or more, bid first.
//
//   node --import tsx scripts/tickToTrade/ccxtBot.ts '<json BotConfig>'
//
// with KRAKEN_API_KEY and KRAKEN_API_SECRET in the environment. It runs until killed; any
// error ends it with a message on stderr and exit code 1.

export interface BotConfig {
  restUrl: string;
  wsUrl: string;
  symbol: string;
  spreadBps: number;
  /** Base asset per quote, a decimal string. */
  quoteQty: string;
  requoteTicks: number;
}

interface Quote {
  id: string;
  price: number;
}

/** The maker's rule in floats: bid and ask in whole ticks for a top of book. */
function quotePrices(bestBid: number, bestAsk: number, tick: number, spreadBps: number): { bid: number; ask: number } {
  const mid = (bestBid + bestAsk) / 2;
  const half = (mid * spreadBps) / 20_000;
  // A hair of slack so that a price already on the grid is not pushed off it by float error.
  return { bid: Math.floor((mid - half) / tick + 1e-9) * tick, ask: Math.ceil((mid + half) / tick - 1e-9) * tick };
}

function parseConfig(text: string | undefined): BotConfig {
  if (text === undefined) throw new Error('usage: ccxtBot.ts <json config: restUrl, wsUrl, symbol, spreadBps, quoteQty, requoteTicks>');
  const c = JSON.parse(text) as BotConfig;
  for (const key of ['restUrl', 'wsUrl', 'symbol', 'quoteQty'] as const) if (typeof c[key] !== 'string') throw new Error(`bot config: ${key} must be a string`);
  for (const key of ['spreadBps', 'requoteTicks'] as const) if (!(typeof c[key] === 'number' && c[key] >= 0)) throw new Error(`bot config: ${key} must be a number >= 0`);
  return c;
}

async function main(): Promise<void> {
  const config = parseConfig(process.argv[2]);
  const exchange = new ccxt.pro.kraken({
    apiKey: process.env.KRAKEN_API_KEY,
    secret: process.env.KRAKEN_API_SECRET,
    enableRateLimit: false,
  });
  exchange.urls.api = { ...exchange.urls.api, public: config.restUrl, private: config.restUrl };
  exchange.urls.api.ws.publicV2 = config.wsUrl;
  // Kraken refuses a nonce that does not increase; ccxt's default is the millisecond, and
  // a cancel and an order often leave within one.
  let lastNonce = 0;
  exchange.nonce = () => (lastNonce = Math.max(lastNonce + 1, Date.now()));
  // ccxt refuses a plain ws:// URL until it holds an http.Agent for it.
  await exchange.loadHttpProxyAgent();
  await exchange.loadMarkets();
  const market = exchange.market(config.symbol);
  const tick = Number(market.precision.price);
  const qty = Number(config.quoteQty);
  let bid: Quote | null = null;
  let ask: Quote | null = null;
  const requote = async (side: 'buy' | 'sell', live: Quote | null, price: number): Promise<Quote> => {
    if (live !== null && Math.abs(live.price - price) < config.requoteTicks * tick - tick / 2) return live;
    if (live !== null) await exchange.cancelOrder(live.id, config.symbol);
    const order = await exchange.createOrder(config.symbol, 'limit', side, qty, price, { postOnly: true });
    if (typeof order.id !== 'string') throw new Error(`createOrder returned no order id: ${JSON.stringify(order.info)}`);
    return { id: order.id, price };
  };
  for (;;) {
    const book = await exchange.watchOrderBook(config.symbol, 10);
    const bestBid = book.bids[0]?.[0];
    const bestAsk = book.asks[0]?.[0];
    if (bestBid === undefined || bestAsk === undefined) continue;
    const { bid: bidPx, ask: askPx } = quotePrices(bestBid, bestAsk, tick, config.spreadBps);
    bid = await requote('buy', bid, bidPx);
    ask = await requote('sell', ask, askPx);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`ccxt bot: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
