import { describe, expect, it } from 'vitest';
import type { Member, MemberStatus } from '../src/index.js';
import { compareAge, oldestUpMember } from '../src/singleton/member-age.js';
import { ManagerRefs } from '../src/singleton/manager-refs.js';
import { SingletonBuffer } from '../src/singleton/singleton-buffer.js';
import { SingletonOptionError } from '../src/singleton/singleton-errors.js';
import { SINGLETON_DEFAULTS, resolveSingletonSettings } from '../src/singleton/singleton-settings.js';
import { SingletonSuccession } from '../src/singleton/singleton-succession.js';

const A = 'troupe://t@127.0.0.1:2551#a';
const B = 'troupe://t@127.0.0.1:2552#b';
const C = 'troupe://t@127.0.0.1:2553#c';

function member(address: string, status: MemberStatus, upNumber: number, roles: string[] = []): Member {
  return { address, status, upNumber, roles };
}

describe('oldestUpMember', () => {
  it('picks the Up member with the smallest up number, whatever the address order', () => {
    expect(oldestUpMember([member(A, 'up', 3), member(B, 'up', 1), member(C, 'up', 2)], undefined)?.address).toBe(B);
  });

  it('ignores members that are not Up (joining, leaving, exiting, down) and members without the role', () => {
    const members = [member(A, 'leaving', 1), member(B, 'up', 2), member(C, 'up', 3, ['worker'])];
    expect(oldestUpMember(members, undefined)?.address).toBe(B);
    expect(oldestUpMember(members, 'worker')?.address).toBe(C);
    expect(oldestUpMember([member(A, 'joining', 0), member(B, 'down', 1)], undefined)).toBeUndefined();
  });

  it('breaks a tie of up numbers by address, so every node picks the same member', () => {
    expect(oldestUpMember([member(B, 'up', 1), member(A, 'up', 1)], undefined)?.address).toBe(A);
    expect(compareAge(member(A, 'joining', 0), member(B, 'up', 5))).toBeGreaterThan(0);
  });
});

describe('SingletonSuccession', () => {
  it('lets the oldest Up member start when no one is older', () => {
    const s = new SingletonSuccession(A, undefined, 1000);
    s.update([member(A, 'up', 1), member(B, 'up', 2)], 0);
    expect(s.mayStart(0)).toBe(true);
    const b = new SingletonSuccession(B, undefined, 1000);
    b.update([member(A, 'up', 1), member(B, 'up', 2)], 0);
    expect(b.mayStart(0)).toBe(false);
  });

  it('never lets a member that is not Up start, even when it is the only one', () => {
    const s = new SingletonSuccession(A, undefined, 1000);
    s.update([member(A, 'joining', 0)], 0);
    expect(s.mayStart(0)).toBe(false);
    s.update([member(A, 'leaving', 1)], 0);
    expect(s.mayStart(0)).toBe(false);
  });

  it('waits for a leaving older member to hand over, and only for that', () => {
    const s = new SingletonSuccession(B, undefined, 1000);
    s.update([member(A, 'leaving', 1), member(B, 'up', 2), member(C, 'up', 3)], 0);
    expect(s.selfIsOldest).toBe(true);
    expect(s.pendingHandOvers()).toEqual([A]);
    expect(s.mayStart(1_000_000)).toBe(false);
    s.handOverReceived(A);
    expect(s.mayStart(0)).toBe(true);
  });

  it('takes over from a Down older member only after the margin, counted from when it was first seen Down', () => {
    const s = new SingletonSuccession(B, undefined, 1000);
    s.update([member(A, 'up', 1), member(B, 'up', 2)], 0);
    s.update([member(A, 'down', 1), member(B, 'up', 2)], 500);
    expect(s.pendingHandOvers()).toEqual([]);
    expect(s.takeOverNotBefore(500)).toBe(1500);
    // Removed meanwhile: still counted from the Down.
    s.update([member(B, 'up', 2)], 1000);
    expect(s.mayStart(1499)).toBe(false);
    expect(s.mayStart(1500)).toBe(true);
  });

  it('treats an older member that vanished without handing over like a Down one', () => {
    const s = new SingletonSuccession(B, undefined, 1000);
    s.update([member(A, 'exiting', 1), member(B, 'up', 2)], 0);
    s.update([member(B, 'up', 2)], 200);
    expect(s.mayStart(1199)).toBe(false);
    expect(s.mayStart(1200)).toBe(true);
  });

  it('forgets a member once it is gone from the view and its margin has passed, so what it keeps does not grow with every member that ever joined', () => {
    const s = new SingletonSuccession(A, undefined, 1000);
    for (let i = 0; i < 50; i++) {
      const x = `troupe://t@127.0.0.1:${3000 + i}#x`;
      s.update([member(A, 'up', 1), member(x, 'up', i + 2)], i * 10);
      s.update([member(A, 'up', 1), member(x, 'leaving', i + 2)], i * 10 + 1);
      s.handOverReceived(x);
      s.update([member(A, 'up', 1)], i * 10 + 5);
    }
    // Still within the margin of the last ones: kept.
    expect(s.trackedMembers).toBeGreaterThan(1);
    s.update([member(A, 'up', 1)], 10_000);
    expect(s.trackedMembers).toBe(1);
    expect(s.mayStart(10_000)).toBe(true);
  });

  it('still waits the full margin for an older member that vanished, then forgets it', () => {
    const s = new SingletonSuccession(B, undefined, 1000);
    s.update([member(A, 'up', 1), member(B, 'up', 2)], 0);
    s.update([member(A, 'removed', 1), member(B, 'up', 2)], 100);
    s.update([member(B, 'up', 2)], 200);
    expect(s.mayStart(1099)).toBe(false);
    expect(s.trackedMembers).toBe(2);
    s.update([member(B, 'up', 2)], 1100);
    expect(s.trackedMembers).toBe(1);
    expect(s.mayStart(1100)).toBe(true);
  });

  it('forgets hand-over answers from addresses it never knew (a confused or malformed peer) on the next prune', () => {
    const s = new SingletonSuccession(A, undefined, 1000);
    s.update([member(A, 'up', 1)], 0);
    for (let i = 0; i < 20; i++) s.handOverReceived(`troupe://t@127.0.0.1:${4000 + i}#y`);
    s.prune(1);
    expect(s.trackedMembers).toBe(1);
  });

  it('does not wait for older members without the role', () => {
    const s = new SingletonSuccession(B, 'worker', 1000);
    s.update([member(A, 'leaving', 1), member(B, 'up', 2, ['worker'])], 0);
    expect(s.mayStart(0)).toBe(true);
  });
});

