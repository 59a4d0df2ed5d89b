/**
 * Turns a batch of envelopes into one frame and back. Pluggable: JSON is the
 * default; a binary codec can replace it if it measures faster for your messages.
 */
export interface FrameCodec {
  readonly name: string;
  encode(envelopes: readonly unknown[]): Uint8Array;
  /** @throws on malformed input (the transport counts it and drops the frame) */
  decode(frame: Uint8Array): unknown[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A frame is the UTF-8 JSON array of its envelopes. A message whose payload is JSON
 * text (serializer id `json`) is embedded as JSON (`"v": {...}`) rather than as an
 * escaped string, so it is parsed once, together with its frame.
 */
export class JsonFrameCodec implements FrameCodec {
  readonly name = 'json';

  encode(envelopes: readonly unknown[]): Uint8Array {
    let out = '[';
    for (let i = 0; i < envelopes.length; i++) {
      const e = envelopes[i] as { k?: unknown; s?: unknown; t?: unknown; to?: unknown; m?: unknown };
      if (i > 0) out += ',';
      // The text came from the registry's JSON serializer, so it is valid JSON to splice in.
      if (e.k === 'msg' && e.s === 'json' && typeof e.t === 'string') out += `{"k":"msg","to":${JSON.stringify(e.to)},"s":"json","m":${JSON.stringify(e.m)},"v":${e.t}}`;
      else out += JSON.stringify(e);
    }
    return Buffer.from(`${out}]`, 'utf8');
  }

  decode(frame: Uint8Array): unknown[] {
    const value: unknown = JSON.parse(decoder.decode(frame));
    if (!Array.isArray(value)) throw new TypeError('frame is not an array of envelopes');
    return value;
  }
}
