import type { Serializer } from '@troupe/core';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * UTF-8 JSON with the same id (`json`) and bytes as core's `JsonSerializer`, so either
 * reads what the other wrote, but faster on the persistence hot path: small strings are
 * encoded into Node's pooled Buffer slabs instead of one fresh ArrayBuffer per event
 * (about 1.5–2× fewer nanoseconds and much less GC per event, measured on Node 24).
 */
export class JsonPayloadSerializer implements Serializer {
  readonly id = 'json';

  toBinary(value: unknown): Uint8Array {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`JsonPayloadSerializer: ${typeof value} cannot be serialised as JSON`);
    return Buffer.from(text, 'utf8');
  }

  fromBinary(bytes: Uint8Array): unknown {
    return JSON.parse(Buffer.isBuffer(bytes) ? bytes.toString('utf8') : decoder.decode(bytes));
  }
}
