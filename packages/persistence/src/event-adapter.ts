/**
 * Translates between the events an actor works with and what the journal stores, so
 * the event model can evolve while old events stay readable (schema evolution).
 *
 * On write, `toJournal(event)` is serialised and `manifest(event)` is stored beside it
 * (e.g. a schema version). On replay, `fromJournal(stored, manifest)` receives the
 * deserialised value and that manifest and returns the events to apply: usually one,
 * none to drop an obsolete event, several to split one.
 *
 * @example
 * // v1 stored { type: 'renamed', name }; v2 is { type: 'renamed', first, last }.
 * const adapter: EventAdapter<Evt> = {
 *   manifest: () => 'v2',
 *   toJournal: (e) => e,
 *   fromJournal: (stored, manifest) => manifest === 'v2' ? [stored as Evt] : [upcastV1(stored)],
 * };
 */
export interface EventAdapter<E> {
  /** Stored beside each event (e.g. `'v2'`); `''` for none. */
  manifest(event: E): string;
  /** The value to serialise instead of `event`. */
  toJournal(event: E): unknown;
  /** The events a stored value stands for, given the manifest it was written with. */
  fromJournal(stored: unknown, manifest: string): readonly E[];
}
