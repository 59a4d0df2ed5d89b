import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Journal } from '../journal.js';
import { atomic, codeOf, freshId, openSibling, replay, replayedNumbers, text, writeOne } from './tck-fixtures.js';
import type { JournalTckOptions } from './tck-options.js';

const TAKEN = 'ERR_SEQUENCE_NUMBER_TAKEN';
const FENCED = 'ERR_WRITER_FENCED';

/**
 * Registers the single-writer suite (guarantee 5): a second writer of one persistence id
 * is refused before it is acknowledged — by sequence number (`SequenceNumberTakenError`)
 * and by writer fencing (`claimWriter`, `WriterFencedError`) — and the history stays whole.
 * With `options.openSibling` the two writers use two instances on the same storage.
 */
export function singleWriterSpec(name: string, options: JournalTckOptions): void {
  describe(`${name} (single-writer TCK)`, () => {
    let journal: Journal;
    let sibling: Journal;

    beforeEach(async () => {
      journal = await options.create();
      sibling = await openSibling(journal, options.openSibling);
    });

    afterEach(async () => {
      if (sibling !== journal) await sibling.close?.();
      if (options.destroy !== undefined) await options.destroy(journal);
      else await journal.close?.();
    });

    const claim = async (on: Journal, persistenceId: string, writerUuid: string): Promise<void> => {
      expect(typeof on.claimWriter, 'the journal implements claimWriter (required by the single-writer contract)').toBe('function');
      await (on.claimWriter as NonNullable<Journal['claimWriter']>)(persistenceId, writerUuid);
    };

    it('implements claimWriter', () => {
      expect(typeof journal.claimWriter).toBe('function');
    });

    it('refuses a write that reuses a stored sequence number (ERR_SEQUENCE_NUMBER_TAKEN), storing nothing of it', async () => {
      const id = freshId('taken');
      expect(await journal.writeMessages([atomic(id, 1, 5, { writerUuid: 'first' })])).toEqual([undefined]);
      // From the other instance: overlapping the end, the middle, and starting at 1.
      for (const [from, to] of [
        [5, 6],
        [3, 3],
        [1, 7],
      ] as const) {
        const refused = await writeOne(sibling, atomic(id, from, to, { writerUuid: 'second', payload: new TextEncoder().encode('second') }));
        expect(refused, `write ${from}..${to} over 1..5`).toBeInstanceOf(Error);
        expect(codeOf(refused)).toBe(TAKEN);
      }
      // Also from the instance that wrote them.
      expect(codeOf(await writeOne(journal, atomic(id, 4, 4, { writerUuid: 'second' })))).toBe(TAKEN);
      for (const reader of new Set([journal, sibling])) {
        const events = await replay(reader, id);
        expect(events.map((e) => e.sequenceNr)).toEqual([1, 2, 3, 4, 5]);
        expect(events.map((e) => e.writerUuid)).toEqual(['first', 'first', 'first', 'first', 'first']);
        expect(events.map((e) => text(e.payload))).toEqual([1, 2, 3, 4, 5].map((seq) => `${id}:${seq}`));
        expect(await reader.readHighestSequenceNr(id, 1)).toBe(5);
      }
      // The history goes on after the refusals.
      expect(await writeOne(journal, atomic(id, 6, 6, { writerUuid: 'first' }))).toBeUndefined();
      expect(await replayedNumbers(sibling, id)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('refuses every write of a writer once another has claimed the id (ERR_WRITER_FENCED), colliding or not', async () => {
      const id = freshId('fenced');
      const a = { writerUuid: 'writer-a' };
      const b = { writerUuid: 'writer-b' };
      await claim(journal, id, a.writerUuid);
      expect(await journal.readHighestSequenceNr(id, 1)).toBe(0);
      expect(await journal.writeMessages([atomic(id, 1, 2, a)])).toEqual([undefined]);
      expect(await journal.writeMessages([atomic(id, 3, 3, a)])).toEqual([undefined]);

      await claim(sibling, id, b.writerUuid);
      expect(await sibling.readHighestSequenceNr(id, 1)).toBe(3);
      // A's next write does not collide (B has written nothing yet) and is still refused.
      const notColliding = await writeOne(journal, atomic(id, 4, 4, a));
      expect(notColliding).toBeInstanceOf(Error);
      expect(codeOf(notColliding)).toBe(FENCED);
      expect(await sibling.readHighestSequenceNr(id, 1)).toBe(3);

      expect(await sibling.writeMessages([atomic(id, 4, 5, b)])).toEqual([undefined]);
      expect(codeOf(await writeOne(journal, atomic(id, 4, 4, a))), 'colliding write of the fenced writer').toBe(FENCED);
      expect(codeOf(await writeOne(journal, atomic(id, 6, 7, a))), 'next write of the fenced writer').toBe(FENCED);
      expect(codeOf(await writeOne(sibling, atomic(id, 6, 6, a))), 'fenced writer through the other instance').toBe(FENCED);

      expect(await sibling.writeMessages([atomic(id, 6, 6, b)])).toEqual([undefined]);
      for (const reader of new Set([journal, sibling])) {
        const events = await replay(reader, id);
        expect(events.map((e) => `${e.sequenceNr}:${e.writerUuid}`)).toEqual(['1:writer-a', '2:writer-a', '3:writer-a', '4:writer-b', '5:writer-b', '6:writer-b']);
        expect(await reader.readHighestSequenceNr(id, 1)).toBe(6);
      }
    });

    it('fences until a later claim: the writer that claims last is the only one accepted', async () => {
      const id = freshId('reclaim');
      await claim(journal, id, 'writer-a');
      expect(await journal.writeMessages([atomic(id, 1, 1, { writerUuid: 'writer-a' })])).toEqual([undefined]);
      await claim(sibling, id, 'writer-b');
      expect(await sibling.writeMessages([atomic(id, 2, 2, { writerUuid: 'writer-b' })])).toEqual([undefined]);
      await claim(journal, id, 'writer-c');
      expect(codeOf(await writeOne(sibling, atomic(id, 3, 3, { writerUuid: 'writer-b' })))).toBe(FENCED);
      expect(codeOf(await writeOne(journal, atomic(id, 3, 3, { writerUuid: 'writer-a' })))).toBe(FENCED);
      expect(await sibling.writeMessages([atomic(id, 3, 3, { writerUuid: 'writer-c' })])).toEqual([undefined]);
      // Claiming again with the current writer's uuid changes nothing.
      await claim(sibling, id, 'writer-c');
      expect(await journal.writeMessages([atomic(id, 4, 4, { writerUuid: 'writer-c' })])).toEqual([undefined]);
      expect((await replay(journal, id)).map((e) => `${e.sequenceNr}:${e.writerUuid}`)).toEqual(['1:writer-a', '2:writer-b', '3:writer-c', '4:writer-c']);
    });

    it('loses, hides and reorders nothing when an id with events is claimed, and fences only that id', async () => {
      const id = freshId('claimed');
      const other = freshId('unclaimed');
      await journal.writeMessages([atomic(id, 1, 4, { writerUuid: 'old' }), atomic(other, 1, 1, { writerUuid: 'old' })]);
      await journal.deleteMessagesTo(id, 1);
      await claim(sibling, id, 'new');
      for (const reader of new Set([journal, sibling])) {
        expect(await replayedNumbers(reader, id)).toEqual([2, 3, 4]);
        expect(await reader.readHighestSequenceNr(id, 1)).toBe(4);
      }
      expect(codeOf(await writeOne(journal, atomic(id, 5, 5, { writerUuid: 'old' })))).toBe(FENCED);
      // Never-claimed ids accept any writer uuid.
      expect(await journal.writeMessages([atomic(other, 2, 2, { writerUuid: 'old' }), atomic(other, 3, 3, { writerUuid: 'someone-else' })])).toEqual([undefined, undefined]);
      expect(await journal.writeMessages([atomic(id, 5, 5, { writerUuid: 'new' })])).toEqual([undefined]);
    });

    it('refuses only the fenced write of a call and stores the others', async () => {
      const id = freshId('mixed');
      const free = freshId('free');
      await claim(journal, id, 'owner');
      const results = await sibling.writeMessages([atomic(free, 1, 1), atomic(id, 1, 1, { writerUuid: 'intruder' })]);
      expect(results[0]).toBeUndefined();
      expect(codeOf(results[1])).toBe(FENCED);
      expect(await replayedNumbers(journal, free)).toEqual([1]);
      expect(await replayedNumbers(journal, id)).toEqual([]);
      expect(await journal.readHighestSequenceNr(id, 1)).toBe(0);
    });

    it('acknowledges exactly one of two writes of one unclaimed id in one call with the same first number (ERR_SEQUENCE_NUMBER_TAKEN)', async () => {
      const id = freshId('same-call');
      const encoder = new TextEncoder();
      // Two actors with one id in one actor system: the batcher may put both writes in one call.
      const results = await journal.writeMessages([
        atomic(id, 1, 2, { writerUuid: 'writer-a', payload: encoder.encode('a') }),
        atomic(id, 1, 1, { writerUuid: 'writer-b', payload: encoder.encode('b') }),
      ]);
      expect(results).toHaveLength(2);
      expect(
        results.filter((r) => r === undefined),
        'exactly one of the two writes is acknowledged',
      ).toHaveLength(1);
      const refused = results[0] ?? results[1];
      expect(codeOf(refused)).toBe(TAKEN);
      const expected = results[0] === undefined ? ['1:a', '2:a'] : ['1:b'];
      for (const reader of new Set([journal, sibling])) {
        expect((await replay(reader, id)).map((e) => `${e.sequenceNr}:${text(e.payload)}`)).toEqual(expected);
        expect(await reader.readHighestSequenceNr(id, 1)).toBe(expected.length);
      }
      // The history goes on after the refusal.
      expect(await journal.writeMessages([atomic(id, expected.length + 1, expected.length + 1)])).toEqual([undefined]);
      expect(await replayedNumbers(sibling, id)).toEqual(Array.from({ length: expected.length + 1 }, (_, i) => i + 1));
    });

    it('acknowledges only the owner of two writes of one claimed id in one call with the same first number, in either order (ERR_WRITER_FENCED)', async () => {
      for (const ownerFirst of [true, false]) {
        const id = freshId('same-call-claimed');
        const encoder = new TextEncoder();
        await claim(journal, id, 'owner');
        expect(await journal.writeMessages([atomic(id, 1, 1, { writerUuid: 'owner' })])).toEqual([undefined]);
        const owner = atomic(id, 2, 3, { writerUuid: 'owner', payload: encoder.encode('owner') });
        const stale = atomic(id, 2, 2, { writerUuid: 'stale', payload: encoder.encode('stale') });
        const results = await sibling.writeMessages(ownerFirst ? [owner, stale] : [stale, owner]);
        const [ownerResult, staleResult] = ownerFirst ? results : [results[1], results[0]];
        expect(ownerResult, `owner's write (${ownerFirst ? 'first' : 'second'} in the call) is acknowledged`).toBeUndefined();
        expect(codeOf(staleResult), "the other writer's write is fenced").toBe(FENCED);
        for (const reader of new Set([journal, sibling])) {
          expect((await replay(reader, id)).map((e) => `${e.sequenceNr}:${e.writerUuid}`)).toEqual(['1:owner', '2:owner', '3:owner']);
          expect(await reader.readHighestSequenceNr(id, 1)).toBe(3);
        }
      }
    });

    it.skipIf(options.rejectsPayloadsAbove === undefined)("refuses a fenced writer's write as ERR_WRITER_FENCED whatever else is wrong with it (too large, taken number)", async () => {
      const id = freshId('fenced-first');
      await claim(journal, id, 'owner');
      expect(await journal.writeMessages([atomic(id, 1, 1, { writerUuid: 'owner' })])).toEqual([undefined]);
      const tooLarge = new Uint8Array((options.rejectsPayloadsAbove as number) + 1);
      expect(codeOf(await writeOne(sibling, atomic(id, 2, 2, { writerUuid: 'stale', payload: tooLarge }))), 'fenced and too large').toBe(FENCED);
      expect(codeOf(await writeOne(sibling, atomic(id, 1, 1, { writerUuid: 'stale', payload: tooLarge }))), 'fenced, taken and too large').toBe(FENCED);
      expect(codeOf(await writeOne(journal, atomic(id, 1, 1, { writerUuid: 'stale' }))), 'fenced and taken').toBe(FENCED);
      expect(await replayedNumbers(journal, id)).toEqual([1]);
    });

    it('does not register an id by claiming it: no persistence id listed, highest 0, nothing to replay', async () => {
      const id = freshId('claimed-only');
      await claim(journal, id, 'writer-a');
      for (const reader of new Set([journal, sibling])) {
        expect(await reader.readHighestSequenceNr(id, 1)).toBe(0);
        expect(await replay(reader, id)).toEqual([]);
        if (reader.capabilities.persistenceIdsQuery && reader.currentPersistenceIds !== undefined) {
          expect((await reader.currentPersistenceIds(0, Number.MAX_SAFE_INTEGER)).map((e) => e.persistenceId)).not.toContain(id);
        }
      }
      // Once it has an event it is listed.
      expect(await journal.writeMessages([atomic(id, 1, 1, { writerUuid: 'writer-a' })])).toEqual([undefined]);
      if (journal.capabilities.persistenceIdsQuery && journal.currentPersistenceIds !== undefined) {
        expect((await journal.currentPersistenceIds(0, Number.MAX_SAFE_INTEGER)).map((e) => e.persistenceId)).toContain(id);
      }
    });

    it.skipIf(options.reopen === undefined)('keeps a claim across close and reopen', async () => {
      const id = freshId('durable-claim');
      await claim(journal, id, 'writer-a');
      await journal.writeMessages([atomic(id, 1, 1, { writerUuid: 'writer-a' })]);
      await claim(sibling, id, 'writer-b');
      if (sibling !== journal) {
        await sibling.close?.();
        sibling = journal;
      }
      journal = await (options.reopen as NonNullable<JournalTckOptions['reopen']>)(journal);
      sibling = journal;
      expect(codeOf(await writeOne(journal, atomic(id, 2, 2, { writerUuid: 'writer-a' })))).toBe(FENCED);
      expect(await journal.writeMessages([atomic(id, 2, 2, { writerUuid: 'writer-b' })])).toEqual([undefined]);
    });

    it('acknowledges exactly one of two calls in flight for the same sequence numbers', async () => {
      const id = freshId('race');
      const encoder = new TextEncoder();
      let highest = 0;
      const stored: string[] = [];
      for (let round = 0; round < 20; round++) {
        const next = highest + 1;
        // Writer A sends two events, writer B one, both starting at the same number, at once.
        const fromA = atomic(id, next, next + 1, { writerUuid: 'writer-a', payload: encoder.encode(`a${round}`) });
        const fromB = atomic(id, next, next, { writerUuid: 'writer-b', payload: encoder.encode(`b${round}`) });
        const [resultA, resultB] = await Promise.all([writeOne(journal, fromA), writeOne(sibling, fromB)]);
        const acknowledged = [resultA, resultB].filter((r) => r === undefined).length;
        expect(acknowledged, `round ${round}: exactly one of the two writes is acknowledged`).toBe(1);
        const refused = resultA ?? resultB;
        expect(codeOf(refused), `round ${round}: the other is refused as a taken sequence number`).toBe(TAKEN);
        if (resultA === undefined) {
          stored.push(`${next}:a${round}`, `${next + 1}:a${round}`);
          highest = next + 1;
        } else {
          stored.push(`${next}:b${round}`);
          highest = next;
        }
      }
      for (const reader of new Set([journal, sibling])) {
        const events = await replay(reader, id);
        expect(events.map((e) => `${e.sequenceNr}:${text(e.payload)}`)).toEqual(stored);
        expect(await reader.readHighestSequenceNr(id, 1)).toBe(highest);
      }
    });

    it('stores a write racing a claim before the claim, or refuses it (ERR_WRITER_FENCED)', async () => {
      const id = freshId('claim-race');
      await claim(journal, id, 'writer-a');
      await journal.writeMessages([atomic(id, 1, 1, { writerUuid: 'writer-a' })]);
      // B claims while A's next write is in flight: A's write lands before the claim or is refused.
      const [resultA] = await Promise.all([writeOne(journal, atomic(id, 2, 2, { writerUuid: 'writer-a' })), claim(sibling, id, 'writer-b')]);
      const highest = await sibling.readHighestSequenceNr(id, 1);
      if (resultA === undefined) expect(highest).toBe(2);
      else {
        expect(codeOf(resultA)).toBe(FENCED);
        expect(highest).toBe(1);
      }
      expect(await sibling.writeMessages([atomic(id, highest + 1, highest + 1, { writerUuid: 'writer-b' })])).toEqual([undefined]);
      expect(codeOf(await writeOne(journal, atomic(id, highest + 2, highest + 2, { writerUuid: 'writer-a' })))).toBe(FENCED);
      expect(await replayedNumbers(journal, id)).toEqual(Array.from({ length: highest + 1 }, (_, i) => i + 1));
    });
  });
}
