import type { ReadJournal } from '@troupe/persistence';
import type { AccountEvent } from './account.js';
import { BANK_TAG } from './account.js';

/**
 * A read model built from the journal alone: the total money in the bank, kept up to
 * date by a live `eventsByTag` stream. It never talks to the accounts.
 */
export class LedgerProjection {
  total = 0;
  events = 0;
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  constructor(queries: ReadJournal<AccountEvent>) {
    this.done = this.follow(queries);
  }

  /** Resolves once the projection has seen at least `events` events. */
  async caughtUpTo(events: number, deadlineMs = 30_000): Promise<void> {
    const deadline = performance.now() + deadlineMs;
    while (this.events < events) {
      if (performance.now() > deadline) throw new Error(`projection saw ${this.events} of ${events} events`);
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }

  private async follow(queries: ReadJournal<AccountEvent>): Promise<void> {
    for await (const envelope of queries.eventsByTag(BANK_TAG, 0, { signal: this.abort.signal })) {
      this.total += envelope.event.type === 'deposited' ? envelope.event.amount : -envelope.event.amount;
      this.events++;
    }
  }
}
