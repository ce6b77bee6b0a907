import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// Kraken's private REST signature (VENUES.md section 5):
//   API-Sign = base64(HMAC-SHA512(key = base64decode(secret), uriPath + SHA256(nonce + postData)))
// uriPath is the request path from /0/private/; postData is the exact form body sent, which
// already contains `nonce=...`. The emulator verifies with the same function, so a client
// that signs differently from Kraken fails here exactly as it would at Kraken.

export function krakenSignature(secretBase64: string, uriPath: string, nonce: string, postData: string): string {
  const digest = createHash('sha256').update(nonce + postData).digest();
  return createHmac('sha512', Buffer.from(secretBase64, 'base64'))
    .update(Buffer.concat([Buffer.from(uriPath), digest]))
    .digest('base64');
}

/** Constant-time check of an API-Sign header against the request it claims to sign. */
export function verifyKrakenSignature(secretBase64: string, uriPath: string, nonce: string, postData: string, signature: string): boolean {
  const expected = Buffer.from(krakenSignature(secretBase64, uriPath, nonce, postData), 'base64');
  const given = Buffer.from(signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
