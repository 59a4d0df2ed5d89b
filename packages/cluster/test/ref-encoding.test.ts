import { ActorRef, type ActorSystem } from '@troupe/core';
import { sendSystemMessage } from '@troupe/core/spi';
import { describe, expect, it } from 'vitest';
import { decodeRefs, encodeRefs } from '../src/remote/ref-encoding.js';

class PathRef extends ActorRef<unknown> {
  constructor(readonly path: string) {
    super();
  }
  get system(): ActorSystem {
    throw new Error('not needed');
  }
  tell(): void {}
  [sendSystemMessage](): void {}
}

describe('ref encoding', () => {
  it('leaves a cycle as it is, at once, for JSON.stringify to refuse (the message becomes a dead letter)', () => {
    const node: Record<string, unknown> = { name: 'n' };
    node.prev = node;
    node.next = node;
    const message = { node, replyTo: new PathRef('troupe://t@127.0.0.1:1#a/user/a') };
    const encoded = encodeRefs(message, () => {}) as typeof message;
    expect(encoded.node).toBe(node);
    expect(encoded.replyTo).toEqual({ '$troupe.ref': 'troupe://t@127.0.0.1:1#a/user/a' });
    expect(() => JSON.stringify(encoded)).toThrow(TypeError);
  });

  it('walks an object shared by two fields (not a cycle) both times', () => {
    const a = new PathRef('troupe://t@127.0.0.1:1#a/user/a');
    const shared = { to: a };
    const encoded = encodeRefs({ left: shared, right: shared }, () => {});
    expect(encoded).toEqual({ left: { to: { '$troupe.ref': a.path } }, right: { to: { '$troupe.ref': a.path } } });
  });

  it('leaves an object with a toJSON of its own to JSON.stringify, as a batch would', () => {
    const a = new PathRef('troupe://t@127.0.0.1:1#a/user/a');
    const message = {
      replyTo: a,
      toJSON(this: { replyTo: ActorRef<unknown> }) {
        return { reply: this.replyTo.path };
      },
    };
    const exported: string[] = [];
    expect(encodeRefs(message, (ref) => exported.push(ref.path))).toBe(message);
    expect(exported).toEqual([]);
    expect(JSON.stringify(message)).toBe(`{"reply":"${a.path}"}`);
  });

  it('survives a walk started inside another (a getter that sends a message)', () => {
    const a = new PathRef('troupe://t@127.0.0.1:1#a/user/a');
    const b = new PathRef('troupe://t@127.0.0.1:1#a/user/b');
    const inner = { deep: { ref: b } };
    let innerEncoded: unknown;
    const outer = {
      get sends() {
        innerEncoded = encodeRefs(inner, () => {});
        return { ref: a };
      },
    };
    expect(encodeRefs({ outer }, () => {})).toEqual({ outer: { sends: { ref: { '$troupe.ref': a.path } } } });
    expect(innerEncoded).toEqual({ deep: { ref: { '$troupe.ref': b.path } } });
  });

  it('returns a message without refs as it is, and reports no export', () => {
    const message = { type: 'tick', seq: 1, nested: { list: [1, 'two', null] } };
    const exported: string[] = [];
    expect(encodeRefs(message, (ref) => exported.push(ref.path))).toBe(message);
    expect(exported).toEqual([]);
  });

  it('writes refs inside plain objects and arrays as { "$troupe.ref" } on a copy, leaving the original alone', () => {
    const a = new PathRef('troupe://t@127.0.0.1:1#a/user/a');
    const b = new PathRef('troupe://t@127.0.0.1:1#a/temp/$1');
    const message = { type: 'job', replyTo: a, more: { list: [b, 3] } };
    const exported: string[] = [];
    const encoded = encodeRefs(message, (ref) => exported.push(ref.path));
    expect(encoded).toEqual({ type: 'job', replyTo: { '$troupe.ref': a.path }, more: { list: [{ '$troupe.ref': b.path }, 3] } });
    expect(exported).toEqual([a.path, b.path]);
    expect(message.replyTo).toBe(a);
    expect(message.more.list[0]).toBe(b);
  });

  it('reads { "$troupe.ref" } back as refs, in place, and leaves objects with other keys as they are', () => {
    const wire = JSON.parse(JSON.stringify({ replyTo: { '$troupe.ref': 'p1' }, list: [{ '$troupe.ref': 'p2' }], notARef: { '$troupe.ref': 'p3', other: 1 }, n: 5 }));
    const decoded = decodeRefs(wire, (path) => new PathRef(path)) as Record<string, unknown>;
    expect(decoded).toBe(wire);
    expect((decoded.replyTo as PathRef).path).toBe('p1');
    expect(((decoded.list as unknown[])[0] as PathRef).path).toBe('p2');
    expect(decoded.notARef).toEqual({ '$troupe.ref': 'p3', other: 1 });
    expect(decoded.n).toBe(5);
  });

  it('leaves user objects shaped { $ref: string } (JSON Schema, JSON Reference) as plain objects', () => {
    const wire = JSON.parse(JSON.stringify({ schema: { $ref: '#/definitions/order' }, list: [{ $ref: 'x' }] }));
    const resolved: string[] = [];
    const decoded = decodeRefs(wire, (path) => {
      resolved.push(path);
      return new PathRef(path);
    });
    expect(decoded).toEqual({ schema: { $ref: '#/definitions/order' }, list: [{ $ref: 'x' }] });
    expect(resolved).toEqual([]);
  });
});
