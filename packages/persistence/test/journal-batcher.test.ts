import { describe, expect, it } from 'vitest';
import { type AtomicWrite, InMemoryJournal, type Journal, type WriteReport } from '../src/index.js';
import { JournalBatcher, type WriteCallback } from '../src/journal-batcher.js';

function write(persistenceId: string, sequenceNr: number): AtomicWrite {
  return { persistenceId, events: [{ persistenceId, sequenceNr, payload: new Uint8Array(1), serializerId: 'json', manifest: '', eventManifest: '', tags: [], timestamp: 0, writerUuid: 'w' }] };
}

/** A callback that records its outcome and resolves `done`. */
function outcome(): WriteCallback & { done: Promise<string> } {
  const { promise, resolve } = Promise.withResolvers<string>();
  return {
    done: promise,
    written: (rejection) => resolve(rejection === undefined ? 'written' : `rejected: ${rejection.message}`),
    failed: (error) => resolve(`failed: ${(error as Error).message ?? String(error)}`),
  };
}

/** A journal whose calls settle (and report single outcomes early) only when the test says so. */
class ManualJournal extends InMemoryJournal {
  readonly calls: { writes: readonly AtomicWrite[]; report: WriteReport; settle: (results: readonly (Error | undefined)[] | Error) => void }[] = [];
  override writeMessages(writes: readonly AtomicWrite[], onWritten?: WriteReport): Promise<readonly (Error | undefined)[]> {
    const { promise, resolve, reject } = Promise.withResolvers<readonly (Error | undefined)[]>();
    this.calls.push({ writes, report: onWritten ?? (() => {}), settle: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    return promise;
  }
}

/** Records every outcome a callback hears (to see that none is told twice). */
function recorder(): WriteCallback & { heard: string[]; next: () => Promise<string> } {
  const heard: string[] = [];
  let waiting: ((value: string) => void) | undefined;
  const hear = (what: string): void => {
    heard.push(what);
    waiting?.(what);
    waiting = undefined;
  };
  return {
    heard,
    next: () => new Promise<string>((resolve) => (waiting = resolve)),
    written: (rejection) => hear(rejection === undefined ? 'written' : `rejected: ${rejection.message}`),
    failed: (error) => hear(`failed: ${(error as Error).message}`),
  };
}

/** Lets the event loop turn until `condition` holds (at most 1000 turns, so a broken batcher fails fast). */
async function turnsUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

describe('JournalBatcher', () => {
  it('sends writes submitted in the same tick as one call', async () => {
    const journal = new ManualJournal();
    const batcher = new JournalBatcher('j', journal);
    const outcomes = [1, 2, 3].map((i) => {
      const o = outcome();
      batcher.submit(write(`p${i}`, 1), o);
      return o;
    });
    await turnsUntil(() => journal.calls.length > 0);
    expect(journal.calls).toHaveLength(1);
    expect(journal.calls[0]!.writes.map((w) => w.persistenceId)).toEqual(['p1', 'p2', 'p3']);
    journal.calls[0]!.settle([undefined, new Error('too big'), undefined]);
    expect(await Promise.all(outcomes.map((o) => o.done))).toEqual(['written', 'rejected: too big', 'written']);
  });

  it('with maxCallsInFlight 1, keeps one call in flight and groups everything submitted meanwhile into the next', async () => {
    const journal = new ManualJournal();
    const batcher = new JournalBatcher('j', journal, { maxCallsInFlight: 1 });
    batcher.submit(write('a', 1), outcome());
    await turnsUntil(() => journal.calls.length > 0);
    const later = [outcome(), outcome()];
    batcher.submit(write('b', 1), later[0]!);
    batcher.submit(write('c', 1), later[1]!);
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(journal.calls).toHaveLength(1);
    journal.calls[0]!.settle([undefined]);
    await turnsUntil(() => journal.calls.length === 2);
    expect(journal.calls[1]!.writes.map((w) => w.persistenceId)).toEqual(['b', 'c']);
  });

  it('runs up to maxCallsInFlight calls at once and groups the rest into the next free call', async () => {
    const journal = new ManualJournal();
    const batcher = new JournalBatcher('j', journal, { maxCallsInFlight: 2 });
    batcher.submit(write('a', 1), outcome());
    await turnsUntil(() => journal.calls.length === 1);
    batcher.submit(write('b', 1), outcome());
    await turnsUntil(() => journal.calls.length === 2);
    batcher.submit(write('c', 1), outcome());
    batcher.submit(write('d', 1), outcome());
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(journal.calls).toHaveLength(2);
    journal.calls[1]!.settle([undefined]);
    await turnsUntil(() => journal.calls.length === 3);
    expect(journal.calls[2]!.writes.map((w) => w.persistenceId)).toEqual(['c', 'd']);
  });

  it('fails every write of a call that rejects, and one that answers the wrong number of results', async () => {
    const journal = new ManualJournal();
    const batcher = new JournalBatcher('j', journal);
    const first = outcome();
    batcher.submit(write('a', 1), first);
    await turnsUntil(() => journal.calls.length > 0);
    journal.calls[0]!.settle(new Error('disk gone'));
    expect(await first.done).toBe('failed: disk gone');
    const second = outcome();
    batcher.submit(write('b', 1), second);
    await turnsUntil(() => journal.calls.length === 2);
    journal.calls[1]!.settle([]);
    expect(await second.done).toMatch(/^failed: journal "j" returned 0 results for 1 writes/);
  });

  it('fails writes beyond maxQueuedWrites with JournalOverloadedError', async () => {
    const journal = new ManualJournal();
    const batcher = new JournalBatcher('j', journal, { maxBatchSize: 2, maxQueuedWrites: 2 });
    batcher.submit(write('a', 1), outcome());
    await turnsUntil(() => journal.calls.length > 0);
    batcher.submit(write('b', 1), outcome());
    batcher.submit(write('c', 1), outcome());
    const refused = outcome();
    batcher.submit(write('d', 1), refused);
    expect(await refused.done).toMatch(/failed: journal "j" has 2 writes queued/);
  });

  it('yields to the event loop while a journal that answers at once is kept busy', async () => {
    const journal: Journal = new InMemoryJournal();
    const batcher = new JournalBatcher('j', journal);
    let timerFired = false;
    setTimeout(() => (timerFired = true), 1);
    let seq = 0;
    // Each acknowledgement submits the next write at once, as an actor awaiting persist does.
    const { promise, resolve } = Promise.withResolvers<void>();
    const next = (): void => {
      // The cap only turns a starving batcher into a clean failure instead of a hung worker.
      if (timerFired || seq >= 200_000) return resolve();
      batcher.submit(write('busy', ++seq), {
        written: next,
        failed: (e) => {
          throw e;
        },
      });
    };
    next();
    await promise;
    expect(timerFired).toBe(true);
  });

  it('fails the writes of a call unanswered after callTimeoutMs, which keeps its slot until it settles', async () => {
    const journal = new ManualJournal();
    const batcher = new JournalBatcher('j', journal, { callTimeoutMs: 20, maxCallsInFlight: 1 });
    const hung = outcome();
    batcher.submit(write('slow', 1), hung);
    expect(await hung.done).toBe('failed: journal "j" did not answer a write within 20 ms');
    const waiting = batcher.settledFor('slow');
    expect(waiting).toBeDefined();
    expect(batcher.settledFor('other')).toBeUndefined();
    const behind = outcome();
    batcher.submit(write('other', 1), behind);
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(journal.calls).toHaveLength(1);
    journal.calls[0]!.settle([undefined]);
    await waiting;
    await turnsUntil(() => journal.calls.length === 2);
    journal.calls[1]!.settle([undefined]);
    expect(await behind.done).toBe('written');
    expect(batcher.settledFor('slow')).toBeUndefined();
  });

  it('starts a call in every free slot at once when more than maxBatchSize writes are queued', async () => {
    const journal = new ManualJournal();
    const batcher = new JournalBatcher('j', journal, { maxBatchSize: 2, maxCallsInFlight: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) batcher.submit(write(id, 1), outcome());
    await turnsUntil(() => journal.calls.length === 3);
    expect(journal.calls.map((c) => c.writes.map((w) => w.persistenceId))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'f'],
    ]);
    journal.calls[0]!.settle([undefined, undefined]);
    await turnsUntil(() => journal.calls.length === 4);
    expect(journal.calls[3]!.writes.map((w) => w.persistenceId)).toEqual(['g']);
  });

  describe('with a journal that reports outcomes before the call settles', () => {
    it('passes each reported outcome on at once, and the others when the call settles, each once', async () => {
      const journal = new ManualJournal();
      const batcher = new JournalBatcher('j', journal);
      const [a, b, c] = [recorder(), recorder(), recorder()];
      batcher.submit(write('a', 1), a);
      batcher.submit(write('b', 1), b);
      batcher.submit(write('c', 1), c);
      await turnsUntil(() => journal.calls.length === 1);
      const call = journal.calls[0]!;
      const bHears = b.next();
      call.report(1, undefined);
      expect(await bHears).toBe('written');
      const cHears = c.next();
      call.report(2, new Error('too big'));
      expect(await cHears).toBe('rejected: too big');
      expect(a.heard).toEqual([]);
      call.report(1, undefined); // a second report of the same write is ignored
      call.settle([undefined, undefined, new Error('too big')]);
      await turnsUntil(() => a.heard.length === 1);
      expect([a.heard, b.heard, c.heard]).toEqual([['written'], ['written'], ['rejected: too big']]);
    });

    it('fails only the writes it did not report when the call then rejects', async () => {
      const journal = new ManualJournal();
      const batcher = new JournalBatcher('j', journal);
      const [a, b] = [recorder(), recorder()];
      batcher.submit(write('a', 1), a);
      batcher.submit(write('b', 1), b);
      await turnsUntil(() => journal.calls.length === 1);
      journal.calls[0]!.report(0, undefined);
      journal.calls[0]!.settle(new Error('connection lost'));
      await turnsUntil(() => a.heard.length === 1 && b.heard.length === 1);
      expect([a.heard, b.heard]).toEqual([['written'], ['failed: connection lost']]);
    });

    it('ignores reports after the call settled or timed out, and throws back a report of a write it never sent', async () => {
      const journal = new ManualJournal();
      const batcher = new JournalBatcher('j', journal, { callTimeoutMs: 20 });
      const [a, b] = [recorder(), recorder()];
      batcher.submit(write('a', 1), a);
      await turnsUntil(() => journal.calls.length === 1);
      expect(await a.next()).toBe('failed: journal "j" did not answer a write within 20 ms');
      journal.calls[0]!.report(0, undefined);
      batcher.submit(write('b', 1), b);
      await turnsUntil(() => journal.calls.length === 2);
      const second = journal.calls[1]!;
      expect(() => second.report(7, undefined)).toThrow(new RangeError('journal "j" reported write 7 of a call with 1 writes'));
      second.settle([undefined]);
      await turnsUntil(() => b.heard.length === 1);
      second.report(0, undefined);
      await turnsUntil(() => true);
      expect([a.heard, b.heard]).toEqual([['failed: journal "j" did not answer a write within 20 ms'], ['written']]);
    });

    it('never calls back inside the writeMessages call, even when the journal reports synchronously', async () => {
      let inside = false;
      let calledInside: boolean | undefined;
      class SynchronousReporter extends InMemoryJournal {
        override writeMessages(writes: readonly AtomicWrite[], onWritten?: WriteReport): Promise<readonly (Error | undefined)[]> {
          inside = true;
          onWritten?.(0, undefined);
          inside = false;
          return super.writeMessages(writes);
        }
      }
      const batcher = new JournalBatcher('j', new SynchronousReporter());
      const { promise, resolve } = Promise.withResolvers<void>();
      batcher.submit(write('a', 1), { written: () => ((calledInside = inside), resolve()), failed: () => resolve() });
      await promise;
      expect(calledInside).toBe(false);
    });
  });

  it('validates its limits, naming the field', () => {
    expect(() => new JournalBatcher('j', new InMemoryJournal(), { callTimeoutMs: 0 })).toThrow(/callTimeoutMs/);
    expect(() => new JournalBatcher('j', new InMemoryJournal(), { maxBatchSize: 0 })).toThrow(/maxBatchSize/);
    expect(() => new JournalBatcher('j', new InMemoryJournal(), { maxCallsInFlight: 0 })).toThrow(/maxCallsInFlight/);
    expect(() => new JournalBatcher('j', new InMemoryJournal(), { maxBatchSize: 10, maxQueuedWrites: 5 })).toThrow(/maxQueuedWrites/);
  });
});
