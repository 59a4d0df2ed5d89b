import { describe, expect, it } from 'vitest';
import { type DowningStrategy, KeepMajority, StaticQuorum } from '../src/index.js';
import { type Gossip, changed, emptyGossip, withMember } from '../src/membership/gossip.js';
import type { MemberStatus } from '../src/membership/member.js';
import { markUnreachable } from '../src/membership/reachability.js';

const n = (i: number) => `troupe://t@127.0.0.1:${3000 + i}#n`;

function split(size: number, unreachable: number[], observer = 0): Gossip {
  return view(
    size,
    unreachable.map((u) => [observer, u]),
  );
}

/** `size` members (Up unless `statuses` says otherwise) and `records` as [observer, subject] pairs. */
function view(size: number, records: readonly (readonly [number, number])[], statuses: Readonly<Record<number, MemberStatus>> = {}): Gossip {
  let g = emptyGossip;
  for (let i = 0; i < size; i++) g = withMember(g, n(0), { address: n(i), status: statuses[i] ?? 'up', upNumber: statuses[i] === 'joining' ? 0 : i + 1, roles: [] });
  let r = g.reachability;
  for (const [observer, subject] of records) r = markUnreachable(r, n(observer), n(subject));
  return changed(g, n(0), { reachability: r });
}

/** Every record `observer` would hold after seeing each of `subjects` go silent. */
const sees = (observer: number, subjects: readonly number[]) => subjects.map((s) => [observer, s] as const);

describe('KeepMajority', () => {
  it('downs the unreachable minority from the majority side', () => {
    expect(new KeepMajority().decide(split(5, [3, 4]), n(0))).toEqual({ down: [n(3), n(4)], downsOwnSide: false });
  });

  it('downs its own side when it is the minority', () => {
    expect(new KeepMajority().decide(split(5, [0, 1, 2], 3), n(3))).toEqual({ down: [n(3), n(4)], downsOwnSide: true });
  });

  it('on a tie keeps the side with the lowest address', () => {
    expect(new KeepMajority().decide(split(4, [2, 3], 0), n(0))?.downsOwnSide).toBe(false);
    expect(new KeepMajority().decide(split(4, [0, 1], 2), n(2))?.downsOwnSide).toBe(true);
  });

  it('decides nothing when everyone is reachable', () => {
    expect(new KeepMajority().decide(split(3, []), n(0))).toBeUndefined();
  });
});

describe('StaticQuorum', () => {
  it('keeps a side with at least the quorum and downs a side below it', () => {
    expect(new StaticQuorum(3).decide(split(5, [3, 4]), n(0))?.downsOwnSide).toBe(false);
    expect(new StaticQuorum(3).decide(split(5, [0, 1, 2], 3), n(3))?.downsOwnSide).toBe(true);
  });

  it('rejects a quorum that is not a positive integer', () => {
    expect(() => new StaticQuorum(0)).toThrow(RangeError);
  });
});

