import { describe, expect, it } from 'vitest';
import { PageChannel } from '../src/internal/page-channel.js';

describe('PageChannel', () => {
  it('hands items over in order and ends after the last one', async () => {
    const channel = new PageChannel<number>(2);
    const producing = (async () => {
      for (let i = 1; i <= 5; i++) expect(await channel.put(i)).toBe(true);
      channel.end();
    })();
    const taken: number[] = [];
    for (let item = await channel.take(); item !== undefined; item = await channel.take()) taken.push(item);
    await producing;
    expect(taken).toEqual([1, 2, 3, 4, 5]);
  });

  it('makes a producer wait while capacity items are buffered', async () => {
    const channel = new PageChannel<number>(2);
    await channel.put(1);
    await channel.put(2);
    let third = false;
    const waiting = channel.put(3).then(() => (third = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(third).toBe(false);
    expect(await channel.take()).toBe(1);
    await waiting;
    expect(third).toBe(true);
  });

  it('releases waiting producers with false when the consumer cancels', async () => {
    const channel = new PageChannel<number>(1);
    await channel.put(1);
    const blocked = channel.put(2);
    channel.cancel();
    expect(await blocked).toBe(false);
    expect(await channel.take()).toBeUndefined();
  });

  it('gives the consumer a producer failure on its next take', async () => {
    const channel = new PageChannel<number>(1);
    const failure = new Error('scan failed');
    const taking = channel.take();
    channel.fail(failure);
    await expect(taking).rejects.toBe(failure);
  });
});
