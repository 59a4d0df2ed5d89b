import { Actor, type ActorRef, ActorSystem, silentLogger } from '@troupe/core';
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
  it('is written as { $ref: path }, wherever it sits in a value', () => {
    const system = ActorSystem.create({ logger: silentLogger });
    systems.push(system);
    const ref = system.spawn(() => new Idle(), { name: 'idle' });
    expect(JSON.parse(JSON.stringify({ type: 'job', replyTo: ref, list: [ref] }))).toEqual({ type: 'job', replyTo: { $ref: ref.path }, list: [{ $ref: ref.path }] });
  });

  it('tells the hook of the ref\'s own system about each ref written, and no other', () => {
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
