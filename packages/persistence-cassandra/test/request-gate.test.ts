import { describe, expect, it } from 'vitest';
import { RequestGate } from '../src/internal/request-gate.js';

describe('RequestGate', () => {
  it('runs at most limit requests at once and the rest in arrival order', async () => {
    const gate = new RequestGate(2);
    const started: number[] = [];
    const finish: (() => void)[] = [];
    const runs = [1, 2, 3, 4].map((n) =>
      gate.run(async () => {
        started.push(n);
        await new Promise<void>((resolve) => finish.push(resolve));
        return n;
      }),
    );
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(started).toEqual([1, 2]);
    expect([gate.running, gate.queued]).toEqual([2, 2]);
    finish.shift()!();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(started).toEqual([1, 2, 3]);
    while (finish.length > 0 || started.length < 4) {
      finish.shift()?.();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(runs)).toEqual([1, 2, 3, 4]);
    expect([gate.running, gate.queued]).toEqual([0, 0]);
  });

  it('frees the slot when a request throws instead of returning a Promise', async () => {
    const gate = new RequestGate(1);
    await expect(
      gate.run(() => {
        throw new Error('bad statement');
      }),
    ).rejects.toThrow('bad statement');
    expect(await gate.run(() => Promise.resolve('next'))).toBe('next');
    expect(gate.running).toBe(0);
  });

  it('frees the slot when a request fails', async () => {
    const gate = new RequestGate(1);
    await expect(gate.run(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await gate.run(() => Promise.resolve('next'))).toBe('next');
    expect(gate.running).toBe(0);
  });
});
