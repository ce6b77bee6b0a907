import { createPrivateKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';

// Coinbase Advanced Trade authenticates every REST request (and the user channel's
// subscribe) with a short-lived ES256 JWT. buildJwt makes one the way the official SDK
// (coinbase-advanced-py jwt_generator.py) does; verifyJwt is the venue's side, used by the
// emulator, and accepts both the SDK's claim set and the one ccxt 4.5.84 sends
// (iss "coinbase-cloud", aud, iat; its `uri` keeps an "http://" prefix on a loopback URL).

export class JwtError extends Error {}

/** The SDK's lifetime: a JWT is good for two minutes. */
export const JWT_LIFETIME_SEC = 120;
/** Clock skew tolerated between the signer and the verifier. */
const SKEW_SEC = 5;
const ACCEPTED_ISSUERS = new Set(['cdp', 'coinbase-cloud']);

export interface JwtRequest {
  /** 'GET', 'POST', ... */
  method: string;
  /** Host (and port) as the URL names it, e.g. 'api.coinbase.com'. */
  host: string;
  /** Path without the query, e.g. '/api/v3/brokerage/orders'. */
  path: string;
}

export interface BuildJwtOptions {
  keyName: string;
  privateKey: KeyObject;
  /** The request the token is for; omitted for a WebSocket subscribe. */
  request?: JwtRequest;
  nowSec?: number;
}

/** Parses a PEM private key without ever putting its text in an error. */
export function privateKeyFromPem(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new JwtError('the private key is not a readable PEM');
  }
}

export function buildJwt(options: BuildJwtOptions): string {
  const { keyName, privateKey, request } = options;
  if (privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new JwtError('ES256 needs a P-256 private key');
  const nowSec = options.nowSec ?? Math.floor(Date.now() / 1000);
  const header = { alg: 'ES256', kid: keyName, nonce: randomBytes(16).toString('hex'), typ: 'JWT' };
  const payload: Record<string, unknown> = { sub: keyName, iss: 'cdp', nbf: nowSec, exp: nowSec + JWT_LIFETIME_SEC };
  if (request !== undefined) payload.uri = `${request.method} ${request.host}${request.path}`;
  const signingInput = `${base64Url(JSON.stringify(header))}.${base64Url(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

export interface VerifyJwtOptions {
  /** The key name the venue knows the public key under. */
  keyName: string;
  publicKey: KeyObject;
  nowSec?: number;
  /** When given, the token's `uri` must name this method and path (the host part is not checked). */
  request?: { method: string; path: string };
}

export interface VerifiedJwt {
  keyName: string;
  issuer: string;
  expiresSec: number;
}

/** Checks signature, key, issuer, lifetime and (for REST) the request; throws JwtError saying what failed. */
export function verifyJwt(token: string, options: VerifyJwtOptions): VerifiedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('not a JWT: expected header.payload.signature');
  const header = decodeJson(parts[0], 'header');
  const payload = decodeJson(parts[1], 'payload');
  if (header.alg !== 'ES256') throw new JwtError(`unsupported alg ${JSON.stringify(header.alg)}: expected ES256`);
  if (header.kid !== options.keyName) throw new JwtError('unknown key: kid does not name a key this venue knows');
  if (payload.sub !== options.keyName) throw new JwtError('sub does not match kid');
  const signature = Buffer.from(parts[2], 'base64url');
  if (signature.length !== 64) throw new JwtError('bad signature: ES256 needs 64 bytes (r||s)');
  const signed = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: options.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  if (!signed) throw new JwtError('bad signature: the token was not signed by this key');
  const issuer = payload.iss;
  if (typeof issuer !== 'string' || !ACCEPTED_ISSUERS.has(issuer)) throw new JwtError(`unexpected iss ${JSON.stringify(issuer)}`);
  const nowSec = options.nowSec ?? Math.floor(Date.now() / 1000);
  const { exp, nbf } = payload;
  if (typeof exp !== 'number' || typeof nbf !== 'number') throw new JwtError('exp and nbf must be numbers');
  if (exp + SKEW_SEC <= nowSec) throw new JwtError('the token has expired');
  if (nbf - SKEW_SEC > nowSec) throw new JwtError('the token is not valid yet (nbf is in the future)');
  if (exp - nbf > JWT_LIFETIME_SEC + SKEW_SEC) throw new JwtError(`the token lives longer than ${JWT_LIFETIME_SEC} s`);
  if (options.request !== undefined) checkUri(payload.uri, options.request);
  return { keyName: options.keyName, issuer, expiresSec: exp };
}

function checkUri(uri: unknown, expected: { method: string; path: string }): void {
  if (typeof uri !== 'string') throw new JwtError('the token has no uri claim for this request');
  const space = uri.indexOf(' ');
  const method = uri.slice(0, space);
  // ccxt strips only "https://", so a loopback URL keeps its scheme: drop any scheme, then the host.
  const target = uri.slice(space + 1).replace(/^[a-z]+:\/\//, '');
  const slash = target.indexOf('/');
  const path = slash < 0 ? '' : target.slice(slash);
  if (space <= 0 || method !== expected.method || path !== expected.path) {
    throw new JwtError(`the token's uri is for another request: expected "${expected.method} <host>${expected.path}"`);
  }
}

function base64Url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError(`not a JWT: the ${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwtError(`not a JWT: the ${what} is not an object`);
  return value as Record<string, unknown>;
}
