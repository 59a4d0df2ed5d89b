import type { Cancellable } from '@troupe/core';
import type { EventEnvelope } from '@troupe/persistence';
import type { OffsetStore } from '../offset-store.js';
import type { Delivery, DeliveryContext } from './delivery.js';

/**
 * One envelope at a time; the offset is stored after `saveAfterEnvelopes` envelopes or
 * `saveAfterMs` after the first unstored one, whichever comes first, and on pause,
 * stop and failure. Saves run one after another so a late save never overwrites a
 * newer offset.
 */
export class AtLeastOnceDelivery<E> implements Delivery<E> {
  readonly batchSize = 1;
  readonly batchWithinMs = 0;
  private pendingOffset: number | undefined;
  private pendingCount = 0;
  private timer: Cancellable | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly context: DeliveryContext,
    private readonly store: OffsetStore,
    private readonly handler: (envelope: EventEnvelope<E>) => void | Promise<void>,
    private readonly saveAfterEnvelopes: number,
    private readonly saveAfterMs: number,
  ) {}

  async deliver(envelopes: readonly EventEnvelope<E>[], lastOffset: number): Promise<void> {
    for (const envelope of envelopes) {
      await this.handler(envelope);
      this.handled(envelope.offset, 1);
      if (this.pendingCount >= this.saveAfterEnvelopes) await this.flush();
    }
    // A skipped envelope is passed over, so its offset is stored like a handled one.
    if (this.pendingOffset === undefined || lastOffset > this.pendingOffset) this.handled(lastOffset, 0);
  }

  flush(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    const offset = this.pendingOffset;
    if (offset === undefined) return this.saving;
    this.pendingOffset = undefined;
    this.pendingCount = 0;
    const save = this.saving.then(async () => {
      await this.store.saveOffset(this.context.id, offset);
      this.context.stored(offset);
    });
    this.saving = save.catch(() => undefined);
    return save;
  }

  reset(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.pendingOffset = undefined;
    this.pendingCount = 0;
  }

  private handled(offset: number, count: number): void {
    this.pendingOffset = offset;
    this.pendingCount += count;
    this.timer ??= this.context.clock.schedule(this.saveAfterMs, () => {
      this.timer = undefined;
      this.flush().catch((error: unknown) => this.context.fail(error));
    });
  }
}
