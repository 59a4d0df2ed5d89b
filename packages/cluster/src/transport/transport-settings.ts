import type { SecureContextOptions } from 'node:tls';
import { type FrameCodec, JsonFrameCodec } from './frame-codec.js';

/** TLS for the transport (wss). Without it, traffic is plain ws (fine on 127.0.0.1 or a private network). */
export interface TransportTlsOptions {
  /** Server certificate chain and key (PEM), as for `https.createServer`. */
  readonly cert: SecureContextOptions['cert'];
  readonly key: SecureContextOptions['key'];
  /** CA(s) that sign the peers' certificates; needed for self-signed clusters. */
  readonly ca?: SecureContextOptions['ca'];
  /** Verify the peer's certificate when connecting. @default true */
  readonly rejectUnauthorized?: boolean;
}

/** Options of the ws transport. Every buffer has a non-zero limit. */
export interface TransportOptions {
  /** Largest frame sent or accepted, in bytes; checked before a received frame is buffered. @default 4 MiB */
  readonly maxFrameBytes?: number;
  /** Most messages queued per peer connection; further ones go to dead letters (`outbound-queue-full`). @default 100000 */
  readonly outboundQueueLimit?: number;
  /** Most envelopes in one frame. @default 1000 */
  readonly maxBatchMessages?: number;
  /** Bytes buffered in a socket above which sending pauses until it drains. @default 4 MiB */
  readonly highWaterMarkBytes?: number;
  /** A handshake not done within this many ms is abandoned. @default 5000 */
  readonly handshakeTimeoutMs?: number;
  /** First and longest delay between reconnection attempts. @default { min: 100, max: 2000 } */
  readonly reconnectBackoffMs?: { readonly min: number; readonly max: number };
  /** Frame codec. @default JsonFrameCodec */
  readonly codec?: FrameCodec;
  /** wss instead of ws. */
  readonly tls?: TransportTlsOptions;
}

/** Transport options with defaults applied. */
export interface TransportSettings {
  readonly maxFrameBytes: number;
  readonly outboundQueueLimit: number;
  readonly maxBatchMessages: number;
  readonly highWaterMarkBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly reconnectBackoffMs: { readonly min: number; readonly max: number };
  readonly codec: FrameCodec;
  readonly tls: TransportTlsOptions | undefined;
}

function positive(value: number | undefined, fallback: number, field: string): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`Cluster: transport.${field} must be a finite number > 0, got ${String(value)}`);
  return v;
}

/** Applies defaults and validates. @throws RangeError/TypeError naming the bad field */
export function resolveTransportSettings(options: TransportOptions = {}): TransportSettings {
  const backoff = options.reconnectBackoffMs ?? { min: 100, max: 2000 };
  positive(backoff.min, 100, 'reconnectBackoffMs.min');
  positive(backoff.max, 2000, 'reconnectBackoffMs.max');
  const codec = options.codec ?? new JsonFrameCodec();
  if (typeof codec.encode !== 'function' || typeof codec.decode !== 'function') throw new TypeError('Cluster: transport.codec must have encode and decode');
  return {
    maxFrameBytes: positive(options.maxFrameBytes, 4 * 1024 * 1024, 'maxFrameBytes'),
    outboundQueueLimit: positive(options.outboundQueueLimit, 100_000, 'outboundQueueLimit'),
    maxBatchMessages: positive(options.maxBatchMessages, 1000, 'maxBatchMessages'),
    highWaterMarkBytes: positive(options.highWaterMarkBytes, 4 * 1024 * 1024, 'highWaterMarkBytes'),
    handshakeTimeoutMs: positive(options.handshakeTimeoutMs, 5000, 'handshakeTimeoutMs'),
    reconnectBackoffMs: { min: backoff.min, max: Math.max(backoff.min, backoff.max) },
    codec,
    tls: options.tls,
  };
}
