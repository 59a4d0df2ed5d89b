import { describe, expect, it } from 'vitest';
import { EMPTY_REGISTRY, applyDelta, applyFull, changeOwn, pathsOf, registrationsOf, retainNodes, versionOf } from '../src/receptionist/service-registry.js';

const A = 'troupe://t@127.0.0.1:1#a';
const B = 'troupe://t@127.0.0.1:2#b';
const a1 = `${A}/user/w1`;
const a2 = `${A}/user/w2`;
const b1 = `${B}/user/w1`;

describe('ServiceRegistry', () => {
  it('bumps the owner’s version once per effective change and reports only what changed', () => {
    const first = changeOwn(EMPTY_REGISTRY, A, [['workers', a1]], []);
    expect(versionOf(first.registry, A)).toBe(1);
    expect(first.extra.delta).toEqual({ version: 1, added: [['workers', a1]], removed: [] });
    expect([...first.changedKeys]).toEqual(['workers']);

    const again = changeOwn(first.registry, A, [['workers', a1]], [['other', a2]]);
    expect(again.registry).toBe(first.registry);
    expect(again.extra.delta).toBeUndefined();
    expect(again.changedKeys.size).toBe(0);

    const second = changeOwn(first.registry, A, [['workers', a2]], [['workers', a1]]);
    expect(second.extra.delta).toEqual({ version: 2, added: [['workers', a2]], removed: [['workers', a1]] });
    expect(pathsOf(second.registry, 'workers')).toEqual([a2]);
    // Immutable: the earlier registry is untouched.
    expect(pathsOf(first.registry, 'workers')).toEqual([a1]);
  });

  it('applies a replicated delta only in sequence: the next one applies, an old one is stale, a later one is a gap', () => {
    const owner1 = changeOwn(EMPTY_REGISTRY, A, [['workers', a1]], []);
    const owner2 = changeOwn(owner1.registry, A, [['workers', a2]], []);
    const owner3 = changeOwn(owner2.registry, A, [], [['workers', a1]]);
    const d1 = owner1.extra.delta!;
    const d2 = owner2.extra.delta!;
    const d3 = owner3.extra.delta!;

    const r1 = applyDelta(EMPTY_REGISTRY, A, d1);
    expect(r1.extra.outcome).toBe('applied');
    expect([...r1.changedKeys]).toEqual(['workers']);
    expect(applyDelta(r1.registry, A, d1).extra.outcome).toBe('stale');
    const gap = applyDelta(r1.registry, A, d3);
    expect(gap.extra.outcome).toBe('gap');
    expect(gap.registry).toBe(r1.registry);
    const r3 = applyDelta(applyDelta(r1.registry, A, d2).registry, A, d3);
    expect(r3.extra.outcome).toBe('applied');
    expect(versionOf(r3.registry, A)).toBe(3);
    expect(registrationsOf(r3.registry, A)).toEqual(registrationsOf(owner3.registry, A));
  });

  it('replaces a node’s replica with a newer full state only, and reports the keys whose listing differs', () => {
    const owner = changeOwn(changeOwn(EMPTY_REGISTRY, B, [['workers', b1]], []).registry, B, [['logs', b1]], []).registry;
    const full = applyFull(EMPTY_REGISTRY, B, versionOf(owner, B), registrationsOf(owner, B));
    expect(full.extra.applied).toBe(true);
    expect(new Set(full.changedKeys)).toEqual(new Set(['workers', 'logs']));
    expect(registrationsOf(full.registry, B)).toEqual([
      ['logs', b1],
      ['workers', b1],
    ]);
    const older = applyFull(full.registry, B, 1, []);
    expect(older.extra.applied).toBe(false);
    expect(older.registry).toBe(full.registry);
    const newer = applyFull(full.registry, B, 3, [['workers', b1]]);
    expect([...newer.changedKeys]).toEqual(['logs']);
    // A full state of a node never seen is taken whatever its version (an empty one at version 0 too).
    expect(applyFull(EMPTY_REGISTRY, B, 0, []).extra.applied).toBe(true);
  });

  it('drops the registrations of nodes that are no longer kept, reporting their keys', () => {
    const both = applyFull(changeOwn(EMPTY_REGISTRY, A, [['workers', a1]], []).registry, B, 1, [
      ['workers', b1],
      ['logs', b1],
    ]).registry;
    expect(pathsOf(both, 'workers')).toEqual([a1, b1]);
    const step = retainNodes(both, (node) => node === A);
    expect(step.extra.dropped).toEqual([B]);
    expect(new Set(step.changedKeys)).toEqual(new Set(['workers', 'logs']));
    expect(pathsOf(step.registry, 'workers')).toEqual([a1]);
    expect(pathsOf(step.registry, 'logs')).toEqual([]);
    expect(retainNodes(step.registry, () => true).registry).toBe(step.registry);
  });

  it('lists a path registered by two nodes’ replicas once, sorted', () => {
    const r = applyFull(applyFull(EMPTY_REGISTRY, B, 1, [['k', b1]]).registry, A, 1, [
      ['k', a2],
      ['k', a1],
    ]).registry;
    expect(pathsOf(r, 'k')).toEqual([a1, a2, b1]);
  });
});
