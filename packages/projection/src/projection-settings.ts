import type { ActorSystem, Clock, Logger } from '@troupe/core';
import type { EventEnvelope } from '@troupe/persistence';
import type { UndecodableEventError } from './errors.js';
import type { OffsetStore, TransactionalOffsetStore } from './offset-store.js';
import type { SourceProvider } from './source-provider.js';

/** Every default of a projection, in one place (Akka Projections' reference.conf values). */
export const ProjectionDefaults = {
  /** At-least-once: store the offset after this many handled envelopes… */
  saveOffsetAfterEnvelopes: 100,
  /** …or this long after the first envelope not yet stored, whichever comes first. */
  saveOffsetAfterMs: 500,
  /** Grouped and exactly-once: a batch holds at most this many envelopes… */
  groupAfterEnvelopes: 20,
  /** …and is handed over at most this long after its first envelope arrived. */
  groupAfterMs: 500,
  /** First restart delay after a failure. */
  minBackoffMs: 3_000,
  /** Longest restart delay. */
  maxBackoffMs: 30_000,
  /** Up to this fraction of a delay is added at random. */
  randomFactor: 0.2,
  /** Restarts in a row without progress before the projection gives up. */
  maxRestarts: Infinity,
  /** What to do with an event `decode` rejects. */
  onUndecodable: 'stop',
} as const;

/** What happens to an event `decode` cannot decode: stop the projection, or skip and count it. */
export type UndecodablePolicy = 'stop' | 'skip';

/** Restart after a failure, with exponential backoff and jitter. */
export interface RestartBackoffOptions {
  /** @default 3000 */
  readonly minBackoffMs?: number;
  /** @default 30000 */
  readonly maxBackoffMs?: number;
  /** @default 0.2 */
  readonly randomFactor?: number;
  /** Failures in a row (no envelope handled in between) after which the projection fails for good. @default Infinity */
  readonly maxRestarts?: number;
}

/** Options every projection takes. `S` is what the source yields, `E` what the handler gets. */
export interface ProjectionOptions<S, E> {
  /** The read model this projection builds; part of the offset key. */
  readonly name: string;
  /** Where envelopes come from; its `key` is the other part of the offset key. */
  readonly source: SourceProvider<S>;
  /**
   * Turns a source event into what the handler expects, throwing when it cannot (an
   * unknown type, a missing field). A throw is bad input, handled by `onUndecodable`,
   * never retried. @default the event as it is
   */
  readonly decode?: (envelope: EventEnvelope<S>) => E;
  /** `'stop'`: the projection fails with `UndecodableEventError`; `'skip'`: it is counted in `status().skipped`, reported, and passed over. @default 'stop' */
  readonly onUndecodable?: UndecodablePolicy;
  /** Called with every skipped event's error (besides a warning in the log). */
  readonly onSkipped?: (error: UndecodableEventError) => void;
  /** Restart on handler or source failure. */
  readonly restartBackoff?: RestartBackoffOptions;
  /** Takes its clock and logger from it, and stops when it terminates. */
  readonly system?: ActorSystem;
  /** Time for offset saving, grouping and backoff. @default system.clock, else the real clock */
  readonly clock?: Clock;
  /** @default system.log, else a console logger at warn */
  readonly logger?: Logger;
}

/** Options of `Projection.atLeastOnce`. */
export interface AtLeastOnceOptions<S, E> extends ProjectionOptions<S, E> {
  readonly offsetStore: OffsetStore;
  /** Handles one envelope; must be idempotent, because envelopes after the stored offset come again after a restart. */
  readonly handler: (envelope: EventEnvelope<E>) => void | Promise<void>;
  /** @default 100 */
  readonly saveOffsetAfterEnvelopes?: number;
  /** @default 500 */
  readonly saveOffsetAfterMs?: number;
}

/** Options of `Projection.grouped`. */
export interface GroupedOptions<S, E> extends ProjectionOptions<S, E> {
  readonly offsetStore: OffsetStore;
  /** Handles a batch; the offset is stored after it resolves (at-least-once per batch). */
  readonly handler: (envelopes: readonly EventEnvelope<E>[]) => void | Promise<void>;
  /** @default 20 */
  readonly groupAfterEnvelopes?: number;
  /** @default 500 */
  readonly groupAfterMs?: number;
}

/** Options of `Projection.exactlyOnce`. */
export interface ExactlyOnceOptions<S, E, Tx> extends ProjectionOptions<S, E> {
  /** Holds the offset and the handler's writes in one transaction (e.g. `SqliteOffsetStore`). */
  readonly offsetStore: TransactionalOffsetStore<Tx>;
  /** Writes a batch through `tx`; the batch's offset is committed with it, or nothing is. */
  readonly handler: (envelopes: readonly EventEnvelope<E>[], tx: Tx) => void | Promise<void>;
  /** @default 20 */
  readonly groupAfterEnvelopes?: number;
  /** @default 500 */
  readonly groupAfterMs?: number;
}

