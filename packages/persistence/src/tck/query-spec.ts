import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Journal, OrderedRepr } from '../journal.js';
import { atomic, codeOf, freshId, openSibling, text } from './tck-fixtures.js';
import type { JournalTckOptions } from './tck-options.js';

/**
 * Registers the query suites for the capabilities the journal declares
 * (`persistenceIdsQuery`, `eventsByTagQuery`, `changeNotifications`,
 * `highestOffsetOfTagQuery`); the others are skipped.
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

    it('highestOffsetOfTag: is the offset of the last tagged event now, 0 for a tag no event carries', async (ctx) => {
      if (journal.capabilities.highestOffsetOfTagQuery !== true || journal.currentHighestOffsetOfTag === undefined || journal.currentEventsByTag === undefined) return ctx.skip();
      const tag = freshId('tag');
      const id = freshId();
      expect(await journal.currentHighestOffsetOfTag(tag)).toBe(0);
      await journal.writeMessages([atomic(id, 1, 2, { tags: [tag] })]);
      await journal.writeMessages([atomic(id, 3, 3)]); // untagged
      const tagged = await journal.currentEventsByTag(tag, 0, 100);
      expect(await journal.currentHighestOffsetOfTag(tag)).toBe(tagged.at(-1)!.offset);
      await journal.writeMessages([atomic(freshId(), 1, 1, { tags: [tag] })]);
      expect(await journal.currentHighestOffsetOfTag(tag)).toBe((await journal.currentEventsByTag(tag, 0, 100)).at(-1)!.offset);
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

    it('eventsByTag: writers on several instances and a consumer that stops and resumes from its stored offset see every acknowledged tagged event exactly once', async (ctx) => {
      if (!journal.capabilities.eventsByTagQuery || journal.currentEventsByTag === undefined) return ctx.skip();
      // Three instances as three nodes (or one, when the plugin gives no siblings).
      const nodes = [journal, await openSibling(journal, options.openSibling), await openSibling(journal, options.openSibling)];
      const consumers: Journal[] = [];
      try {
        const tag = freshId('tag');
        const writers = nodes.flatMap((on) => [0, 1].map(() => ({ on, id: freshId('tag-writer') })));
        const perWriter = 24;
        const acknowledged = new Set<string>();
        let writing = true;
        const writes = Promise.all(
          writers.map(async ({ on, id }, w) => {
            for (let seq = 1; seq <= perWriter;) {
              // Writes of one to three events; every third event untagged, some with a second tag.
              const to = Math.min(perWriter, seq + ((seq + w) % 3));
              const events = atomic(id, seq, to).events.map((e) => ({ ...e, tags: e.sequenceNr % 3 === 0 ? [] : e.sequenceNr % 2 === 0 ? [tag, `${tag}-b`] : [tag] }));
              const [result] = await on.writeMessages([{ persistenceId: id, events }]);
              if (result !== undefined) throw result;
              for (const e of events) if (e.tags.includes(tag)) acknowledged.add(`${id}:${e.sequenceNr}`);
              seq = to + 1;
            }
          }),
        ).finally(() => (writing = false));
        // The consumer as a projection runs it: pages of five from its stored offset, and
        // every few pages it stops (its instance closes) and a new one resumes from the offset.
        const seen: OrderedRepr[] = [];
        let stored = 0;
        const consume = async (pages: number): Promise<number> => {
          const on = await openSibling(journal, options.openSibling);
          if (on !== journal) consumers.push(on);
          let read = 0;
          try {
            for (let page = 0; page < pages; page++) {
              const events = await on.currentEventsByTag!(tag, stored, 5);
              expectIncreasing(events);
              for (const event of events) expect(event.offset, 'offsets strictly above the stored one').toBeGreaterThan(stored);
              seen.push(...events);
              read += events.length;
              if (events.length > 0) stored = events[events.length - 1]!.offset;
              if (events.length < 5) break;
            }
          } finally {
            if (on !== journal) {
              consumers.splice(consumers.indexOf(on), 1);
              await on.close?.();
            }
          }
          return read;
        };
        const reads = (async () => {
          for (let round = 0; writing; round++) await consume(1 + (round % 3));
        })();
        await Promise.all([writes, reads]);
        // Catch up: the writes are acknowledged, so their events are there to be read.
        const deadline = Date.now() + 20_000;
        while (seen.length < acknowledged.size && Date.now() < deadline) {
          if ((await consume(3)) === 0) await new Promise<void>((resolve) => setTimeout(resolve, 20));
        }
        const keys = seen.map((e) => `${e.repr.persistenceId}:${e.repr.sequenceNr}`);
        expect(new Set(keys).size, 'no event seen twice').toBe(keys.length);
        expect(
          [...acknowledged].filter((key) => !keys.includes(key)),
          'every acknowledged tagged event is seen',
        ).toEqual([]);
        expect(
          keys.filter((key) => !acknowledged.has(key)),
          'only acknowledged tagged events are seen',
        ).toEqual([]);
        for (const { id } of writers) {
          const numbers = seen.filter((e) => e.repr.persistenceId === id).map((e) => e.repr.sequenceNr);
          expect(numbers, `events of ${id} in sequence order`).toEqual([...numbers].sort((a, b) => a - b));
        }
      } finally {
        for (const on of [...consumers, ...nodes.slice(1)]) if (on !== journal) await on.close?.();
      }
    }, 90_000);

    it('eventsByTag: a refused write (fenced writer, taken sequence number) never appears', async (ctx) => {
      if (!journal.capabilities.eventsByTagQuery || journal.currentEventsByTag === undefined) return ctx.skip();
      const other = await openSibling(journal, options.openSibling);
      try {
        const tag = freshId('tag');
        const id = freshId('fenced');
        const tagged = (from: number, to: number, writerUuid: string, note: string) => atomic(id, from, to, { tags: [tag], writerUuid, payload: new TextEncoder().encode(`${id}:${from}:${note}`) });
        const claim = (on: Journal, writer: string) => (on.claimWriter as NonNullable<Journal['claimWriter']>)(id, writer);
        await claim(journal, 'writer-a');
        expect(await journal.readHighestSequenceNr(id, 1)).toBe(0);
        expect((await journal.writeMessages([tagged(1, 2, 'writer-a', 'a')]))[0]).toBeUndefined();
        // A second incarnation on another node claims the id.
        await claim(other, 'writer-b');
        expect(await other.readHighestSequenceNr(id, 1)).toBe(2);
        const fenced = (await journal.writeMessages([tagged(3, 3, 'writer-a', 'stale')]))[0];
        expect(codeOf(fenced), 'the stale writer is refused').toBe('ERR_WRITER_FENCED');
        expect((await other.writeMessages([tagged(3, 4, 'writer-b', 'b')]))[0]).toBeUndefined();
        const taken = (await other.writeMessages([tagged(4, 4, 'writer-b', 'again')]))[0];
        expect(codeOf(taken), 'a taken number is refused').toBe('ERR_SEQUENCE_NUMBER_TAKEN');
        const staleAgain = (await journal.writeMessages([tagged(5, 5, 'writer-a', 'stale')]))[0];
        expect(codeOf(staleAgain)).toBe('ERR_WRITER_FENCED');
        expect((await other.writeMessages([tagged(5, 5, 'writer-b', 'b')]))[0]).toBeUndefined();
        for (const on of new Set([journal, other])) {
          const found = await on.currentEventsByTag!(tag, 0, 100);
          expect(
            found.map((e) => `${e.repr.sequenceNr}:${e.repr.writerUuid}:${text(e.repr.payload).split(':').pop()}`),
            'the history only, each event once',
          ).toEqual(['1:writer-a:a', '2:writer-a:a', '3:writer-b:b', '4:writer-b:b', '5:writer-b:b']);
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
