import { describe, expect, it } from 'vitest';
import { forEachLimited } from '../src/internal/for-each-limited.js';

describe('forEachLimited', () => {
  it('runs every item with at most limit tasks at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      most = Math.max(most, ++running);
      await new Promise<void>((resolve) => setImmediate(resolve));
      done.push(item);
      running--;
    });
    expect(most).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('with no more items than the limit, starts all and rejects with the first failure once all settled', async () => {
    let settled = 0;
    const failure = new Error('boom');
    await expect(
      forEachLimited([1, 2, 3], 3, async (item) => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        settled++;
        if (item === 1) throw failure;
        if (item === 2) throw new Error('later');
      }),
    ).rejects.toBe(failure);
    expect(settled).toBe(3);
    await expect(
      forEachLimited([1], 1, () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
  });

  it('starts nothing after the first failure and rejects once the started tasks settled', async () => {
    const started: number[] = [];
    let settled = 0;
    const failure = new Error('boom');
    await expect(
      forEachLimited([1, 2, 3, 4, 5, 6], 2, async (item) => {
        started.push(item);
        await new Promise<void>((resolve) => setImmediate(resolve));
        settled++;
        if (item === 1) throw failure;
      }),
    ).rejects.toBe(failure);
    expect(started).toEqual([1, 2]);
    expect(settled).toBe(2);
  });
});
