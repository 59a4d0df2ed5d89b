import { ActorRef, REF_JSON_KEY } from '@troupe/core';

/**
 * Key of the placeholder object a ref becomes on the wire: `{ "$troupe.ref": "<path>" }`,
 * the same as core's `ActorRef.toJSON` writes. Only an object with this one key, holding a
 * string, is read back as a ref; a user's `{ "$ref": … }` (JSON Schema, JSON Reference)
 * arrives as the plain object it was.
 */
export const REF_KEY = REF_JSON_KEY;

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `value` with every `ActorRef` inside plain objects and arrays replaced by
 * `{ "$troupe.ref": path }` (after calling `exported(ref)`, so the ref can be found when a
 * reply comes back). Returns `value` itself when it holds no ref; never mutates it.
 *
 * Left as they are, for `JSON.stringify` to write (refs in them then write themselves,
 * `ActorRef.toJSON`): class instances, objects with a `toJSON` of their own, anything
 * deeper than 64 levels, and an object met again inside itself (a cycle, which
 * `JSON.stringify` then refuses: the message becomes a dead letter).
 */
export function encodeRefs(value: unknown, exported: (ref: ActorRef<unknown>) => void): unknown {
  if (value === null || typeof value !== 'object') return value;
  // Restored even if a getter throws, or sends a message (and so walks another) on the way.
  const base = walking.depth;
  try {
    return encodeWithin(value, exported, base);
  } finally {
    for (let i = base; i < walking.depth; i++) walking.path[i] = EMPTY;
    walking.depth = base;
  }
}

/**
 * The objects and arrays being walked, outermost first: `path[0, depth)`. Module-wide and
 * reused (this runs per remote message); a walk started inside another (a getter that
 * sends) stacks on top of it.
 */
const walking = { path: [] as object[], depth: 0 };
const MAX_DEPTH = 64;

function encodeWithin(value: object, exported: (ref: ActorRef<unknown>) => void, base: number): unknown {
  if (value instanceof ActorRef) {
    exported(value as ActorRef<unknown>);
    return { [REF_KEY]: value.path };
  }
  if (walking.depth - base >= MAX_DEPTH || isBeingWalked(value, base)) return value;
  const isArray = Array.isArray(value);
  if (!isArray && (!isPlain(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function')) return value;
  walking.path[walking.depth++] = value;
  let copy: Record<string, unknown> | unknown[] | undefined;
  if (isArray) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || typeof item !== 'object') continue;
      const encoded = encodeWithin(item, exported, base);
      if (encoded !== item) ((copy as unknown[] | undefined) ?? (copy = value.slice()))[i] = encoded;
    }
  } else {
    // for…in rather than Object.keys: no array per object, and primitives are skipped without a call.
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      if (item === null || typeof item !== 'object') continue;
      const encoded = encodeWithin(item, exported, base);
      if (encoded !== item) ((copy as Record<string, unknown> | undefined) ?? (copy = { ...(value as Record<string, unknown>) }))[key] = encoded;
    }
  }
  walking.path[--walking.depth] = EMPTY;
  return copy ?? value;
}

/** Stands in a freed slot of `walking.path`, so it holds on to no message. */
const EMPTY = {};

function isBeingWalked(value: object, base: number): boolean {
  for (let i = base; i < walking.depth; i++) if (walking.path[i] === value) return true;
  return false;
}

/** Reverses `encodeRefs`: every `{ "$troupe.ref": path }` (and nothing else) becomes `resolve(path)`. Mutates `value` in place. */
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
