import { awaitCondition } from '@troupe/testkit';
import { describe, expect, it } from 'vitest';
import { JournalListeners } from '../src/index.js';

// The listener set every journal shares through the SPI (in-memory, SQLite, Kafka, Cassandra).
describe('JournalListeners', () => {
  it('calls each listener once per tick however many writes notified, never inside notify()', async () => {
    const listeners = new JournalListeners();
    let calls = 0;
    listeners.add(() => calls++);
    listeners.notify();
    listeners.notify();
    listeners.notify();
    expect(calls).toBe(0);
    await awaitCondition(() => calls === 1, { timeoutMs: 1000 });
    listeners.notify();
    await awaitCondition(() => calls === 2, { timeoutMs: 1000 });
  });

  it('treats one function subscribed twice as two subscriptions, each removed on its own', async () => {
    const listeners = new JournalListeners();
    let calls = 0;
    const listener = () => calls++;
    const first = listeners.add(listener);
    listeners.add(listener);
    expect(listeners.size).toBe(2);
    first();
    expect(listeners.size).toBe(1);
    listeners.notify();
    await awaitCondition(() => calls === 1, { timeoutMs: 1000 });
  });

  it("turns a listener's throw into a process warning and still calls the others", async () => {
    const listeners = new JournalListeners();
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === 'TROUPE_LISTENER_THREW') warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    try {
      let called = false;
      listeners.add(() => {
        throw new Error('listener down');
      });
      listeners.add(() => {
        called = true;
      });
      listeners.notify();
      await awaitCondition(() => called && warnings.length === 1, { timeoutMs: 1000 });
      expect(warnings[0]).toContain('listener down');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('refuses a listener that is not a function, naming it', () => {
    expect(() => new JournalListeners().add(42 as unknown as () => void)).toThrow(/listener must be a function/);
  });
});
