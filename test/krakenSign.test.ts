import { describe, expect, it } from 'vitest';
import { krakenSignature, verifyKrakenSignature } from '../src/venues/kraken/krakenSign.ts';

// Kraken's documented example (docs.kraken.com/api/docs/guides/spot-rest-auth; VENUES.md section 5).
const secret = 'kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==';
const nonce = '1616492376594';
const path = '/0/private/AddOrder';
const postData = 'nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25';
const expected = '4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==';

describe('Kraken API-Sign', () => {
  it('reproduces the signature of Kraken documented example', () => {
    expect(krakenSignature(secret, path, nonce, postData)).toBe(expected);
  });

  it('verifies the documented signature', () => {
    expect(verifyKrakenSignature(secret, path, nonce, postData, expected)).toBe(true);
  });

  it('refuses a signature over a different body, path or nonce', () => {
    expect(verifyKrakenSignature(secret, path, nonce, postData.replace('1.25', '1.26'), expected)).toBe(false);
    expect(verifyKrakenSignature(secret, '/0/private/CancelOrder', nonce, postData, expected)).toBe(false);
    expect(verifyKrakenSignature(secret, path, '1616492376595', postData, expected)).toBe(false);
  });

  it('refuses a truncated or non-base64 signature without throwing', () => {
    expect(verifyKrakenSignature(secret, path, nonce, postData, expected.slice(0, 20))).toBe(false);
    expect(verifyKrakenSignature(secret, path, nonce, postData, '')).toBe(false);
    expect(verifyKrakenSignature(secret, path, nonce, postData, '!!!not base64!!!')).toBe(false);
  });
});