// The views of a resumed zombie (nodes 3 and 4 of 5 were frozen, then resumed) and of
// the majority, as gossip merges them. Whatever the view, a node that cannot see a
// majority (or its quorum) must be told to down itself, and it is always on its own side.
describe('a side that cannot see a majority downs itself, whatever the rest of its view says', () => {
  const cases: readonly { readonly name: string; readonly gossip: Gossip; readonly self: number; readonly ownSide: boolean; readonly down: readonly number[] }[] = [
    {
      name: 'zombie 3 sees everyone unreachable, and its fellow zombie 4 reports 3 unreachable too',
      gossip: view(5, [...sees(3, [0, 1, 2, 4]), ...sees(4, [0, 1, 2, 3])]),
      self: 3,
      ownSide: true,
      down: [3],
    },
    {
      name: 'zombie 4, same view (self is never on the far side of its own partition)',
      gossip: view(5, [...sees(3, [0, 1, 2, 4]), ...sees(4, [0, 1, 2, 3])]),
      self: 4,
      ownSide: true,
      down: [4],
    },
    {
      name: 'zombie 3 sees everyone unreachable; survivor 0 had gossiped its records of the pair before it was cut off',
      gossip: view(5, [...sees(3, [0, 1, 2, 4]), ...sees(0, [3, 4])]),
      self: 3,
      ownSide: true,
      down: [3],
    },
    {
      name: 'the two zombies see each other; survivor 0 had gossiped its records of the pair',
      gossip: view(5, [...sees(3, [0, 1, 2]), ...sees(4, [0, 1, 2]), ...sees(0, [3, 4])]),
      self: 3,
      ownSide: true,
      down: [3, 4],
    },
    {
      name: 'zombie 3 sees everyone unreachable, by its own records only',
      gossip: view(5, sees(3, [0, 1, 2, 4])),
      self: 3,
      ownSide: true,
      down: [3],
    },
    {
      name: 'the two zombies see each other: a side of 2 against 3',
      gossip: view(5, [...sees(3, [0, 1, 2]), ...sees(4, [0, 1, 2])]),
      self: 4,
      ownSide: true,
      down: [3, 4],
    },
    {
      name: 'zombie 3 is reported unreachable by 4 but itself sees 4: self stays on its own side, with 4',
      gossip: view(5, [...sees(3, [0, 1, 2]), ...sees(4, [0, 1, 2, 3])]),
      self: 3,
      ownSide: true,
      down: [3, 4],
    },
    {
      name: 'the lowest address alone (it would win a tie) still loses to the other four',
      gossip: view(5, sees(0, [1, 2, 3, 4])),
      self: 0,
      ownSide: true,
      down: [0],
    },
    {
      name: 'a lone node of 2 sees its only peer unreachable and holds the lowest address: keeps itself on the tie',
      gossip: view(2, [...sees(0, [1]), ...sees(1, [0])]),
      self: 0,
      ownSide: false,
      down: [1],
    },
    {
      name: 'majority node 0 sees the zombies unreachable; what zombie 4 says about node 1 does not count',
      gossip: view(5, [...sees(0, [3, 4]), ...sees(4, [1])]),
      self: 0,
      ownSide: false,
      down: [3, 4],
    },
    {
      name: 'majority node 0: the zombies, unreachable from it, have recorded the majority unreachable too',
      gossip: view(5, [...sees(0, [3, 4]), ...sees(3, [0, 1, 2]), ...sees(4, [0, 1, 2])]),
      self: 0,
      ownSide: false,
      down: [3, 4],
    },
    {
      name: 'a Joining member on the minority side goes down with it but does not count',
      gossip: view(6, sees(4, [0, 1, 2, 3]), { 5: 'joining' }),
      self: 4,
      ownSide: true,
      down: [4, 5],
    },
  ];

  it.each(cases)('keep-majority: $name', ({ gossip, self, ownSide, down }) => {
    expect(new KeepMajority().decide(gossip, n(self))).toEqual({ down: down.map(n), downsOwnSide: ownSide });
  });

  // Of 5 members, a quorum of 3 is the majority: static-quorum decides as keep-majority does.
  it.each(cases.filter((c) => c.gossip.members.length === 5))('static-quorum(3): $name', ({ gossip, self, ownSide, down }) => {
    expect(new StaticQuorum(3).decide(gossip, n(self))).toEqual({ down: down.map(n), downsOwnSide: ownSide });
  });

  it('every strategy puts self on its own side, so the side it downs always includes self', () => {
    const strategies: DowningStrategy[] = [new KeepMajority(), new StaticQuorum(3), new StaticQuorum(1)];
    const gossip = view(5, [...sees(3, [0, 1, 2, 4]), ...sees(4, [0, 1, 2, 3])]);
    for (const strategy of strategies) {
      const decision = strategy.decide(gossip, n(3));
      expect(decision, strategy.name).toBeDefined();
      expect(decision?.downsOwnSide ? decision.down.includes(n(3)) : !decision?.down.includes(n(3)), strategy.name).toBe(true);
    }
  });
});
