import type { ActorSystem } from '@troupe/core';
import { Persistence } from '../persistence.js';
import { ReadJournal, type ReadJournalOptions } from './read-journal.js';

/** Entry point of persistence queries. */
export const PersistenceQuery = {
  /**
   * The queries over journal `journalId` of `system` (default: the default journal).
   * Which queries work depends on the journal's `capabilities`; the others throw
   * `QueryNotSupportedError` when iterated.
   */
  async readJournalFor<E = unknown>(system: ActorSystem, journalId?: string, options: ReadJournalOptions<E> = {}): Promise<ReadJournal<E>> {
    const persistence = Persistence.get(system);
    const handle = await persistence.journalFor(journalId);
    return new ReadJournal<E>(handle.id, handle.journal, persistence.serialization, options);
  },
};
