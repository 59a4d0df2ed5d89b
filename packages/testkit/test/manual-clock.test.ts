import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/index.js';

describe('ManualClock', () => {
  it('runs due callbacks in time order, ties in scheduling order, including ones scheduled while advancing', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.schedule(30, () => fired.push('c@30'));
    clock.schedule(10, () => {
      fired.push(`a@${clock.now()}`);
      clock.schedule(5, () => fired.push(`nested@${clock.now()}`));
    });
    clock.schedule(10, () => fired.push('b@10'));
    clock.advance(20);
    expect(fired).toEqual(['a@10', 'b@10', 'nested@15']);
    expect(clock.now()).toBe(20);
    clock.advance(10);
    expect(fired.at(-1)).toBe('c@30');
  });

  it('skips cancelled callbacks and counts pending timers', () => {
    const clock = new ManualClock();
    let ran = false;
    const handle = clock.schedule(10, () => {
      ran = true;
    });
    expect(clock.pendingTimers).toBe(1);
    handle.cancel();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(100);
    expect(ran).toBe(false);
  });

  it('rejects a negative advance', () => {
    expect(() => new ManualClock().advance(-1)).toThrow(RangeError);
  });
});
