import { measureJournalPerformance } from '@troupe/persistence/tck';
import type { Figure } from '../core/report.js';
import type { JournalStore } from './journal-kinds.js';

/** Events of the compliance kit's performance section (Akka's JournalPerfSpec writes and replays 10,000). */
const EVENTS = 10_000;

/**
 * The compliance kit's performance section (`measureJournalPerformance`) on one journal:
 * 10,000 events to one persistence id, each write awaited before the next, then one
 * replay of them all. No actors; the figure every journal plugin's bench prints the same way.
 */
export async function journalPerfSpec(store: JournalStore): Promise<Figure[]> {
  const journal = store.open();
  try {
    const perf = await measureJournalPerformance(journal, { events: EVENTS });
    process.stderr.write(
      `# journal-perf-spec ${store.kind}: write ${Math.round(perf.writeEventsPerSec).toLocaleString('en-US')} events/s, replay ${Math.round(perf.replayEventsPerSec).toLocaleString('en-US')} events/s (n=${EVENTS})\n`,
    );
    return [
      { scenario: `journal-perf-spec-write-${store.kind}`, subject: 'troupe', value: perf.writeEventsPerSec, unit: 'events/s' },
      { scenario: `journal-perf-spec-replay-${store.kind}`, subject: 'troupe', value: perf.replayEventsPerSec, unit: 'events/s' },
    ];
  } finally {
    if (store.kind !== 'in-memory') await journal.close?.();
    await store.dispose();
  }
}
