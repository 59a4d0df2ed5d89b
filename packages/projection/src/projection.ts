import { type Cancellable, type Clock, ConsoleLogger, type Logger, SystemClock } from '@troupe/core';
import type { EventEnvelope } from '@troupe/persistence';
import { ProjectionRestartsExhaustedError, type UndecodableEventError } from './errors.js';
import { AtLeastOnceDelivery } from './internal/at-least-once-delivery.js';
import type { Delivery, DeliveryContext } from './internal/delivery.js';
import { EnvelopeDecoder } from './internal/envelope-decoder.js';
import { ExactlyOnceDelivery } from './internal/exactly-once-delivery.js';
import { GroupedDelivery } from './internal/grouped-delivery.js';
import { Incarnation, type IncarnationHost, type Outcome } from './internal/incarnation.js';
import { restartDelay } from './internal/restart-delay.js';
import { type OffsetStore, checkOffset } from './offset-store.js';
import { type ProjectionId, projectionIdText } from './projection-id.js';
import {
  type AtLeastOnceOptions,
  type ExactlyOnceOptions,
  type GroupedOptions,
  type ProjectionOptions,
  ProjectionDefaults,
  type ResolvedRestartBackoff,
  type UndecodablePolicy,
  checkCount,
  checkDuration,
  checkHandler,
  checkOffsetStore,
  resolveCommon,
} from './projection-settings.js';
import type { ProjectionLag, ProjectionState, ProjectionStatus } from './projection-status.js';
import type { SourceProvider } from './source-provider.js';

/** Everything a projection is built from, after validation. */
interface Parts<S, E> {
  readonly name: string;
  readonly source: SourceProvider<S>;
  readonly store: OffsetStore;
  readonly decode: ((envelope: EventEnvelope<S>) => E) | undefined;
  readonly onUndecodable: UndecodablePolicy;
  readonly onSkipped: ((error: UndecodableEventError) => void) | undefined;
  readonly backoff: ResolvedRestartBackoff;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly delivery: (context: DeliveryContext) => Delivery<E>;
}

/**
 * A handler run over a source with the offset kept in an offset store, restarted with
 * backoff from the stored offset when the handler or the source fails. Build one with
 * `Projection.atLeastOnce`, `.grouped` or `.exactlyOnce`, then `start()` it; the
 * instance is also its management API (`status`, `pause`, `resume`, `getOffset`,
 * `setOffset`, `clearOffset`, `stop`).
 *
 * Guarantee: a projection resumed from its stored offset misses no envelope the source
 * yields after that offset; with `exactlyOnce` no envelope is applied twice to the
 * transactional sink; with the other modes envelopes handled after the last stored
 * offset come again after a crash, so their sinks must be idempotent.
 */
export class Projection<E = unknown> {
  /** What the offset is stored under. */
  readonly id: ProjectionId;
  /** Resolves when the projection is stopped or its source completed; rejects with the error when it failed for good. */
  readonly done: Promise<void>;

  private state: ProjectionState = 'idle';
  private incarnation: Incarnation | undefined;
  private lastFinished: Promise<void> = Promise.resolve();
  private restartTimer: Cancellable | undefined;
  private restartAt: number | undefined;
  private failuresInRow = 0;
  private storedOffset: number | undefined;
  private handledOffset: number | undefined;
  private handled = 0;
  private skipped = 0;
  private restarts = 0;
  private lastError: Error | undefined;
  private readonly delivery: Delivery<E>;
  private readonly decoder: EnvelopeDecoder<E>;
  private readonly host: IncarnationHost;
  private readonly settle: { resolve(): void; reject(error: unknown): void };

