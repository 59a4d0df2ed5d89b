/**
 * Turns a frame (the array that frame-layout.ts lays out) into bytes and back.
 * Pluggable: JSON is the default; a binary codec can replace it if it measures faster
 * for your messages.
 */
export interface FrameCodec {
  readonly name: string;
  /**
   * True when `encode` writes values exactly as `JSON.stringify` does and `decode` reads
   * them as `JSON.parse` does. Messages for the built-in JSON serializer are then handed
   * to the codec as values, so a whole frame is serialised in one call; otherwise each
   * message is serialised on its own and travels as text.
   */
  readonly writesJson?: boolean;
  encode(frame: readonly unknown[]): Uint8Array;
  /** @throws on malformed input (the transport counts it and drops the frame) */
  decode(bytes: Uint8Array): unknown[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A frame is the UTF-8 JSON text of its array. */
export class JsonFrameCodec implements FrameCodec {
  readonly name = 'json';
  readonly writesJson = true;

  encode(frame: readonly unknown[]): Uint8Array {
    return Buffer.from(JSON.stringify(frame), 'utf8');
  }

  decode(bytes: Uint8Array): unknown[] {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    if (!Array.isArray(value)) throw new TypeError('frame is not a JSON array');
    return value;
  }
}
