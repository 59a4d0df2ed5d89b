import { Actor } from '@troupe/core';
import { createHash } from 'node:crypto';
import { ManualClock } from '@troupe/testkit';
import { describe, expect, it } from 'vitest';
import { EntityTypeKey, type Member, SHARDING_DEFAULTS } from '../src/index.js';
import { EntityPassivation } from '../src/sharding/entity-passivation.js';
import { entityActorName } from '../src/sharding/shard.js';
import { ShardAllocation } from '../src/sharding/shard-allocation.js';
import { shardIdOf } from '../src/sharding/shard-id.js';
import { ShardingBuffer } from '../src/sharding/sharding-buffer.js';
import { resolveEntityTypeSettings } from '../src/sharding/sharding-settings.js';

const member = (i: number, status: Member['status'] = 'up', roles: string[] = []): Member => ({ address: `troupe://t@127.0.0.1:${4000 + i}#r`, status, upNumber: i + 1, roles });

describe('shardIdOf', () => {
  it('is the first 32 bits of the MD5 of the id, modulo the shard count (stable across processes)', () => {
    const expected = createHash('md5').update('cart-42').digest().readUInt32BE(0) % 1000;
    expect(shardIdOf('cart-42', 1000)).toBe(expected);
    // A pinned value: a change of hash would re-home every entity of a running cluster.
    expect(shardIdOf('cart-42', 1000)).toBe(591);
    expect(shardIdOf('ü-id', 7)).toBe(createHash('md5').update(Buffer.from('ü-id', 'utf8')).digest().readUInt32BE(0) % 7);
  });

  it('spreads ids over every shard, within ±25 % of the mean', () => {
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 50_000; i++) counts[shardIdOf(`entity-${i}`, 100)] = (counts[shardIdOf(`entity-${i}`, 100)] ?? 0) + 1;
    expect(Math.min(...counts)).toBeGreaterThan(500 * 0.75);
    expect(Math.max(...counts)).toBeLessThan(500 * 1.25);
  });
});

describe('ShardAllocation', () => {
  it('places shards on Up members only, and asks every live member (Joining to Exiting) in acquire rounds', () => {
    const allocation = ShardAllocation.of([member(0), member(1), member(2, 'joining'), member(3, 'leaving'), member(4, 'down')], undefined);
    expect(allocation.nodes).toEqual([member(0).address, member(1).address]);
    for (let s = 0; s < 100; s++) expect(allocation.nodes).toContain(allocation.ownerOf(s));
    expect([...allocation.liveHosts].sort()).toEqual([0, 1, 2, 3].map((i) => member(i).address).sort());
    expect(allocation.isLiveHost(member(4).address)).toBe(false);
  });

  it('spreads 1,000 shards over 3 nodes within ±35 % of the mean, and moves only shards of a removed member', () => {
    const three = ShardAllocation.of([member(0), member(1), member(2)], undefined);
    const counts = new Map<string, number>();
    for (let s = 0; s < 1000; s++) counts.set(three.ownerOf(s) as string, (counts.get(three.ownerOf(s) as string) ?? 0) + 1);
    expect(counts.size).toBe(3);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan((1000 / 3) * 0.65);
      expect(n).toBeLessThan((1000 / 3) * 1.35);
    }
    const two = ShardAllocation.of([member(0), member(1), member(2, 'down')], undefined);
    for (let s = 0; s < 1000; s++) if (three.ownerOf(s) !== member(2).address) expect(two.ownerOf(s)).toBe(three.ownerOf(s));
  });

  it('limits hosts to the role and has no owner without an Up member', () => {
    const allocation = ShardAllocation.of([member(0, 'up', ['a']), member(1, 'up', ['b']), member(2, 'joining', ['b'])], 'b');
    expect(allocation.nodes).toEqual([member(1).address]);
    expect(allocation.ownerOf(5)).toBe(member(1).address);
    expect([...allocation.liveHosts].sort()).toEqual([member(1).address, member(2).address].sort());
    expect(ShardAllocation.of([member(0, 'joining')], undefined).ownerOf(1)).toBeUndefined();
  });
});

