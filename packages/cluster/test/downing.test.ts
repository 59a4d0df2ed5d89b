import { describe, expect, it } from 'vitest';
import { KeepMajority, StaticQuorum } from '../src/index.js';
import { type Gossip, changed, emptyGossip, withMember } from '../src/membership/gossip.js';
import { markUnreachable } from '../src/membership/reachability.js';

const n = (i: number) => `troupe://t@127.0.0.1:${3000 + i}#n`;

function split(size: number, unreachable: number[], observer = 0): Gossip {
  let g = emptyGossip;
  for (let i = 0; i < size; i++) g = withMember(g, n(0), { address: n(i), status: 'up', upNumber: i + 1, roles: [] });
  let r = g.reachability;
  for (const u of unreachable) r = markUnreachable(r, n(observer), n(u));
  return changed(g, n(observer), { reachability: r });
}

describe('KeepMajority', () => {
  it('downs the unreachable minority from the majority side', () => {
    expect(new KeepMajority().decide(split(5, [3, 4]))).toEqual({ down: [n(3), n(4)], downsOwnSide: false });
  });

  it('downs its own side when it is the minority', () => {
    expect(new KeepMajority().decide(split(5, [0, 1, 2], 3))).toEqual({ down: [n(3), n(4)], downsOwnSide: true });
  });

  it('on a tie keeps the side with the lowest address', () => {
    expect(new KeepMajority().decide(split(4, [2, 3], 0))?.downsOwnSide).toBe(false);
    expect(new KeepMajority().decide(split(4, [0, 1], 2))?.downsOwnSide).toBe(true);
  });

  it('decides nothing when everyone is reachable', () => {
    expect(new KeepMajority().decide(split(3, []))).toBeUndefined();
  });
});

describe('StaticQuorum', () => {
  it('keeps a side with at least the quorum and downs a side below it', () => {
    expect(new StaticQuorum(3).decide(split(5, [3, 4]))?.downsOwnSide).toBe(false);
    expect(new StaticQuorum(3).decide(split(5, [0, 1, 2], 3))?.downsOwnSide).toBe(true);
  });

  it('rejects a quorum that is not a positive integer', () => {
    expect(() => new StaticQuorum(0)).toThrow(RangeError);
  });
});