/** Restart settings with defaults applied and checked. */
export interface ResolvedRestartBackoff {
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly randomFactor: number;
  readonly maxRestarts: number;
}

/** Applies the defaults of the options every projection takes and checks them, naming the bad field. */
export function resolveCommon<S, E>(owner: string, options: ProjectionOptions<S, E>): { readonly onUndecodable: UndecodablePolicy; readonly backoff: ResolvedRestartBackoff } {
  if (options === null || typeof options !== 'object') throw new TypeError(`${owner}: options must be an object`);
  if (typeof options.name !== 'string' || options.name === '') throw new TypeError(`${owner}: name must be a non-empty string`);
  const source = options.source as SourceProvider<S> | undefined;
  if (source === null || typeof source !== 'object' || typeof source.open !== 'function' || typeof source.key !== 'string') {
    throw new TypeError(`${owner}: source must be a SourceProvider (EventsByTagSource, IterableSource, SlicedSource)`);
  }
  if (options.decode !== undefined && typeof options.decode !== 'function') throw new TypeError(`${owner}: decode must be a function`);
  if (options.onSkipped !== undefined && typeof options.onSkipped !== 'function') throw new TypeError(`${owner}: onSkipped must be a function`);
  const onUndecodable = options.onUndecodable ?? ProjectionDefaults.onUndecodable;
  if (onUndecodable !== 'stop' && onUndecodable !== 'skip') throw new TypeError(`${owner}: onUndecodable must be 'stop' or 'skip', got ${JSON.stringify(onUndecodable)}`);
  const restart = options.restartBackoff ?? {};
  const minBackoffMs = restart.minBackoffMs ?? ProjectionDefaults.minBackoffMs;
  const maxBackoffMs = restart.maxBackoffMs ?? ProjectionDefaults.maxBackoffMs;
  const randomFactor = restart.randomFactor ?? ProjectionDefaults.randomFactor;
  const maxRestarts = restart.maxRestarts ?? ProjectionDefaults.maxRestarts;
  if (!(Number.isFinite(minBackoffMs) && minBackoffMs >= 0)) throw new RangeError(`${owner}: restartBackoff.minBackoffMs must be a finite number >= 0, got ${minBackoffMs}`);
  if (!(Number.isFinite(maxBackoffMs) && maxBackoffMs >= minBackoffMs))
    throw new RangeError(`${owner}: restartBackoff.maxBackoffMs must be a finite number >= minBackoffMs (${minBackoffMs}), got ${maxBackoffMs}`);
  if (!(randomFactor >= 0 && randomFactor <= 1)) throw new RangeError(`${owner}: restartBackoff.randomFactor must be between 0 and 1, got ${randomFactor}`);
  if (!(maxRestarts === Infinity || (Number.isSafeInteger(maxRestarts) && maxRestarts >= 0)))
    throw new RangeError(`${owner}: restartBackoff.maxRestarts must be an integer >= 0 or Infinity, got ${maxRestarts}`);
  if (options.clock !== undefined && (typeof options.clock.now !== 'function' || typeof options.clock.schedule !== 'function'))
    throw new TypeError(`${owner}: clock must implement now() and schedule(delayMs, callback)`);
  return { onUndecodable, backoff: { minBackoffMs, maxBackoffMs, randomFactor, maxRestarts } };
}

/** Checks an offset store argument. */
export function checkOffsetStore(owner: string, store: OffsetStore | undefined, transactional: boolean): void {
  const methods = transactional ? ['readOffset', 'saveOffset', 'clearOffset', 'withTransaction', 'saveOffsetIn'] : ['readOffset', 'saveOffset', 'clearOffset'];
  if (store === null || typeof store !== 'object' || methods.some((m) => typeof (store as unknown as Record<string, unknown>)[m] !== 'function')) {
    throw new TypeError(`${owner}: offsetStore must implement ${methods.join(', ')}${transactional ? ' (a TransactionalOffsetStore such as SqliteOffsetStore)' : ''}`);
  }
}

/** Checks a count option (envelopes per save or per batch). */
export function checkCount(owner: string, field: string, value: number): number {
  if (!(Number.isSafeInteger(value) && value > 0)) throw new RangeError(`${owner}: ${field} must be a positive integer, got ${value}`);
  return value;
}

/** Checks a duration option in ms. */
export function checkDuration(owner: string, field: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`${owner}: ${field} must be a finite number of ms >= 0, got ${value}`);
  return value;
}

/** Checks the handler argument. */
export function checkHandler(owner: string, handler: unknown): void {
  if (typeof handler !== 'function') throw new TypeError(`${owner}: handler must be a function`);
}