  private constructor(private readonly parts: Parts<unknown, E>) {
    this.id = { name: parts.name, key: parts.source.key };
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.done = promise;
    // Marked handled so a failure nobody awaits is not an unhandled rejection; awaiting `done` still sees it.
    promise.catch(() => undefined);
    this.settle = { resolve, reject };
    this.decoder = new EnvelopeDecoder(parts.name, projectionIdText(this.id), parts.decode, parts.onUndecodable, parts.logger, parts.onSkipped);
    this.delivery = parts.delivery({
      id: this.id,
      clock: parts.clock,
      stored: (offset) => {
        this.storedOffset = offset;
      },
      fail: (error) => this.incarnation?.fail(error),
    });
    this.host = {
      id: this.id,
      store: parts.store,
      source: parts.source,
      clock: parts.clock,
      delivery: this.delivery,
      loaded: (stored) => {
        this.storedOffset = stored;
        this.handledOffset = stored;
      },
      handle: (envelopes) => this.handle(envelopes),
    };
  }

  /**
   * At-least-once: the handler gets one envelope at a time; the offset is stored every
   * `saveOffsetAfterEnvelopes` envelopes or `saveOffsetAfterMs`, so after a crash up to
   * that many envelopes are handled again. The sink must be idempotent.
   * @throws TypeError/RangeError naming a bad option
   */
  static atLeastOnce<S, E = S>(options: AtLeastOnceOptions<S, E>): Projection<E> {
    const owner = 'Projection.atLeastOnce';
    const common = resolveCommon(owner, options);
    checkOffsetStore(owner, options.offsetStore, false);
    checkHandler(owner, options.handler);
    const every = checkCount(owner, 'saveOffsetAfterEnvelopes', options.saveOffsetAfterEnvelopes ?? ProjectionDefaults.saveOffsetAfterEnvelopes);
    const afterMs = checkDuration(owner, 'saveOffsetAfterMs', options.saveOffsetAfterMs ?? ProjectionDefaults.saveOffsetAfterMs);
    return Projection.build(options, common, options.offsetStore, (context) => new AtLeastOnceDelivery(context, options.offsetStore, options.handler, every, afterMs));
  }

  /**
   * Grouped: the handler gets batches of up to `groupAfterEnvelopes`, or what arrived
   * within `groupAfterMs` of a batch's first envelope; the offset is stored after each
   * batch. At-least-once per batch: a batch interrupted by a crash comes again whole.
   * @throws TypeError/RangeError naming a bad option
   */
  static grouped<S, E = S>(options: GroupedOptions<S, E>): Projection<E> {
    const owner = 'Projection.grouped';
    const common = resolveCommon(owner, options);
    checkOffsetStore(owner, options.offsetStore, false);
    checkHandler(owner, options.handler);
    const size = checkCount(owner, 'groupAfterEnvelopes', options.groupAfterEnvelopes ?? ProjectionDefaults.groupAfterEnvelopes);
    const within = checkDuration(owner, 'groupAfterMs', options.groupAfterMs ?? ProjectionDefaults.groupAfterMs);
    return Projection.build(options, common, options.offsetStore, (context) => new GroupedDelivery(context, options.offsetStore, options.handler, size, within));
  }

  /**
   * Exactly-once: batches as `grouped`, each written by the handler through the offset
   * store's transaction together with its offset (one transaction per batch). A batch
   * is applied once or not at all, whatever happens to the process.
   * @throws TypeError/RangeError naming a bad option
   */
  static exactlyOnce<S, E = S, Tx = unknown>(options: ExactlyOnceOptions<S, E, Tx>): Projection<E> {
    const owner = 'Projection.exactlyOnce';
    const common = resolveCommon(owner, options);
    checkOffsetStore(owner, options.offsetStore, true);
    checkHandler(owner, options.handler);
    const size = checkCount(owner, 'groupAfterEnvelopes', options.groupAfterEnvelopes ?? ProjectionDefaults.groupAfterEnvelopes);
    const within = checkDuration(owner, 'groupAfterMs', options.groupAfterMs ?? ProjectionDefaults.groupAfterMs);
    return Projection.build(options, common, options.offsetStore, (context) => new ExactlyOnceDelivery(context, options.offsetStore, options.handler, size, within));
  }

