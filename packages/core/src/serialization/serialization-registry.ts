import { TroupeError } from '../errors.js';
import { JsonSerializer } from './json-serializer.js';
import type { Serializer } from './serializer.js';

/** A value in serialised form: which serializer, which type, which bytes. */
export interface Serialized {
  readonly serializerId: string;
  readonly manifest: string;
  readonly bytes: Uint8Array;
}

/** Serialising or deserialising failed (unknown serializer id, malformed bytes, …). */
export class SerializationError extends TroupeError {
  constructor(message: string, cause?: unknown) {
    super('ERR_SERIALIZATION', message, { cause });
  }
}

/**
 * Chooses a serializer per message type. The manifest of a value is its `type` field
 * when that is a string (discriminated unions), else its class name; bind a
 * serializer to a manifest to override the default (JSON).
 */
export class SerializationRegistry {
  private readonly byManifest = new Map<string, Serializer>();
  private readonly byId = new Map<string, Serializer>();

  constructor(private readonly fallback: Serializer = new JsonSerializer()) {
    this.byId.set(fallback.id, fallback);
  }

  /** Uses `serializer` for values whose manifest is `manifest`. */
  bind(manifest: string, serializer: Serializer): this {
    if (typeof manifest !== 'string' || manifest === '') throw new TypeError('SerializationRegistry.bind: manifest must be a non-empty string');
    if (serializer === null || typeof serializer !== 'object' || typeof serializer.id !== 'string' || typeof serializer.toBinary !== 'function' || typeof serializer.fromBinary !== 'function') {
      throw new TypeError('SerializationRegistry.bind: serializer must have id, toBinary and fromBinary');
    }
    const known = this.byId.get(serializer.id);
    if (known !== undefined && known !== serializer) throw new TypeError(`SerializationRegistry.bind: another serializer already uses id "${serializer.id}"`);
    this.byId.set(serializer.id, serializer);
    this.byManifest.set(manifest, serializer);
    return this;
  }

  /** The manifest of `value`: its string `type` field, else its class name, else ''. */
  manifestOf(value: unknown): string {
    if (value !== null && typeof value === 'object') {
      const type = (value as { type?: unknown }).type;
      if (typeof type === 'string') return type;
      const name = (value as object).constructor?.name;
      return name === undefined || name === 'Object' ? '' : name;
    }
    return '';
  }

  /**
   * True when `value` would be serialised by the built-in JSON serializer, so any
   * `JSON.stringify` of it (e.g. one over a whole batch) writes the same text.
   */
  writesPlainJson(value: unknown): boolean {
    const serializer = this.byManifest.size === 0 ? this.fallback : (this.byManifest.get(this.manifestOf(value)) ?? this.fallback);
    return serializer.constructor === JsonSerializer;
  }

  serialize(value: unknown): Serialized {
    const manifest = this.manifestOf(value);
    const serializer = this.byManifest.get(manifest) ?? this.fallback;
    try {
      return { serializerId: serializer.id, manifest, bytes: serializer.toBinary(value) };
    } catch (error) {
      throw new SerializationError(`cannot serialise a "${manifest || typeof value}" with serializer "${serializer.id}"`, error);
    }
  }

  /**
   * Like `serialize`, but as text when the chosen serializer has a text form
   * (`toText`, e.g. JSON); undefined when it has none (use `serialize`).
   */
  serializeText(value: unknown): { readonly serializerId: string; readonly manifest: string; readonly text: string } | undefined {
    const manifest = this.manifestOf(value);
    const serializer = this.byManifest.get(manifest) ?? this.fallback;
    if (serializer.toText === undefined) return undefined;
    try {
      return { serializerId: serializer.id, manifest, text: serializer.toText(value) };
    } catch (error) {
      throw new SerializationError(`cannot serialise a "${manifest || typeof value}" with serializer "${serializer.id}"`, error);
    }
  }

  /** Reads what `serializeText` wrote. */
  deserializeText(serializerId: string, manifest: string, text: string): unknown {
    const serializer = this.byId.get(serializerId);
    if (serializer === undefined) throw new SerializationError(`unknown serializer id "${serializerId}" (manifest "${manifest}")`);
    try {
      return serializer.fromText === undefined ? serializer.fromBinary(Buffer.from(text, 'utf8'), manifest) : serializer.fromText(text, manifest);
    } catch (error) {
      throw new SerializationError(`cannot deserialise "${manifest}" with serializer "${serializerId}"`, error);
    }
  }

  deserialize(serialized: Serialized): unknown {
    const serializer = this.byId.get(serialized.serializerId);
    if (serializer === undefined) throw new SerializationError(`unknown serializer id "${serialized.serializerId}" (manifest "${serialized.manifest}")`);
    try {
      return serializer.fromBinary(serialized.bytes, serialized.manifest);
    } catch (error) {
      throw new SerializationError(`cannot deserialise "${serialized.manifest}" with serializer "${serialized.serializerId}"`, error);
    }
  }
}
