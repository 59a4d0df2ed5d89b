import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Journal, OrderedRepr } from '../journal.js';
import type { AtomicWrite } from '../persistent-repr.js';
import { atomic, codeOf, freshId, openSibling, repr, text } from './tck-fixtures.js';
import type { JournalTckOptions } from './tck-options.js';

const encoder = new TextEncoder();

/**
 * Registers the resumed-consumer suite of the query capabilities (`eventsByTagQuery`,
 * `persistenceIdsQuery`): several writers on several journal instances (`openSibling`, as
 * separate nodes) write concurrently while a consumer reads a page at a time, stores its
 * offset, stops, and starts again from the stored offset, on any instance. At the end it
 * has seen every acknowledged event exactly once, in each id's order, and none of the
 * writes the journal refused (a taken sequence number, a fenced writer, a payload too large).
 */
export function resumedTagQuerySpec(name: string, options: JournalTckOptions): void {
  describe(`${name} (resumed query TCK)`, () => {
    let journal: Journal;
    let instances: Journal[];

    beforeEach(async () => {
      journal = await options.create();
      const siblings = [await openSibling(journal, options.openSibling), await openSibling(journal, options.openSibling)];
      instances = [journal, ...siblings.filter((sibling) => sibling !== journal)];
    });

    afterEach(async () => {
      for (const instance of instances) if (instance !== journal) await instance.close?.();
      if (options.destroy !== undefined) await options.destroy(journal);
      else await journal.close?.();
    });

    it('eventsByTag: a consumer that stops and resumes from its stored offset while writers on several instances write sees every acknowledged event once, in per-id order, and no refused write', async (ctx) => {
      if (!journal.capabilities.eventsByTagQuery || journal.currentEventsByTag === undefined) return ctx.skip();
      const tag = freshId('resumed-tag');
      const perWriter = 24;
      const writers = Array.from({ length: 6 }, (_, w) => ({ on: instances[w % instances.length] as Journal, id: freshId('resumed-writer'), uuid: `writer-${w}` }));
      // What was acknowledged, per id, in the order the journal stored it: what the consumer must see.
      const acknowledged = new Map<string, number[]>(writers.map(({ id }) => [id, []]));
      const refusedPayload = 'refused-write';
      let refusals = 0;
      let writing = true;

      const writes = Promise.all(
        writers.map(async ({ on, id, uuid }, w) => {
          for (let seq = 1; seq <= perWriter;) {
            // Writes of one to three events; every fourth event untagged, so a write may mix both.
            const to = Math.min(perWriter, seq + ((seq + w) % 3));
            const events = [];
            for (let n = seq; n <= to; n++) events.push(repr(id, n, { writerUuid: uuid, tags: n % 4 === 0 ? [] : [tag, 'other'] }));
            const [result] = await on.writeMessages([{ persistenceId: id, events }]);
            if (result !== undefined) throw result;
            acknowledged.get(id)!.push(...events.filter((event) => event.tags.includes(tag)).map((event) => event.sequenceNr));
            // A second writer, on another instance, tries the number just stored: refused, never listed.
            if (seq % 5 === 1) {
              const intruder = instances[(w + 1) % instances.length] as Journal;
              const [taken] = await intruder.writeMessages([atomic(id, to, to, { writerUuid: 'intruder', tags: [tag], payload: encoder.encode(refusedPayload) })]);
              expect(codeOf(taken), `a write of the taken number ${id}:${to}`).toBe('ERR_SEQUENCE_NUMBER_TAKEN');
              refusals++;
            }
            seq = to + 1;
          }
        }),
      );

      // A zombie: its id is claimed by a newer writer on another instance; its next write is refused.
      const fenced = freshId('resumed-fenced');
      acknowledged.set(fenced, []);
      const fencing = (async () => {
        const old = instances[0] as Journal;
        const newer = instances[instances.length - 1] as Journal;
        await old.claimWriter(fenced, 'old');
        expect(await old.writeMessages([atomic(fenced, 1, 2, { writerUuid: 'old', tags: [tag] })])).toEqual([undefined]);
        acknowledged.get(fenced)!.push(1, 2);
        await newer.claimWriter(fenced, 'new');
        const [refused] = await old.writeMessages([atomic(fenced, 3, 3, { writerUuid: 'old', tags: [tag], payload: encoder.encode(refusedPayload) })]);
        expect(codeOf(refused), 'the zombie write after the newer claim').toBe('ERR_WRITER_FENCED');
        refusals++;
        expect(await newer.writeMessages([atomic(fenced, 3, 4, { writerUuid: 'new', tags: [tag] })])).toEqual([undefined]);
        acknowledged.get(fenced)!.push(3, 4);
        if (options.rejectsPayloadsAbove !== undefined) {
          const tooLarge = new Uint8Array(options.rejectsPayloadsAbove + 1);
          const [rejected] = await newer.writeMessages([atomic(fenced, 5, 5, { writerUuid: 'new', tags: [tag], payload: tooLarge })]);
          expect(rejected, 'a payload above the limit').toBeInstanceOf(Error);
        }
      })();
      const done = Promise.all([writes, fencing]).finally(() => (writing = false));

      // The consumer: each run starts on some instance from the stored offset, reads one to
      // three pages of five, stores the offset of the last envelope it handled and stops.
      let stored = 0;
      let runs = 0;
      const seen: OrderedRepr[] = [];
      const run = async (): Promise<number> => {
        const on = instances[runs++ % instances.length] as Journal;
        let read = 0;
        for (let page = 0; page <= runs % 3; page++) {
          const entries = await on.currentEventsByTag!(tag, stored, 5);
          for (const entry of entries) expect(entry.offset, 'offsets strictly above the stored one').toBeGreaterThan(stored);
          for (let i = 1; i < entries.length; i++) expect(entries[i]!.offset).toBeGreaterThan(entries[i - 1]!.offset);
          seen.push(...entries);
          read += entries.length;
          if (entries.length > 0) stored = entries[entries.length - 1]!.offset;
          if (entries.length < 5) break;
        }
        return read;
      };
      const consuming = (async () => {
        while (writing) {
          await run();
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      })();
      await Promise.all([done, consuming]);
      const expected = [...acknowledged.values()].reduce((sum, seqs) => sum + seqs.length, 0);
      // Catch up: every acknowledged event is stored, so runs find them; the deadline only fails the test.
      const deadline = Date.now() + 30_000;
      while (seen.length < expected && Date.now() < deadline) {
        if ((await run()) === 0) await new Promise<void>((resolve) => setTimeout(resolve, 20));
      }
      expect(runs, 'the consumer stopped and resumed many times').toBeGreaterThan(10);
      expect(refusals).toBeGreaterThan(0);
      const keys = seen.map((e) => `${e.repr.persistenceId}:${e.repr.sequenceNr}`);
      expect(keys.length - new Set(keys).size, 'events seen twice').toBe(0);
      expect(
        seen.filter((e) => text(e.repr.payload) === refusedPayload || e.repr.writerUuid === 'intruder').map((e) => `${e.repr.persistenceId}:${e.repr.sequenceNr}`),
        'refused writes never appear',
      ).toEqual([]);
      for (const [id, seqs] of acknowledged) {
        expect(
          seen.filter((e) => e.repr.persistenceId === id).map((e) => e.repr.sequenceNr),
          `every acknowledged tagged event of ${id}, once, in sequence order`,
        ).toEqual(seqs);
      }
      expect(
        seen.filter((e) => e.repr.persistenceId === fenced).map((e) => e.repr.writerUuid),
        'the fenced id: the old writer before the claim, the new one after',
      ).toEqual(['old', 'old', 'new', 'new']);
      for (const event of seen) expect(event.repr.tags).toContain(tag);
    }, 120_000);

    it('persistenceIds: a consumer resuming from its stored offset while ids are first written on several instances lists each once, and not an id whose only write was refused', async (ctx) => {
      if (!journal.capabilities.persistenceIdsQuery || journal.currentPersistenceIds === undefined) return ctx.skip();
      const ids = Array.from({ length: 18 }, () => freshId('resumed-id'));
      const refusedId = freshId('resumed-refused-id');
      let writing = true;
      const writes = Promise.all(
        ids.map(async (id, i) => {
          const on = instances[i % instances.length] as Journal;
          const write: AtomicWrite = atomic(id, 1, 1 + (i % 2), { writerUuid: 'w' });
          const [result] = await on.writeMessages([write]);
          if (result !== undefined) throw result;
        }),
      ).then(async () => {
        // Claimed, then written by another writer: refused, so the id has no event.
        await journal.claimWriter(refusedId, 'owner');
        const [refused] = await (instances[instances.length - 1] as Journal).writeMessages([atomic(refusedId, 1, 1, { writerUuid: 'intruder' })]);
        expect(codeOf(refused)).toBe('ERR_WRITER_FENCED');
      });
      const done = writes.finally(() => (writing = false));
      let stored = 0;
      let runs = 0;
      const listed: string[] = [];
      const run = async (): Promise<number> => {
        const on = instances[runs++ % instances.length] as Journal;
        const entries = await on.currentPersistenceIds!(stored, 3);
        for (const entry of entries) expect(entry.offset).toBeGreaterThan(stored);
        if (entries.length > 0) stored = entries[entries.length - 1]!.offset;
        listed.push(...entries.map((entry) => entry.persistenceId));
        return entries.length;
      };
      const consuming = (async () => {
        while (writing) {
          await run();
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      })();
      await Promise.all([done, consuming]);
      const deadline = Date.now() + 30_000;
      const ours = (): string[] => listed.filter((id) => ids.includes(id));
      while (ours().length < ids.length && Date.now() < deadline) {
        if ((await run()) === 0) await new Promise<void>((resolve) => setTimeout(resolve, 20));
      }
      while ((await run()) > 0);
      expect(ours().length - new Set(ours()).size, 'ids listed twice').toBe(0);
      expect([...ours()].sort()).toEqual([...ids].sort());
      expect(listed, 'an id whose only write was refused').not.toContain(refusedId);
    }, 120_000);
  });
}
