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
          expect(
            all.filter((e) => e.repr.persistenceId === id).map((e) => e.repr.sequenceNr),
            `events of ${id} in sequence order`,
          ).toEqual(Array.from({ length: perWriter }, (_, i) => i + 1));
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

    it('eventsByTag: a reader resuming from its last offset while writers write concurrently sees every event exactly once', async (ctx) => {
      if (!journal.capabilities.eventsByTagQuery || journal.currentEventsByTag === undefined) return ctx.skip();
      const other = await openSibling(journal, options.openSibling);
      try {
        const tag = freshId('tag');
        const writers = [journal, other, journal, other, journal, other].map((on) => ({ on, id: freshId('tag-writer') }));
        const perWriter = 20;
        let writing = true;
        const writes = Promise.all(
          writers.map(async ({ on, id }, w) => {
            for (let seq = 1; seq <= perWriter;) {
              // Writes of one and of two events, so offsets are handed out in steps of both sizes.
              const to = Math.min(perWriter, seq + ((seq + w) % 2));
              const [result] = await on.writeMessages([atomic(id, seq, to, { tags: [tag] })]);
              if (result !== undefined) throw result;
              seq = to + 1;
            }
          }),
        ).finally(() => (writing = false));
        // Readers as a projection runs them: query from the last offset seen, small pages,
        // again and again. An event that becomes visible below an offset already returned
        // (its offset was handed out before, its write committed after) is lost to them.
        const readers = [journal, other].map((on) => ({ on, after: 0, seen: [] as OrderedRepr[] }));
        const readPage = async (reader: (typeof readers)[number]): Promise<number> => {
          const page = await reader.on.currentEventsByTag!(tag, reader.after, 7);
          expectIncreasing(page);
          for (const event of page) expect(event.offset, 'offsets strictly above the one resumed from').toBeGreaterThan(reader.after);
          if (page.length > 0) reader.after = page[page.length - 1]!.offset;
          reader.seen.push(...page);
          return page.length;
        };
        const reads = Promise.all(
          readers.map(async (reader) => {
            while (writing) {
              await readPage(reader);
              await new Promise<void>((resolve) => setImmediate(resolve));
            }
          }),
        );
        await Promise.all([writes, reads]);
        const expected = writers.length * perWriter;
        // Catch up: the writes are acknowledged, so their events are there to be read.
        for (const reader of readers) {
          const deadline = Date.now() + 10_000;
          while (reader.seen.length < expected && Date.now() < deadline) {
            if ((await readPage(reader)) === 0) await new Promise<void>((resolve) => setTimeout(resolve, 20));
          }
          const keys = reader.seen.map((e) => `${e.repr.persistenceId}:${e.repr.sequenceNr}`);
          expect(new Set(keys).size, 'no event seen twice').toBe(keys.length);
          const missing = writers.flatMap(({ id }) => Array.from({ length: perWriter }, (_, i) => `${id}:${i + 1}`)).filter((key) => !keys.includes(key));
          expect(missing, 'every acknowledged event is seen by a reader resuming from its last offset').toEqual([]);
          for (const { id } of writers) {
            expect(
              reader.seen.filter((e) => e.repr.persistenceId === id).map((e) => e.repr.sequenceNr),
              `events of ${id} in sequence order`,
            ).toEqual(Array.from({ length: perWriter }, (_, i) => i + 1));
          }
        }
      } finally {
        if (other !== journal) await other.close?.();
      }
    }, 60_000);

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
