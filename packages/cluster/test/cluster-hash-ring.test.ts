import { describe, expect, it } from 'vitest';
import { ClusterHashRing, type Member } from '../src/index.js';

const member = (i: number, status: Member['status'] = 'up', roles: string[] = []): Member => ({ address: `troupe://t@127.0.0.1:${4000 + i}#r`, status, upNumber: i + 1, roles });
const keys = Array.from({ length: 2000 }, (_, i) => `key-${i}`);

describe('ClusterHashRing', () => {
  it('maps every key to an Up member only', () => {
    const ring = ClusterHashRing.of([member(0), member(1), member(2, 'joining'), member(3, 'leaving')]);
    expect(ring.nodes).toEqual([member(0).address, member(1).address]);
    for (const key of keys.slice(0, 100)) expect(ring.nodes).toContain(ring.nodeFor(key));
  });

  it('moves only about 1/N of the keys when a member is added', () => {
    const three = ClusterHashRing.of([member(0), member(1), member(2)]);
    const four = ClusterHashRing.of([member(0), member(1), member(2), member(3)]);
    const moved = keys.filter((k) => three.nodeFor(k) !== four.nodeFor(k)).length;
    expect(moved / keys.length).toBeGreaterThan(0.1);
    expect(moved / keys.length).toBeLessThan(0.4);
    // Keys that moved all moved to the new member.
    for (const k of keys) if (three.nodeFor(k) !== four.nodeFor(k)) expect(four.nodeFor(k)).toBe(member(3).address);
  });

  it('gives a heavier member more keys and filters by role', () => {
    const ring = ClusterHashRing.of([member(0), member(1)], { weightOf: (m) => (m.address === member(0).address ? 3 : 1) });
    const onHeavy = keys.filter((k) => ring.nodeFor(k) === member(0).address).length;
    expect(onHeavy / keys.length).toBeGreaterThan(0.6);
    const byRole = ClusterHashRing.of([member(0, 'up', ['db']), member(1)], { role: 'db' });
    expect(byRole.nodes).toEqual([member(0).address]);
  });

  it('returns undefined for any key on an empty ring', () => {
    expect(ClusterHashRing.of([]).nodeFor('k')).toBeUndefined();
  });
});
