import { generateKeyPairSync, sign } from 'node:crypto';
import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { buildJwt, JwtError, privateKeyFromPem, verifyJwt } from '../src/venues/coinbase/coinbaseJwt.ts';

const KEY_NAME = 'organizations/org-1/apiKeys/key-1';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const NOW = 1_700_000_000;
const ORDERS = { method: 'POST', path: '/api/v3/brokerage/orders' };

function decode(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Re-signs a token with an edited payload, so only the edited claim is wrong. */
function withPayload(edit: (payload: Record<string, unknown>) => void): string {
  const [header, payload] = buildJwt({ keyName: KEY_NAME, privateKey, request: { ...ORDERS, host: 'api.coinbase.com' }, nowSec: NOW }).split('.');
  const claims = decode(payload);
  edit(claims);
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

describe('coinbase JWT', () => {
  it('builds the SDK header and claims: ES256, kid, hex nonce, sub, iss cdp, two-minute life, METHOD host/path uri', () => {
    const token = buildJwt({ keyName: KEY_NAME, privateKey, request: { method: 'POST', host: 'api.coinbase.com', path: '/api/v3/brokerage/orders' }, nowSec: NOW });
    const [header, payload, signature] = token.split('.');
    expect(decode(header)).toMatchObject({ alg: 'ES256', kid: KEY_NAME, typ: 'JWT' });
    expect(decode(header).nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(decode(payload)).toEqual({ sub: KEY_NAME, iss: 'cdp', nbf: NOW, exp: NOW + 120, uri: 'POST api.coinbase.com/api/v3/brokerage/orders' });
    expect(Buffer.from(signature, 'base64url')).toHaveLength(64);
  });

  it('gives each token a fresh nonce', () => {
    const a = decode(buildJwt({ keyName: KEY_NAME, privateKey, nowSec: NOW }).split('.')[0]);
    const b = decode(buildJwt({ keyName: KEY_NAME, privateKey, nowSec: NOW }).split('.')[0]);
    expect(a.nonce).not.toBe(b.nonce);
  });

  it('leaves the uri out of a WebSocket token', () => {
    const payload = decode(buildJwt({ keyName: KEY_NAME, privateKey, nowSec: NOW }).split('.')[1]);
    expect(payload).not.toHaveProperty('uri');
  });

  it('verifies its own token against the public key and the request', () => {
    const token = buildJwt({ keyName: KEY_NAME, privateKey, request: { ...ORDERS, host: 'api.coinbase.com' }, nowSec: NOW });
    expect(verifyJwt(token, { keyName: KEY_NAME, publicKey, nowSec: NOW + 60, request: ORDERS })).toEqual({ keyName: KEY_NAME, issuer: 'cdp', expiresSec: NOW + 120 });
  });

  it("accepts ccxt 4.5.84's claim set, with its http:// uri on a loopback URL", () => {
    const ex = new ccxt.coinbase({ apiKey: KEY_NAME, secret: privateKey.export({ type: 'sec1', format: 'pem' }).toString() });
    const token = ex.createAuthToken(NOW, 'POST', 'http://127.0.0.1:4000/api/v3/brokerage/orders');
    expect(decode(token.split('.')[1])).toMatchObject({ iss: 'coinbase-cloud', aud: ['retail_rest_api_proxy'], iat: NOW, uri: 'POST http://127.0.0.1:4000/api/v3/brokerage/orders' });
    expect(verifyJwt(token, { keyName: KEY_NAME, publicKey, nowSec: NOW, request: ORDERS }).issuer).toBe('coinbase-cloud');
  });

  it('refuses a token signed by another key', () => {
    const token = buildJwt({ keyName: KEY_NAME, privateKey: other.privateKey, nowSec: NOW });
    expect(() => verifyJwt(token, { keyName: KEY_NAME, publicKey, nowSec: NOW })).toThrow(/bad signature/);
  });

  it('refuses a token whose kid names another key', () => {
    const token = buildJwt({ keyName: 'organizations/org-1/apiKeys/other', privateKey, nowSec: NOW });
    expect(() => verifyJwt(token, { keyName: KEY_NAME, publicKey, nowSec: NOW })).toThrow(/unknown key/);
  });

  it('refuses a token whose sub differs from its kid', () => {
    expect(() => verifyJwt(withPayload((p) => (p.sub = 'someone-else')), { keyName: KEY_NAME, publicKey, nowSec: NOW })).toThrow(/sub does not match/);
  });

  it('refuses an expired token and one not valid yet', () => {
    const token = buildJwt({ keyName: KEY_NAME, privateKey, nowSec: NOW });
    expect(() => verifyJwt(token, { keyName: KEY_NAME, publicKey, nowSec: NOW + 200 })).toThrow(/expired/);
    expect(() => verifyJwt(token, { keyName: KEY_NAME, publicKey, nowSec: NOW - 60 })).toThrow(/not valid yet/);
  });

  it('refuses a token that lives longer than two minutes', () => {
    expect(() => verifyJwt(withPayload((p) => (p.exp = NOW + 3600)), { keyName: KEY_NAME, publicKey, nowSec: NOW })).toThrow(/longer than 120 s/);
  });

  it('refuses an unknown issuer', () => {
    expect(() => verifyJwt(withPayload((p) => (p.iss = 'me')), { keyName: KEY_NAME, publicKey, nowSec: NOW })).toThrow(/unexpected iss/);
  });

  it('refuses a REST token made for another path or method, or with no uri', () => {
    const token = buildJwt({ keyName: KEY_NAME, privateKey, request: { method: 'GET', host: 'api.coinbase.com', path: '/api/v3/brokerage/orders' }, nowSec: NOW });
    expect(() => verifyJwt(token, { keyName: KEY_NAME, publicKey, nowSec: NOW, request: ORDERS })).toThrow(/another request/);
    expect(() => verifyJwt(withPayload((p) => (p.uri = 'POST api.coinbase.com/api/v3/brokerage/orders/batch_cancel')), { keyName: KEY_NAME, publicKey, nowSec: NOW, request: ORDERS })).toThrow(/another request/);
    const ws = buildJwt({ keyName: KEY_NAME, privateKey, nowSec: NOW });
    expect(() => verifyJwt(ws, { keyName: KEY_NAME, publicKey, nowSec: NOW, request: ORDERS })).toThrow(/no uri claim/);
  });

  it('refuses text that is not a JWT, and a non-ES256 alg', () => {
    expect(() => verifyJwt('abc', { keyName: KEY_NAME, publicKey, nowSec: NOW })).toThrow(JwtError);
    expect(() => verifyJwt('a.b.c', { keyName: KEY_NAME, publicKey, nowSec: NOW })).toThrow(/base64url JSON/);
    const [, payload, sig] = buildJwt({ keyName: KEY_NAME, privateKey, nowSec: NOW }).split('.');
    const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: KEY_NAME })).toString('base64url')}.${payload}.${sig}`;
    expect(() => verifyJwt(hs, { keyName: KEY_NAME, publicKey, nowSec: NOW })).toThrow(/unsupported alg/);
  });

  it('refuses to sign with a key that is not P-256, and reads a bad PEM without echoing it', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => buildJwt({ keyName: KEY_NAME, privateKey: rsa, nowSec: NOW })).toThrow(/P-256/);
    const secretLooking = '-----BEGIN EC PRIVATE KEY-----\nTOPSECRETMATERIAL\n-----END EC PRIVATE KEY-----';
    try {
      privateKeyFromPem(secretLooking);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('TOPSECRETMATERIAL');
    }
  });
});
