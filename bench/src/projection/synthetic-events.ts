import type { EventEnvelope } from '@troupe/persistence';

/** One hourly reading of a station: what both subjects write as one row. */
export interface SyntheticReading {
  readonly station: string;
  readonly hour: number;
  readonly temperature: number;
}

/**
 * `count` envelopes over `stations` entities, built once before anything is timed, so both
 * subjects read the very same objects and the source costs them the same.
 */
export function syntheticEnvelopes(count: number, stations: number): EventEnvelope<SyntheticReading>[] {
  const envelopes: EventEnvelope<SyntheticReading>[] = [];
  const seq = new Array<number>(stations).fill(0);
  for (let i = 1; i <= count; i++) {
    const s = i % stations;
    const sequenceNr = ++seq[s]!;
    const station = `station-${s}`;
    envelopes.push({ offset: i, persistenceId: station, sequenceNr, event: { station, hour: sequenceNr, temperature: (i % 400) / 10 - 10 }, timestamp: 0, tags: ['weather'] });
  }
  return envelopes;
}

/** The envelopes after `afterOffset`, as the async iterable a live source is. */
export async function* envelopesAfter<E>(envelopes: readonly EventEnvelope<E>[], afterOffset: number): AsyncGenerator<EventEnvelope<E>> {
  for (let i = afterOffset; i < envelopes.length; i++) yield envelopes[i] as EventEnvelope<E>;
}

/** Median of `values`. */
export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
