import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The challenge–response handshake. Each side proves it holds the cluster secret by
 * returning an HMAC-SHA256 of the other side's fresh nonce (and both addresses);
 * the secret itself never crosses the wire.
 *
 *   client → server  hello     { from, nonce: nc }
 *   server → client  challenge { from, nonce: ns, proof: HMAC(secret, "server", nc, server, client) }
 *   client → server  proof     { proof: HMAC(secret, "client", ns, client, server) }
 *   server → client  accepted
 */
/**
 * Version of the wire protocol (handshake and frame layout), sent in `hello`; a node
 * refuses a peer that speaks another. 4: a `sys` envelope may carry `stop` (`system.stop`
 * of a remote ref), which a node of version 3 would have dropped as malformed. 3: the flat
 * frame layout of frame-layout.ts (2 sent a table of recipients, then each run as an array
 * of its own). 5: refs are written as `{ "$troupe.ref": path }` (4 wrote `{ "$ref": path }`,
 * which a node of version 5 would deliver as a plain object, and 4 would take a user's
 * `{ "$ref": … }` for a ref). 6: a sharded message between regions is a positional array
 * (sharding's region-protocol.ts), which a region of version 5 would ignore without a
 * dead letter.
 */
export const PROTOCOL_VERSION = 6;

export type HandshakeMessage =
  | { readonly t: 'hello'; readonly v: number; readonly from: string; readonly nonce: string }
  | { readonly t: 'challenge'; readonly from: string; readonly nonce: string; readonly proof: string }
  | { readonly t: 'proof'; readonly proof: string }
  | { readonly t: 'accepted' };

/** Largest handshake message accepted, in bytes (checked before parsing). */
export const MAX_HANDSHAKE_BYTES = 4096;

/** A fresh random nonce. */
export function newNonce(): string {
  return randomBytes(24).toString('base64');
}

/** The proof `role` gives for `nonce` (the other side's) between `self` and `peer`. */
export function proofFor(secret: string | Uint8Array, role: 'server' | 'client', nonce: string, self: string, peer: string): string {
  return createHmac('sha256', secret).update(`troupe-handshake-v1\n${role}\n${nonce}\n${self}\n${peer}`).digest('base64');
}

/** Constant-time check of a proof. */
export function verifyProof(secret: string | Uint8Array, role: 'server' | 'client', nonce: string, self: string, peer: string, proof: unknown): boolean {
  if (typeof proof !== 'string') return false;
  const expected = Buffer.from(proofFor(secret, role, nonce, self, peer), 'base64');
  const given = Buffer.from(proof, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Parses a handshake message; undefined when it is not a well-formed one. */
export function parseHandshake(data: Uint8Array | string): HandshakeMessage | undefined {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  if (Buffer.byteLength(text) > MAX_HANDSHAKE_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const m = value as Record<string, unknown>;
  switch (m.t) {
    case 'hello':
      return Number.isInteger(m.v) && typeof m.from === 'string' && typeof m.nonce === 'string' ? (m as HandshakeMessage) : undefined;
    case 'challenge':
      return typeof m.from === 'string' && typeof m.nonce === 'string' && typeof m.proof === 'string' ? (m as HandshakeMessage) : undefined;
    case 'proof':
      return typeof m.proof === 'string' ? (m as HandshakeMessage) : undefined;
    case 'accepted':
      return m as HandshakeMessage;
    default:
      return undefined;
  }
}
