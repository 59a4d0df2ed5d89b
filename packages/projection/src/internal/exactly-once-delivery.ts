import type { EventEnvelope } from '@troupe/persistence';
import type { TransactionalOffsetStore } from '../offset-store.js';
import type { Delivery, DeliveryContext } from './delivery.js';

/**
 * A batch and its offset in one transaction of the offset store: the handler's writes
 * and the offset are committed together or not at all, so a batch is never applied
 * twice however the process dies.
 */
export class ExactlyOnceDelivery<E, Tx> implements Delivery<E> {
  constructor(
    private readonly context: DeliveryContext,
    private readonly store: TransactionalOffsetStore<Tx>,
    private readonly handler: (envelopes: readonly EventEnvelope<E>[], tx: Tx) => void | Promise<void>,
    readonly batchSize: number,
    readonly batchWithinMs: number,
  ) {}

  async deliver(envelopes: readonly EventEnvelope<E>[], lastOffset: number): Promise<void> {
    await this.store.withTransaction(async (tx) => {
      if (envelopes.length > 0) await this.handler(envelopes, tx);
      this.store.saveOffsetIn(tx, this.context.id, lastOffset);
    });
    this.context.stored(lastOffset);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  reset(): void {}
}
