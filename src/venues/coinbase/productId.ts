// The node names markets the ccxt way ('BTC/USD'); Coinbase Advanced Trade names the same
// product 'BTC-USD'. Both directions refuse anything that is not exactly BASE and QUOTE
// of upper-case letters and digits, so a typo fails at configuration, not as a
// subscription the venue silently never answers.

export class ProductIdError extends Error {}

const NODE_SYMBOL = /^[A-Z0-9]+\/[A-Z0-9]+$/;
const PRODUCT_ID = /^[A-Z0-9]+-[A-Z0-9]+$/;

/** 'BTC/USD' -> 'BTC-USD'. */
export function toProductId(symbol: string): string {
  if (!NODE_SYMBOL.test(symbol)) throw new ProductIdError(`not a node symbol (BASE/QUOTE, upper case): "${symbol}"`);
  return symbol.replace('/', '-');
}

/** 'BTC-USD' -> 'BTC/USD'. */
export function toNodeSymbol(productId: string): string {
  if (!PRODUCT_ID.test(productId)) throw new ProductIdError(`not a Coinbase product id (BASE-QUOTE, upper case): "${productId}"`);
  return productId.replace('-', '/');
}
