// Challenge-response proof that a peer holds the mesh's shared secret, without sending it.
// The role is mixed into the MAC so that a proof one side produced can never be replayed
// as the other side's: an impostor coordinator that relays an edge's nonce as its own
// challenge to a second edge gets an "edge" proof, which a "coordinator" check rejects.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type MeshRole = 'edge' | 'coordinator';

/** A fresh 32-byte nonce, hex-encoded (the form meshProtocol validates). */
export function newNonce(): string {
  return randomBytes(32).toString('hex');
}

export function proofOf(secret: string, role: MeshRole, nonce: string): string {
  return createHmac('sha256', secret).update(`sequence-mesh/1/${role}/${nonce}`).digest('hex');
}

/** Constant-time: the time taken says nothing about how much of the MAC matched. */
export function proofMatches(secret: string, role: MeshRole, nonce: string, mac: string): boolean {
  const expected = Buffer.from(proofOf(secret, role, nonce), 'hex');
  const given = Buffer.from(mac, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** An empty secret would make every MAC forgeable by anyone who reads the source. */
export function assertUsableSecret(secret: string): void {
  if (Buffer.byteLength(secret, 'utf8') < 16) throw new RangeError('the mesh secret must be at least 16 bytes (set SEQUENCE_MESH_SECRET)');
}
