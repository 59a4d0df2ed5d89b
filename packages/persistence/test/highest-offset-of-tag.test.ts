import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerializationRegistry } from '@troupe/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InMemoryJournal, type Journal, JsonPayloadSerializer, type PersistentRepr, QueryNotSupportedError, ReadJournal, SqliteJournal } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-highest-tag-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const journals: Record<string, () => Journal> = {
  InMemoryJournal: () => new InMemoryJournal(),
  SqliteJournal: () => new SqliteJournal({ path: join(dir, `h-${Math.random().toString(36).slice(2)}.db`) }),
};

function repr(persistenceId: string, sequenceNr: number, tags: string[]): PersistentRepr {
  return { persistenceId, sequenceNr, payload: Buffer.from(`{"n":${sequenceNr}}`), serializerId: 'json', manifest: '', eventManifest: '', tags, timestamp: 0, writerUuid: 'w' };
}

const registry = (): SerializationRegistry => new SerializationRegistry(new JsonPayloadSerializer());

for (const [name, create] of Object.entries(journals)) {
  describe(`ReadJournal.currentHighestOffsetOfTag on ${name}`, () => {
    let journal: Journal;
    afterEach(async () => {
      await journal?.close?.();
    });

    it('is the offset of the last event carrying the tag now, 0 for a tag no event carries', async () => {
      journal = create();
      const queries = new ReadJournal('default', journal, registry());
      expect(await queries.currentHighestOffsetOfTag('t')).toBe(0);
      await journal.writeMessages([{ persistenceId: 'a', events: [repr('a', 1, ['t']), repr('a', 2, ['t', 'u']), repr('a', 3, ['u'])] }]);
      const tagged = await journal.currentEventsByTag!('t', 0, 100);
      const lastU = (await journal.currentEventsByTag!('u', 0, 100)).at(-1)!.offset;
      expect(await queries.currentHighestOffsetOfTag('t')).toBe(tagged[1]!.offset);
      expect(await queries.currentHighestOffsetOfTag('u')).toBe(lastU);
      expect(await queries.currentHighestOffsetOfTag('none')).toBe(0);
      await journal.writeMessages([{ persistenceId: 'b', events: [repr('b', 1, ['t'])] }]);
      expect(await queries.currentHighestOffsetOfTag('t')).toBe((await journal.currentEventsByTag!('t', 0, 100)).at(-1)!.offset);
      expect(await queries.currentHighestOffsetOfTag('t')).toBeGreaterThan(lastU);
    });
  });
}

describe('ReadJournal.currentHighestOffsetOfTag on a journal without the capability', () => {
  it('rejects with QueryNotSupportedError', async () => {
    const plain = new InMemoryJournal();
    const withoutCapability: Journal = {
      capabilities: { persistenceIdsQuery: true, eventsByTagQuery: true, changeNotifications: true },
      writeMessages: (w) => plain.writeMessages(w),
      replayMessages: (id, range) => plain.replayMessages(id, range),
      claimWriter: (id, w) => plain.claimWriter(id, w),
      readHighestSequenceNr: (id, from) => plain.readHighestSequenceNr(id, from),
      deleteMessagesTo: (id, to) => plain.deleteMessagesTo(id, to),
    };
    const queries = new ReadJournal('plain', withoutCapability, registry());
    await expect(queries.currentHighestOffsetOfTag('t')).rejects.toThrow(QueryNotSupportedError);
    await expect(queries.currentHighestOffsetOfTag('t')).rejects.toMatchObject({ code: 'ERR_QUERY_NOT_SUPPORTED', message: 'journal "plain" does not support the highestOffsetOfTag query' });
  });
});
