import type { EventEnvelope } from '@troupe/persistence';
import type { OffsetStore } from '../offset-store.js';
import type { Delivery, DeliveryContext } from './delivery.js';

/** A batch to the handler, then its offset to the store: at-least-once per batch. */
export class GroupedDelivery<E> implements Delivery<E> {
  constructor(
    private readonly context: DeliveryContext,
    private readonly store: OffsetStore,
    private readonly handler: (envelopes: readonly EventEnvelope<E>[]) => void | Promise<void>,
    readonly batchSize: number,
    readonly batchWithinMs: number,
  ) {}

  async deliver(envelopes: readonly EventEnvelope<E>[], lastOffset: number): Promise<void> {
    if (envelopes.length > 0) await this.handler(envelopes);
    await this.store.saveOffset(this.context.id, lastOffset);
    this.context.stored(lastOffset);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  reset(): void {}
}