describe('ShardingBuffer', () => {
  it('holds messages per key in order and refuses any beyond its bound over all keys', () => {
    const buffer = new ShardingBuffer<number>(3);
    expect(buffer.push('a', 1)).toBe(true);
    expect(buffer.push('b', 2)).toBe(true);
    expect(buffer.push('a', 3)).toBe(true);
    expect(buffer.push('b', 4)).toBe(false);
    expect(buffer.size).toBe(3);
    expect(buffer.take('a')).toEqual([1, 3]);
    expect(buffer.size).toBe(1);
    expect(buffer.push('b', 5)).toBe(true);
    expect(buffer.take('b')).toEqual([2, 5]);
    expect(buffer.take('b')).toEqual([]);
    expect(buffer.size).toBe(0);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new ShardingBuffer(0)).toThrow(RangeError);
  });
});

describe('EntityPassivation', () => {
  it('finds entities idle for the timeout, least recently used first, on a manual clock', () => {
    const clock = new ManualClock();
    const passivation = new EntityPassivation(120_000, 100);
    passivation.touch('a', clock.now());
    clock.advance(60_000);
    passivation.touch('b', clock.now());
    clock.advance(59_999);
    expect(passivation.idle(clock.now())).toEqual([]);
    clock.advance(1);
    expect(passivation.idle(clock.now())).toEqual(['a']);
    passivation.touch('a', clock.now());
    clock.advance(60_000);
    expect(passivation.idle(clock.now())).toEqual(['b']);
    passivation.remove('b');
    clock.advance(60_000);
    expect(passivation.idle(clock.now())).toEqual(['a']);
  });

  it('keeps its recency order through removals at the front, middle and back', () => {
    const passivation = new EntityPassivation(10, 0);
    for (const [i, key] of ['a', 'b', 'c', 'd', 'e'].entries()) passivation.touch(key, i);
    passivation.remove('a');
    passivation.remove('c');
    passivation.remove('e');
    passivation.touch('b', 5);
    passivation.touch('f', 6);
    expect(passivation.overLimit()).toEqual(['d', 'b', 'f']);
    expect(passivation.size).toBe(3);
    passivation.remove('f');
    passivation.touch('g', 7);
    expect(passivation.overLimit()).toEqual(['d', 'b', 'g']);
  });

  it('names the least recently used entities beyond the limit', () => {
    const passivation = new EntityPassivation(Infinity, 2);
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) passivation.touch(key, i);
    passivation.touch('a', 10);
    expect(passivation.overLimit()).toEqual(['b', 'c']);
    passivation.remove('b');
    expect(passivation.overLimit()).toEqual(['c']);
    expect(passivation.idle(1e12)).toEqual([]);
  });
});

describe('sharding settings', () => {
  class Nop extends Actor<unknown> {
    receive(): void {}
  }
  const base = { typeKey: EntityTypeKey.of<unknown>('t'), create: () => new Nop() };

  it('fills in the documented defaults', () => {
    const settings = resolveEntityTypeSettings(base);
    expect(settings.numberOfShards).toBe(1000);
    expect(settings.idleTimeoutMs).toBe(120_000);
    expect(settings.maxActiveEntities).toBe(100_000);
    expect(settings.bufferSize).toBe(SHARDING_DEFAULTS.bufferSize);
  });

  it('names the bad field', () => {
    expect(() => resolveEntityTypeSettings({ ...base, numberOfShards: 0 })).toThrow(/numberOfShards/);
    expect(() => resolveEntityTypeSettings({ ...base, passivation: { idleTimeoutMs: -1 } })).toThrow(/passivation.idleTimeoutMs/);
    expect(() => resolveEntityTypeSettings({ ...base, bufferSize: 1.5 })).toThrow(/bufferSize/);
    expect(() => resolveEntityTypeSettings({ ...base, create: undefined as never })).toThrow(/create/);
    expect(() => EntityTypeKey.of('bad name')).toThrow(TypeError);
  });

  it('turns any entity id into a valid, distinct actor name', () => {
    expect(entityActorName('cart-42')).toBe('id-cart-42');
    expect(entityActorName('a/b c')).toMatch(/^b64-[A-Za-z0-9_-]+$/);
    expect(entityActorName('a/b c')).not.toBe(entityActorName('a/b d'));
  });
});
