import { Actor, type ActorRef, ActorSystem, REF_JSON_KEY, silentLogger } from '@troupe/core';
import { setRefWrittenHook } from '@troupe/core/spi';
import { afterEach, describe, expect, it } from 'vitest';

const systems: ActorSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.terminate()));
});

class Idle extends Actor<never> {
  receive(): void {}
}

describe('ActorRef as JSON', () => {
  it('is written as { "$troupe.ref": path }, wherever it sits in a value', () => {
    const system = ActorSystem.create({ logger: silentLogger });
    systems.push(system);
    const ref = system.spawn(() => new Idle(), { name: 'idle' });
    expect(JSON.parse(JSON.stringify({ type: 'job', replyTo: ref, list: [ref] }))).toEqual({ type: 'job', replyTo: { '$troupe.ref': ref.path }, list: [{ '$troupe.ref': ref.path }] });
    expect(REF_JSON_KEY).toBe('$troupe.ref');
  });

  it("is not written with a key that user data uses by accident, such as JSON Schema's $ref", () => {
    const system = ActorSystem.create({ logger: silentLogger });
    systems.push(system);
    const ref = system.spawn(() => new Idle(), { name: 'idle' });
    const written = JSON.parse(JSON.stringify(ref)) as Record<string, unknown>;
    expect(Object.keys(written)).toEqual([REF_JSON_KEY]);
    expect(written).not.toHaveProperty('$ref');
  });

  it("tells the hook of the ref's own system about each ref written, and no other", () => {
    const a = ActorSystem.create({ name: 'a', logger: silentLogger });
    const b = ActorSystem.create({ name: 'b', logger: silentLogger });
    systems.push(a, b);
    const written: string[] = [];
    setRefWrittenHook(a, (ref) => written.push(`a ${ref.path}`));
    const ra = a.spawn(() => new Idle(), { name: 'x' });
    const rb: ActorRef<never> = b.spawn(() => new Idle(), { name: 'y' });
    JSON.stringify([ra, rb, { nested: ra }]);
    expect(written).toEqual([`a ${ra.path}`, `a ${ra.path}`]);
  });
});
