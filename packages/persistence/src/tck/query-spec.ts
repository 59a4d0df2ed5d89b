import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Journal, OrderedRepr } from '../journal.js';
import { atomic, freshId, openSibling } from './tck-fixtures.js';
import type { JournalTckOptions } from './tck-options.js';

/**
 * Registers the query suites for the capabilities the journal declares
 * (`persistenceIdsQuery`, `eventsByTagQuery`, `changeNotifications`); the others are skipped.
 */
export function querySpec(name: string, options: JournalTckOptions): void {
  describe(`${name} (query TCK)`, () => {
    let journal: Journal;

    beforeEach(async () => {
      journal = await options.create();
    });

    afterEach(async () => {
      if (options.destroy !== undefined) await options.destroy(journal);
      else await journal.close?.();
    });

    it('persistenceIds: lists each id once, in order of first write, resumable by offset', async (ctx) => {
      if (!journal.capabilities.persistenceIdsQuery || journal.currentPersistenceIds === undefined) return ctx.skip();
      const ids = [freshId('ids'), freshId('ids'), freshId('ids')];
      for (const id of ids) await journal.writeMessages([atomic(id, 1, 2)]);
      await journal.writeMessages([atomic(ids[0] as string, 3, 3)]);
      const all = await journal.currentPersistenceIds(0, 1_000_000);
      const ours = all.filter((e) => ids.includes(e.persistenceId));
      expect(ours.map((e) => e.persistenceId)).toEqual(ids);
      const offsets = all.map((e) => e.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(new Set(offsets).size).toBe(offsets.length);
      const afterFirst = await journal.currentPersistenceIds(ours[0]!.offset, 1_000_000);
      expect(afterFirst.map((e) => e.persistenceId)).not.toContain(ids[0]);
      expect(afterFirst.map((e) => e.persistenceId)).toContain(ids[2]);
      expect(await journal.currentPersistenceIds(0, 2)).toHaveLength(Math.min(2, all.length));
    });

    it('eventsByTag: returns tagged events of every id in write order with increasing offsets', async (ctx) => {
      if (!journal.capabilities.eventsByTagQuery || journal.currentEventsByTag === undefined) return ctx.skip();
      const tag = freshId('tag');
      const a = freshId();
      const b = freshId();
      await journal.writeMessages([atomic(a, 1, 1, { tags: [tag] }), atomic(b, 1, 1, { tags: [tag, 'other'] })]);
      await journal.writeMessages([atomic(a, 2, 2)]); // untagged
      await journal.writeMessages([atomic(a, 3, 3, { tags: [tag] })]);
      const found = await journal.currentEventsByTag(tag, 0, 1000);
      expect(found.map((e) => `${e.repr.persistenceId === a ? 'a' : 'b'}${e.repr.sequenceNr}`)).toEqual(['a1', 'b1', 'a3']);
      expectIncreasing(found);
      expect(found[1]!.repr.tags).toEqual([tag, 'other']);
    });

    it('eventsByTag: resumes after an offset and pages with a limit', async (ctx) => {
      if (!journal.capabilities.eventsByTagQuery || journal.currentEventsByTag === undefined) return ctx.skip();
      const tag = freshId('tag');
      const id = freshId();
      for (let seq = 1; seq <= 6; seq++) await journal.writeMessages([atomic(id, seq, seq, { tags: [tag] })]);
      const firstPage = await journal.currentEventsByTag(tag, 0, 4);
      expect(firstPage.map((e) => e.repr.sequenceNr)).toEqual([1, 2, 3, 4]);
      const rest = await journal.currentEventsByTag(tag, firstPage[3]!.offset, 100);
      expect(rest.map((e) => e.repr.sequenceNr)).toEqual([5, 6]);
      await journal.writeMessages([atomic(id, 7, 7, { tags: [tag] })]);
      const later = await journal.currentEventsByTag(tag, rest[1]!.offset, 100);
      expect(later.map((e) => e.repr.sequenceNr)).toEqual([7]);
      expect(await journal.currentEventsByTag(freshId('no-such-tag'), 0, 100)).toEqual([]);
    });

    it('eventsByTag: never places an event written after a query returned an offset at or before that offset (concurrent writers)', async (ctx) => {
      if (!journal.capabilities.eventsByTagQuery || journal.currentEventsByTag === undefined) return ctx.skip();
      const other = await openSibling(journal, options.openSibling);
      try {
        const tag = freshId('tag');
        const writers = [journal, other, journal, other].map((on) => ({ on, id: freshId('tag-writer') }));
        const perWriter = 15;
        // A logical clock orders "a write started" against "a query returned".
        let step = 0;
        const writeStartedAt = new Map<string, number>();
        const queries: { returnedAt: number; highestOffset: number }[] = [];
        let writing = true;
        const writes = Promise.all(
          writers.map(async ({ on, id }) => {
            for (let seq = 1; seq <= perWriter; seq++) {
              writeStartedAt.set(`${id}:${seq}`, ++step);
              const [result] = await on.writeMessages([atomic(id, seq, seq, { tags: [tag] })]);
              if (result !== undefined) throw result;
            }
          }),
        ).finally(() => (writing = false));
        const reads = (async () => {
          let after = 0;
          while (writing) {
            const page = await journal.currentEventsByTag!(tag, after, 1000);
            const returnedAt = ++step;
            if (page.length > 0) after = page[page.length - 1]!.offset;
            expectIncreasing(page);
            queries.push({ returnedAt, highestOffset: after });
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
        })();
        await Promise.all([writes, reads]);
        const all = await journal.currentEventsByTag(tag, 0, 10_000);
        expect(all).toHaveLength(writers.length * perWriter);
        expectIncreasing(all);
        for (const { id } of writers) {
          expect(all.filter((e) => e.repr.persistenceId === id).map((e) => e.repr.sequenceNr), `events of ${id} in sequence order`).toEqual(Array.from({ length: perWriter }, (_, i) => i + 1));
        }
        for (const event of all) {
          const started = writeStartedAt.get(`${event.repr.persistenceId}:${event.repr.sequenceNr}`) as number;
          // The newest offset any query had returned before this write started.
          let returnedBefore = 0;
          for (const q of queries) if (q.returnedAt < started) returnedBefore = Math.max(returnedBefore, q.highestOffset);
          expect(event.offset, `${event.repr.persistenceId}:${event.repr.sequenceNr} was written after a query returned offset ${returnedBefore}`).toBeGreaterThan(returnedBefore);
        }
      } finally {
        if (other !== journal) await other.close?.();
      }
    });

    it('subscribe: notifies listeners after a write and stops after unsubscribing', async (ctx) => {
      if (!journal.capabilities.changeNotifications || journal.subscribe === undefined) return ctx.skip();
      let calls = 0;
      let notified!: () => void;
      const first = new Promise<void>((resolve) => (notified = resolve));
      const unsubscribe = journal.subscribe(() => {
        calls++;
        notified();
      });
      await journal.writeMessages([atomic(freshId(), 1, 1)]);
      await first;
      expect(calls).toBeGreaterThanOrEqual(1);
      unsubscribe();
      const before = calls;
      await journal.writeMessages([atomic(freshId(), 1, 1)]);
      await journal.readHighestSequenceNr(freshId(), 0);
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(calls).toBe(before);
    });
  });
}

function expectIncreasing(events: readonly OrderedRepr[]): void {
  for (let i = 1; i < events.length; i++) expect(events[i]!.offset).toBeGreaterThan(events[i - 1]!.offset);
}
