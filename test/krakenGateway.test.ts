import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { RejectCode } from '../src/wasm/abi.ts';
import { Secret } from '../src/venues/credentials.ts';
import { KrakenGateway } from '../src/venues/kraken/krakenGateway.ts';

const secret = Buffer.alloc(64, 8).toString('base64');
const gateway = new KrakenGateway({ restUrl: 'http://127.0.0.1:1', credentials: { apiKey: new Secret('gatewayKey'), secret: new Secret(secret) } });
const envelope = (text: string) => `kraken {"error":["${text}"]}`;

describe('Kraken gateway error mapping', () => {
  it('maps the venue rate-limit answers to RATE_LIMIT with the venue text', () => {
    expect(gateway.failureFor(new ccxt.DDoSProtection(envelope('EOrder:Rate limit exceeded')))).toMatchObject({ code: RejectCode.RateLimit, reason: 'EOrder:Rate limit exceeded', rateLimited: true, unknownOutcome: false });
    expect(gateway.failureFor(new ccxt.RateLimitExceeded(envelope('EAPI:Rate limit exceeded')))).toMatchObject({ code: RejectCode.RateLimit, rateLimited: true });
  });

  it('maps funds, order, auth and status errors to their reject codes', () => {
    expect(gateway.failureFor(new ccxt.InsufficientFunds(envelope('EOrder:Insufficient funds')))).toMatchObject({ code: RejectCode.InsufficientBalance, reason: 'EOrder:Insufficient funds' });
    expect(gateway.failureFor(new ccxt.InvalidOrder(envelope('EOrder:Order minimum not met')))).toMatchObject({ code: RejectCode.InvalidParams, reason: 'EOrder:Order minimum not met' });
    expect(gateway.failureFor(new ccxt.BadSymbol(envelope('EQuery:Unknown asset pair')))).toMatchObject({ code: RejectCode.InvalidParams });
    expect(gateway.failureFor(new ccxt.AuthenticationError(envelope('EAPI:Invalid key')))).toMatchObject({ code: RejectCode.Auth, reason: 'EAPI:Invalid key' });
    expect(gateway.failureFor(new ccxt.OnMaintenance(envelope('EService:Market in cancel_only mode')))).toMatchObject({ code: RejectCode.ExchangeBusy, unknownOutcome: false });
    expect(gateway.failureFor(new ccxt.InvalidNonce(envelope('EAPI:Invalid nonce')))).toMatchObject({ code: RejectCode.Network, unknownOutcome: false });
  });

  it('treats a request that got no answer as an unknown outcome, not a reject', () => {
    expect(gateway.failureFor(new ccxt.RequestTimeout('kraken POST http://127.0.0.1:1/0/private/AddOrder request timed out (10000 ms)'))).toMatchObject({ code: RejectCode.Network, unknownOutcome: true });
    expect(gateway.failureFor(new ccxt.NetworkError('kraken POST fetch failed'))).toMatchObject({ unknownOutcome: true });
    expect(gateway.failureFor(new ccxt.ExchangeNotAvailable('kraken POST 502 Bad Gateway'))).toMatchObject({ code: RejectCode.Network, unknownOutcome: true });
  });

  it('never carries the credentials in a reason', () => {
    const failure = gateway.failureFor(new ccxt.ExchangeError(`kraken failed with key gatewayKey and ${secret}`));
    expect(failure.reason).not.toContain(secret);
    expect(failure.reason).not.toContain('gatewayKey');
    expect(failure.reason).toContain('[redacted]');
  });
});
