import type { Serializer } from './serializer.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 JSON; the default serializer. */
export class JsonSerializer implements Serializer {
  readonly id = 'json';

  toBinary(value: unknown): Uint8Array {
    return encoder.encode(this.toText(value));
  }

  fromBinary(bytes: Uint8Array): unknown {
    return JSON.parse(decoder.decode(bytes));
  }

  toText(value: unknown): string {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`JsonSerializer: ${typeof value} cannot be serialised as JSON`);
    return text;
  }

  fromText(text: string): unknown {
    return JSON.parse(text);
  }
}