  private static build<S, E>(options: ProjectionOptions<S, E>, common: ReturnType<typeof resolveCommon>, store: OffsetStore, delivery: (context: DeliveryContext) => Delivery<E>): Projection<E> {
    const projection = new Projection<E>({
      name: options.name,
      source: options.source as SourceProvider<unknown>,
      store,
      decode: options.decode as ((envelope: EventEnvelope<unknown>) => E) | undefined,
      onUndecodable: common.onUndecodable,
      onSkipped: options.onSkipped,
      backoff: common.backoff,
      clock: options.clock ?? options.system?.clock ?? new SystemClock(),
      logger: options.logger ?? options.system?.log ?? new ConsoleLogger('warn'),
      delivery,
    });
    void options.system?.whenTerminated.then(() => projection.stop());
    return projection;
  }

  /** Starts reading from the stored offset. Returns at once; watch `status()` or `done`. @throws TypeError unless `idle` */
  start(): this {
    if (this.state !== 'idle') throw new TypeError(`Projection ${projectionIdText(this.id)}: start() needs state idle, it is ${this.state}`);
    this.launch();
    return this;
  }

  /** A snapshot of state, offsets and counters. */
  status(): ProjectionStatus {
    return {
      name: this.id.name,
      key: this.id.key,
      state: this.state,
      storedOffset: this.storedOffset,
      handledOffset: this.handledOffset,
      handled: this.handled,
      skipped: this.skipped,
      restarts: this.restarts,
      lastError: this.lastError,
      restartAt: this.restartAt,
    };
  }

  /**
   * How far the projection is behind its source: the source's highest offset now minus
   * the offset handled (or, before the first start, the stored one). `undefined` when the
   * source cannot tell its highest offset (`SourceProvider.highestOffset`; an
   * `EventsByTagSource` can on journals with the `highestOffsetOfTagQuery` capability).
   */
  async lag(): Promise<ProjectionLag | undefined> {
    const sourceHighestOffset = await this.parts.source.highestOffset?.();
    if (sourceHighestOffset === undefined) return undefined;
    const handledOffset = this.handledOffset ?? (await this.parts.store.readOffset(this.id));
    return { sourceHighestOffset, handledOffset, behind: Math.max(0, sourceHighestOffset - (handledOffset ?? 0)) };
  }

  /**
   * Stops reading after the envelope or batch in hand and stores what was handled;
   * resolves when it has. A projection waiting to restart stays paused instead.
   * Pausing a paused or ended projection does nothing; pausing an `idle` one keeps it from starting.
   */
  async pause(): Promise<void> {
    if (this.state === 'idle' || this.state === 'restarting') {
      this.cancelRestart();
      this.state = 'paused';
      return;
    }
    if (this.state === 'running') {
      this.state = 'paused';
      await this.halt();
    }
    await this.lastFinished;
  }

  /** Continues a paused projection from the stored offset. Does nothing in any other state. */
  async resume(): Promise<void> {
    await this.lastFinished;
    if (this.state === 'paused') this.launch();
  }

  /** Stops for good (storing what was handled) and resolves `done`. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'completed' || this.state === 'failed') {
      await this.lastFinished;
      return;
    }
    this.cancelRestart();
    this.state = 'stopped';
    await this.halt();
    this.settle.resolve();
  }

  /** The offset in the store (not what is handled and unsaved). */
  async getOffset(): Promise<number | undefined> {
    const offset = await this.parts.store.readOffset(this.id);
    this.storedOffset = offset;
    return offset;
  }

  /**
   * Stores `offset` so the projection continues after it: a running projection is
   * paused, moved and resumed (skip ahead, or rewind to reprocess).
   * @throws RangeError when `offset` is not an integer >= 0
   */
  async setOffset(offset: number): Promise<void> {
    checkOffset('Projection.setOffset', offset);
    await this.whileHalted(async () => {
      await this.parts.store.saveOffset(this.id, offset);
      this.storedOffset = offset;
      this.handledOffset = offset;
    });
  }