describe('ManagerRefs', () => {
  it('caches one ref per node and drops the refs of nodes no longer in the view', () => {
    const made: string[] = [];
    const refs = new ManagerRefs((node) => {
      made.push(node);
      return { path: node } as never;
    });
    expect(refs.get(A)).toBe(refs.get(A));
    refs.get(B);
    refs.get(C);
    expect(made).toEqual([A, B, C]);
    refs.retain([member(A, 'up', 1), member(C, 'down', 3)]);
    expect(refs.size).toBe(2);
    refs.get(B);
    expect(made).toEqual([A, B, C, B]);
  });
});

describe('SingletonBuffer', () => {
  it('holds up to its capacity, in order, and refuses what does not fit', () => {
    const buffer = new SingletonBuffer<number>(3);
    expect([1, 2, 3, 4].map((n) => buffer.push(n))).toEqual([true, true, true, false]);
    expect(buffer.size).toBe(3);
    expect(buffer.takeAll()).toEqual([1, 2, 3]);
    expect(buffer.size).toBe(0);
    expect(buffer.push(5)).toBe(true);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new SingletonBuffer(0)).toThrow(RangeError);
  });
});

describe('resolveSingletonSettings', () => {
  const create = () => {
    throw new Error('not called');
  };

  it('fills in the defaults, the removal margin from the cluster', () => {
    expect(resolveSingletonSettings({ name: 'jobs', create }, 7000)).toMatchObject({
      name: 'jobs',
      role: undefined,
      bufferSize: SINGLETON_DEFAULTS.bufferSize,
      handOverRetryIntervalMs: 1000,
      downRemovalMarginMs: 7000,
      stopTimeoutMs: 10_000,
    });
  });

  it.each([
    [{ name: 'a b', create }, 'name'],
    [{ name: '', create }, 'name'],
    [{ name: 'x'.repeat(101), create }, 'name'],
    [{ name: 'jobs' }, 'create'],
    [{ name: 'jobs', create, role: '' }, 'role'],
    [{ name: 'jobs', create, bufferSize: 0 }, 'bufferSize'],
    [{ name: 'jobs', create, bufferSize: 10_001 }, 'bufferSize'],
    [{ name: 'jobs', create, bufferSize: 1.5 }, 'bufferSize'],
    [{ name: 'jobs', create, handOverRetryIntervalMs: 0 }, 'handOverRetryIntervalMs'],
    [{ name: 'jobs', create, downRemovalMarginMs: Infinity }, 'downRemovalMarginMs'],
    [{ name: 'jobs', create, stopTimeoutMs: -1 }, 'stopTimeoutMs'],
  ])('refuses %j with a SingletonOptionError naming %s', (options, field) => {
    let error: unknown;
    try {
      resolveSingletonSettings(options as never, 7000);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SingletonOptionError);
    expect(error).toMatchObject({ code: 'ERR_SINGLETON_INVALID_OPTION', field });
    expect((error as Error).message).toContain(`ClusterSingleton.init: ${field} `);
  });
});
