import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Journal } from '../journal.js';
import { measureJournalPerformance } from './journal-performance.js';
import { atomic, freshId, replay, replayedNumbers, repr, text, writeEvents } from './tck-fixtures.js';
import type { JournalTckOptions } from './tck-options.js';

/** Registers the journal compliance suite (Akka's JournalSpec and more) for `options.create`. */
export function journalSpec(name: string, options: JournalTckOptions): void {
  describe(`${name} (journal TCK)`, () => {
    let journal: Journal;
    let pid: string;

    beforeEach(async () => {
      journal = await options.create();
      pid = freshId();
      await writeEvents(journal, pid, 5);
    });

    afterEach(async () => {
      if (options.destroy !== undefined) await options.destroy(journal);
      else await journal.close?.();
    });

    describe('replay', () => {
      it('replays all events in order', async () => {
        expect(await replayedNumbers(journal, pid)).toEqual([1, 2, 3, 4, 5]);
      });
      it('replays from a lower sequence-number bound', async () => {
        expect(await replayedNumbers(journal, pid, { fromSequenceNr: 3 })).toEqual([3, 4, 5]);
      });
      it('replays up to an upper sequence-number bound', async () => {
        expect(await replayedNumbers(journal, pid, { toSequenceNr: 3 })).toEqual([1, 2, 3]);
      });
      it('replays at most max events', async () => {
        expect(await replayedNumbers(journal, pid, { max: 3 })).toEqual([1, 2, 3]);
      });
      it('replays one event with max 1', async () => {
        expect(await replayedNumbers(journal, pid, { max: 1 })).toEqual([1]);
        expect(await replayedNumbers(journal, pid, { fromSequenceNr: 4, max: 1 })).toEqual([4]);
      });
      it('replays between a lower and an upper bound', async () => {
        expect(await replayedNumbers(journal, pid, { fromSequenceNr: 2, toSequenceNr: 3 })).toEqual([2, 3]);
      });
      it('replays between bounds with a count limit', async () => {
        expect(await replayedNumbers(journal, pid, { fromSequenceNr: 2, toSequenceNr: 5, max: 2 })).toEqual([2, 3]);
      });
      it('replays a single event when the lower bound equals the upper bound', async () => {
        expect(await replayedNumbers(journal, pid, { fromSequenceNr: 2, toSequenceNr: 2 })).toEqual([2]);
      });
      it('replays nothing when max is 0', async () => {
        expect(await replayedNumbers(journal, pid, { max: 0 })).toEqual([]);
      });
      it('replays nothing when the lower bound is above the upper bound', async () => {
        expect(await replayedNumbers(journal, pid, { fromSequenceNr: 3, toSequenceNr: 2 })).toEqual([]);
      });
      it('replays nothing when the lower bound is above the highest stored number', async () => {
        expect(await replayedNumbers(journal, pid, { fromSequenceNr: 6 })).toEqual([]);
      });
      it('replays nothing for an unknown persistence id', async () => {
        expect(await replayedNumbers(journal, freshId('unknown'))).toEqual([]);
      });
      it('returns every stored field unchanged', async () => {
        const id = freshId();
        const event = repr(id, 1, { serializerId: 'custom-ser', manifest: 'my.Manifest', eventManifest: 'v3', tags: ['a', 'b'], timestamp: 1234567890123, writerUuid: 'writer-x' });
        expect(await journal.writeMessages([{ persistenceId: id, events: [event] }])).toEqual([undefined]);
        const [back] = await replay(journal, id);
        expect(back).toBeDefined();
        expect({ ...back, payload: text(back!.payload) }).toEqual({ ...event, payload: text(event.payload) });
        expect(back!.payload).toBeInstanceOf(Uint8Array);
      });
      it.skipIf((options.largestAtomicWrite ?? Infinity) < 300)('reads lazily in pages and can be abandoned after the first page', async () => {
        const id = freshId();
        await journal.writeMessages([atomic(id, 1, 300)]);
        const iterator = journal.replayMessages(id, { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })[Symbol.asyncIterator]();
        const first = await iterator.next();
        expect(first.done).toBe(false);
        expect(first.value.length).toBeGreaterThan(0);
        expect(first.value[0].sequenceNr).toBe(1);
        await iterator.return?.();
        // The journal is still fully usable after an abandoned replay.
        expect((await replayedNumbers(journal, id)).length).toBe(300);
      });
    });

    describe('highest sequence number', () => {
      it('is the highest stored number', async () => {
        expect(await journal.readHighestSequenceNr(pid, 0)).toBe(5);
      });
      it('is the highest stored number whatever the fromSequenceNr hint (up to highest + 1)', async () => {
        // 25 events, one write each: with a small partition size (Cassandra) they span partitions.
        const id = freshId('hint');
        await writeEvents(journal, id, 25);
        for (const hint of [1, 10, 20, 25, 26]) expect(await journal.readHighestSequenceNr(id, hint), `hint ${hint}`).toBe(25);
        await journal.deleteMessagesTo(id, 20);
        for (const hint of [1, 21, 26]) expect(await journal.readHighestSequenceNr(id, hint), `hint ${hint} after deleting 1..20`).toBe(25);
        await journal.deleteMessagesTo(id, Infinity);
        expect(await journal.readHighestSequenceNr(id, 26)).toBe(25);
        expect(await journal.writeMessages([atomic(id, 26, 26)])).toEqual([undefined]);
        for (const hint of [1, 26, 27]) expect(await journal.readHighestSequenceNr(id, hint), `hint ${hint} after writing 26`).toBe(26);
        expect(await replayedNumbers(journal, id)).toEqual([26]);
      });
      it('is 0 for an unknown persistence id', async () => {
        expect(await journal.readHighestSequenceNr(freshId('unknown'), 0)).toBe(0);
      });
      it('is not reset by deleting some events', async () => {
        await journal.deleteMessagesTo(pid, 3);
        expect(await journal.readHighestSequenceNr(pid, 0)).toBe(5);
      });
      it('is not reset by deleting every event', async () => {
        await journal.deleteMessagesTo(pid, 5);
        expect(await journal.readHighestSequenceNr(pid, 0)).toBe(5);
        expect(await replayedNumbers(journal, pid)).toEqual([]);
      });
    });

    describe('deletion', () => {
      it('does not replay events deleted up to a sequence number', async () => {
        await journal.deleteMessagesTo(pid, 3);
        expect(await replayedNumbers(journal, pid)).toEqual([4, 5]);
      });
      it('deletes everything when the bound is above the highest number, and keeps later writes', async () => {
        await journal.deleteMessagesTo(pid, Infinity);
        expect(await replayedNumbers(journal, pid)).toEqual([]);
        expect(await journal.writeMessages([atomic(pid, 6, 7)])).toEqual([undefined]);
        expect(await replayedNumbers(journal, pid)).toEqual([6, 7]);
      });
      it('is harmless when repeated or for an unknown id', async () => {
        await journal.deleteMessagesTo(pid, 2);
        await journal.deleteMessagesTo(pid, 2);
        await journal.deleteMessagesTo(pid, 1);
        await journal.deleteMessagesTo(freshId('unknown'), 10);
        expect(await replayedNumbers(journal, pid)).toEqual([3, 4, 5]);
      });
      it('leaves other persistence ids alone', async () => {
        const other = freshId();
        await writeEvents(journal, other, 3);
        await journal.deleteMessagesTo(pid, 5);
        expect(await replayedNumbers(journal, other)).toEqual([1, 2, 3]);
      });
    });

    describe('atomic writes', () => {
      it.skipIf((options.largestAtomicWrite ?? Infinity) < 10)('stores every event of a multi-event write', async () => {
        const id = freshId();
        expect(await journal.writeMessages([atomic(id, 1, 10)])).toEqual([undefined]);
        expect(await replayedNumbers(journal, id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(await journal.readHighestSequenceNr(id, 0)).toBe(10);
      });
      it('answers one result per write, in order, for writes of several ids in one call', async () => {
        const ids = [freshId(), freshId(), freshId()];
        const results = await journal.writeMessages(ids.map((id) => atomic(id, 1, 2)));
        expect(results).toEqual([undefined, undefined, undefined]);
        for (const id of ids) expect(await replayedNumbers(journal, id)).toEqual([1, 2]);
      });
      it('reports a write early (if at all) once, only when it is stored, with the outcome the call resolves with', async () => {
        const ids = Array.from({ length: 5 }, () => freshId('report'));
        const reports: { index: number; rejection: Error | undefined; highest: Promise<number> }[] = [];
        const results = await journal.writeMessages(
          ids.map((id) => atomic(id, 1, 3)),
          (index, rejection) => reports.push({ index, rejection, highest: journal.readHighestSequenceNr(ids[index] as string, 1) }),
        );
        expect(results).toEqual(ids.map(() => undefined));
        expect(new Set(reports.map((r) => r.index)).size).toBe(reports.length);
        for (const r of reports) {
          expect(r.rejection).toBe(results[r.index]);
          // Read right when reported: a write reported before it is stored shows fewer events.
          expect(await r.highest).toBe(3);
        }
      });
      it('answers an empty call with no results and stores nothing', async () => {
        expect(await journal.writeMessages([])).toEqual([]);
        expect(await replayedNumbers(journal, pid)).toEqual([1, 2, 3, 4, 5]);
        expect(await journal.writeMessages([atomic(pid, 6, 6)])).toEqual([undefined]);
      });
      it('round-trips an event with a 0-byte payload', async () => {
        const id = freshId();
        expect(await journal.writeMessages([{ persistenceId: id, events: [repr(id, 1, { payload: new Uint8Array(0) }), repr(id, 2)] }])).toEqual([undefined]);
        const events = await replay(journal, id);
        expect(events.map((e) => e.sequenceNr)).toEqual([1, 2]);
        expect(events[0]!.payload).toBeInstanceOf(Uint8Array);
        expect(events[0]!.payload.byteLength).toBe(0);
        expect(text(events[1]!.payload)).toBe(`${id}:2`);
      });
      it('keeps unusual persistence ids apart: unicode, separators, quotes, 200+ characters, shared prefixes', async () => {
        const base = freshId('odd');
        const ids = [
          `${base}-ünïcødé-日本語-😀`,
          `${base}/with/slashes`,
          `${base}|with|pipes`,
          `${base} 'quoted' "double" %_\\ wildcards`,
          `${base}-${'x'.repeat(220)}`,
          base,
          `${base}-1`,
          `${base}-10`,
        ];
        expect(ids[4]!.length).toBeGreaterThan(200);
        // Each id gets a different number of events, so a mix-up shows.
        // In atomic writes of at most `largestAtomicWrite` events (two calls at most here).
        const largest = options.largestAtomicWrite ?? Infinity;
        const results = await journal.writeMessages(ids.map((id, i) => atomic(id, 1, Math.min(i + 1, largest))));
        expect(results).toEqual(ids.map(() => undefined));
        const rest = ids.flatMap((id, i) => (i + 1 > largest ? [atomic(id, largest + 1, i + 1)] : []));
        if (rest.length > 0) expect(await journal.writeMessages(rest)).toEqual(rest.map(() => undefined));
        for (const [i, id] of ids.entries()) {
          const events = await replay(journal, id);
          expect(
            events.map((e) => e.sequenceNr),
            id,
          ).toEqual(Array.from({ length: i + 1 }, (_, k) => k + 1));
          expect(
            events.every((e) => e.persistenceId === id && text(e.payload) === `${id}:${e.sequenceNr}`),
            id,
          ).toBe(true);
          expect(await journal.readHighestSequenceNr(id, 1), id).toBe(i + 1);
        }
        await journal.deleteMessagesTo(base, Infinity);
        expect(await replayedNumbers(journal, base)).toEqual([]);
        expect(await replayedNumbers(journal, `${base}-1`)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        expect(await replayedNumbers(journal, `${base}-10`)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      });
      it('continues numbering after earlier writes', async () => {
        expect(await journal.writeMessages([atomic(pid, 6, 8)])).toEqual([undefined]);
        expect(await replayedNumbers(journal, pid, { fromSequenceNr: 5 })).toEqual([5, 6, 7, 8]);
      });
    });

    describe.skipIf(options.rejectsPayloadsAbove === undefined)('rejections', () => {
      const oversized = (): Uint8Array => new Uint8Array((options.rejectsPayloadsAbove ?? 0) + 1);
      it('rejects one write without failing the call, and stores the others', async () => {
        const a = freshId();
        const b = freshId();
        const bad = freshId();
        const results = await journal.writeMessages([atomic(a, 1, 1), { persistenceId: bad, events: [repr(bad, 1, { payload: oversized() })] }, atomic(b, 1, 1)]);
        expect(results).toHaveLength(3);
        expect(results[0]).toBeUndefined();
        expect(results[1]).toBeInstanceOf(Error);
        expect(results[2]).toBeUndefined();
        expect(await replayedNumbers(journal, a)).toEqual([1]);
        expect(await replayedNumbers(journal, b)).toEqual([1]);
        expect(await replayedNumbers(journal, bad)).toEqual([]);
        expect(await journal.readHighestSequenceNr(bad, 0)).toBe(0);
      });
      it('stores nothing of a rejected multi-event write (all or nothing)', async () => {
        const id = freshId();
        const events = [repr(id, 1), repr(id, 2, { payload: oversized() }), repr(id, 3)];
        const results = await journal.writeMessages([{ persistenceId: id, events }]);
        expect(results[0]).toBeInstanceOf(Error);
        expect(await replayedNumbers(journal, id)).toEqual([]);
        expect(await journal.readHighestSequenceNr(id, 0)).toBe(0);
      });
    });

    describe.skipIf(options.reopen === undefined)('durability', () => {
      it('keeps events, deletions and the highest sequence number across close and reopen', async () => {
        const other = freshId();
        await journal.writeMessages([atomic(other, 1, 3, { tags: ['durable'] })]);
        await journal.deleteMessagesTo(pid, 2);
        await journal.deleteMessagesTo(other, Infinity);
        journal = await (options.reopen as NonNullable<JournalTckOptions['reopen']>)(journal);
        expect(await replayedNumbers(journal, pid)).toEqual([3, 4, 5]);
        expect(await journal.readHighestSequenceNr(pid, 0)).toBe(5);
        expect(await replayedNumbers(journal, other)).toEqual([]);
        expect(await journal.readHighestSequenceNr(other, 0)).toBe(3);
        expect(await journal.writeMessages([atomic(pid, 6, 6)])).toEqual([undefined]);
        expect(await replayedNumbers(journal, pid)).toEqual([3, 4, 5, 6]);
      });
    });

    describe('concurrency and size', () => {
      it('keeps every id in order when many ids are written concurrently', async () => {
        const ids = Array.from({ length: 20 }, () => freshId('many'));
        const rounds = 25;
        for (let seq = 1; seq <= rounds; seq++) {
          // Several concurrent calls per round, each with a write for a subset of ids.
          const calls = [ids.slice(0, 7), ids.slice(7, 14), ids.slice(14)].map((group) => journal.writeMessages(group.map((id) => atomic(id, seq, seq))));
          for (const results of await Promise.all(calls)) expect(results.every((r) => r === undefined)).toBe(true);
        }
        const expected = Array.from({ length: rounds }, (_, i) => i + 1);
        for (const id of ids) {
          expect(await replayedNumbers(journal, id)).toEqual(expected);
          expect(await journal.readHighestSequenceNr(id, 0)).toBe(rounds);
        }
      });
      it('runs the performance section (measureJournalPerformance) correctly on a small count', async () => {
        // Correctness only: the figures are for the plugin's benchmark, never asserted here.
        const perf = await measureJournalPerformance(journal, { events: 300, eventsPerWrite: 1 });
        expect(perf.events).toBe(300);
        expect(await journal.readHighestSequenceNr(perf.persistenceId, 1)).toBe(300);
        expect(perf.writeEventsPerSec).toBeGreaterThan(0);
        expect(perf.replayEventsPerSec).toBeGreaterThan(0);
      });
      it('round-trips a large payload byte for byte', async () => {
        const size = options.largePayloadBytes ?? 1024 * 1024;
        const payload = new Uint8Array(size);
        for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;
        const id = freshId();
        expect(await journal.writeMessages([{ persistenceId: id, events: [repr(id, 1, { payload })] }])).toEqual([undefined]);
        const [back] = await replay(journal, id);
        expect(back?.payload.byteLength).toBe(size);
        expect(Buffer.from(back!.payload).equals(Buffer.from(payload))).toBe(true);
      });
    });
  });
}
