import { ActorRef } from '@troupe/core';

/** Key of the placeholder object a ref becomes on the wire: `{ "$ref": "<path>" }`. */
export const REF_KEY = '$ref';

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `value` with every `ActorRef` inside plain objects and arrays replaced by
 * `{ $ref: path }` (after calling `exported(ref)`, so the ref can be found when a
 * reply comes back). Returns `value` itself when it holds no ref; never mutates it.
 */
export function encodeRefs(value: unknown, exported: (ref: ActorRef<unknown>) => void, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof ActorRef) {
    exported(value as ActorRef<unknown>);
    return { [REF_KEY]: value.path };
  }
  if (depth > 64) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const encoded = encodeRefs(item, exported, depth + 1);
      if (encoded !== item) (copy ??= value.slice())[i] = encoded;
    }
    return copy ?? value;
  }
  if (!isPlain(value)) return value;
  let copy: Record<string, unknown> | undefined;
  // for…in rather than Object.keys: no array per object, and primitives are skipped without a call (this runs per remote message).
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item === null || typeof item !== 'object') continue;
    const encoded = encodeRefs(item, exported, depth + 1);
    if (encoded !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = encoded;
  }
  return copy ?? value;
}

/** Reverses `encodeRefs`: every `{ $ref: path }` (and nothing else) becomes `resolve(path)`. Mutates `value` in place. */
export function decodeRefs(value: unknown, resolve: (path: string) => ActorRef<unknown>, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decodeRefs(value[i], resolve, depth + 1);
    return value;
  }
  const record = value as Record<string, unknown>;
  const path = record[REF_KEY];
  if (typeof path === 'string' && hasOneKey(record)) return resolve(path);
  for (const key in record) {
    const item = record[key];
    if (item !== null && typeof item === 'object') record[key] = decodeRefs(item, resolve, depth + 1);
  }
  return value;
}

function hasOneKey(record: Record<string, unknown>): boolean {
  let count = 0;
  for (const _ in record) if (++count > 1) return false;
  return count === 1;
}
