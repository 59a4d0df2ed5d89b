import type { RawData } from 'ws';

/**
 * The bytes of a `ws` message, whatever shape `ws` handed it over in (a Buffer, an
 * ArrayBuffer, or fragments). Shared by both handshake ends and frame delivery, which
 * all decode what a socket received.
 */
export function bytesOfRawData(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}