  /** Forgets the stored offset so the projection rebuilds from the beginning (paused and resumed if running). */
  async clearOffset(): Promise<void> {
    await this.whileHalted(async () => {
      await this.parts.store.clearOffset(this.id);
      this.storedOffset = undefined;
      this.handledOffset = undefined;
    });
  }

  private async whileHalted(work: () => Promise<void>): Promise<void> {
    const active = this.state === 'running' || this.state === 'restarting';
    if (active) await this.pause();
    else await this.lastFinished;
    try {
      await work();
    } finally {
      if (active) await this.resume();
    }
  }

  private launch(): void {
    this.state = 'running';
    const incarnation = new Incarnation();
    this.incarnation = incarnation;
    incarnation.finished = incarnation.run(this.host).then((outcome) => this.ended(incarnation, outcome));
    this.lastFinished = incarnation.finished;
  }

  private async halt(): Promise<void> {
    const incarnation = this.incarnation;
    if (incarnation === undefined) return;
    incarnation.abort.abort();
    await incarnation.finished;
  }

  private cancelRestart(): void {
    this.restartTimer?.cancel();
    this.restartTimer = undefined;
    this.restartAt = undefined;
  }

  /** Decodes `envelopes`, hands the decodable ones over, and throws the first bad one under the stop policy. */
  private async handle(envelopes: readonly EventEnvelope<unknown>[]): Promise<void> {
    const batch = this.decoder.decodeBatch(envelopes);
    this.skipped += batch.skipped;
    if (batch.lastOffset > 0) {
      await this.delivery.deliver(batch.envelopes, batch.lastOffset);
      this.handled += batch.envelopes.length;
      this.handledOffset = batch.lastOffset;
      this.failuresInRow = 0;
    }
    if (batch.bad !== undefined) throw batch.bad;
  }

  private ended(incarnation: Incarnation, outcome: Outcome): void {
    if (this.incarnation === incarnation) this.incarnation = undefined;
    // pause() and stop() changed the state before aborting; they own what happens next.
    if (this.state !== 'running') return;
    switch (outcome.kind) {
      case 'completed':
        this.state = 'completed';
        this.settle.resolve();
        return;
      case 'aborted':
        // Only pause/stop abort an incarnation without a failure; reaching here means one raced a restart.
        this.scheduleRestart(new Error('projection source aborted unexpectedly'));
        return;
      case 'fatal':
        this.failForGood(outcome.error);
        return;
      case 'failed':
        this.scheduleRestart(outcome.error);
        return;
    }
  }

  private scheduleRestart(error: unknown): void {
    this.lastError = toError(error);
    this.failuresInRow++;
    if (this.failuresInRow > this.parts.backoff.maxRestarts) {
      this.failForGood(new ProjectionRestartsExhaustedError(projectionIdText(this.id), this.failuresInRow - 1, error));
      return;
    }
    const delayMs = restartDelay(this.failuresInRow - 1, this.parts.backoff);
    this.state = 'restarting';
    this.restartAt = this.parts.clock.now() + delayMs;
    this.parts.logger.warn(`projection ${projectionIdText(this.id)} failed; restarting from offset ${this.storedOffset ?? 0} in ${Math.round(delayMs)} ms: ${this.lastError.message}`, {
      projection: projectionIdText(this.id),
      error,
    });
    this.restartTimer = this.parts.clock.schedule(delayMs, () => {
      this.restartTimer = undefined;
      this.restartAt = undefined;
      if (this.state !== 'restarting') return;
      this.restarts++;
      this.launch();
    });
  }

  private failForGood(error: unknown): void {
    this.state = 'failed';
    this.lastError = toError(error);
    this.parts.logger.error(`projection ${projectionIdText(this.id)} failed: ${this.lastError.message}`, { projection: projectionIdText(this.id), error });
    this.settle.reject(error);
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
