import { JsonSerializer, SerializationError, SerializationRegistry, type Serializer } from '@troupe/core';
import { describe, expect, it } from 'vitest';

/** Upper-cases strings on the way out: a serializer whose output is easy to recognise. */
const shouting: Serializer = {
  id: 'shout',
  toBinary: (value) => new TextEncoder().encode(String((value as { text: string }).text).toUpperCase()),
  fromBinary: (bytes, manifest) => ({ type: manifest, text: new TextDecoder().decode(bytes) }),
};

describe('SerializationRegistry', () => {
  it('takes the manifest from a string type field, else the class name', () => {
    const registry = new SerializationRegistry();
    class Ping {}
    expect(registry.manifestOf({ type: 'greet' })).toBe('greet');
    expect(registry.manifestOf(new Ping())).toBe('Ping');
    expect(registry.manifestOf({ a: 1 })).toBe('');
    expect(registry.manifestOf(42)).toBe('');
  });

  it('round-trips through JSON by default, as bytes and as text', () => {
    const registry = new SerializationRegistry();
    const value = { type: 'greet', to: 'ada', n: [1, 2] };
    const bytes = registry.serialize(value);
    expect(bytes.serializerId).toBe('json');
    expect(bytes.manifest).toBe('greet');
    expect(registry.deserialize(bytes)).toEqual(value);
    const text = registry.serializeText(value);
    expect(text).toEqual({ serializerId: 'json', manifest: 'greet', text: JSON.stringify(value) });
    expect(registry.deserializeText('json', 'greet', text?.text ?? '')).toEqual(value);
  });

  it('uses a bound serializer for its manifest, and has no text form for one without toText', () => {
    const registry = new SerializationRegistry().bind('shout', shouting);
    const serialized = registry.serialize({ type: 'shout', text: 'hi' });
    expect(serialized.serializerId).toBe('shout');
    expect(registry.deserialize(serialized)).toEqual({ type: 'shout', text: 'HI' });
    expect(registry.serializeText({ type: 'shout', text: 'hi' })).toBeUndefined();
    expect(registry.deserializeText('shout', 'shout', 'hey')).toEqual({ type: 'shout', text: 'hey' });
  });

  it('says which values the built-in JSON serializer writes (so a batch can be stringified whole)', () => {
    const plain = new SerializationRegistry();
    expect(plain.writesPlainJson({ type: 'shout', text: 'hi' })).toBe(true);
    const bound = new SerializationRegistry().bind('shout', shouting);
    expect(bound.writesPlainJson({ type: 'shout', text: 'hi' })).toBe(false);
    expect(bound.writesPlainJson({ type: 'greet' })).toBe(true);
    class LoudJson extends JsonSerializer {
      override toText(value: unknown): string {
        return super.toText(value).toUpperCase();
      }
    }
    expect(new SerializationRegistry(new LoudJson()).writesPlainJson({ type: 'greet' })).toBe(false);
  });

  it('names the problem with a SerializationError for an unknown serializer id or an unserialisable value', () => {
    const registry = new SerializationRegistry();
    const unknown = (() => {
      try {
        registry.deserialize({ serializerId: 'nope', manifest: 'm', bytes: new Uint8Array() });
      } catch (error) {
        return error;
      }
    })();
    expect(unknown).toBeInstanceOf(SerializationError);
    expect((unknown as SerializationError).code).toBe('ERR_SERIALIZATION');
    expect((unknown as Error).message).toBe('unknown serializer id "nope" (manifest "m")');
    expect(() => registry.serialize({ type: 'big', n: 1n })).toThrow(/cannot serialise a "big" with serializer "json"/);
    expect(() => registry.deserializeText('json', 'm', '{not json')).toThrow(SerializationError);
  });

  it('refuses a second serializer with a taken id, and bad bindings', () => {
    const registry = new SerializationRegistry();
    expect(() => registry.bind('x', { ...shouting, id: 'json' })).toThrow(/already uses id "json"/);
    expect(() => registry.bind('', new JsonSerializer())).toThrow(/manifest/);
    expect(() => registry.bind('x', {} as Serializer)).toThrow(/id, toBinary and fromBinary/);
  });
});
