/** What a receiving process reports over IPC once a run's last message arrived. */
export interface DeliveryReport {
  readonly type: 'delivered';
  readonly runId: number;
  readonly received: number;
  /** Messages whose `seq` was not the one after the previous message's (order is guaranteed, so this must be 0). */
  readonly outOfOrder: number;
}

/**
 * Counts the messages of one run on the receiving side (raw ws handler or Troupe
 * actor alike) and reports over IPC when the expected count has arrived.
 */
export class DeliveryCounter {
  private runId = -1;
  private expected = Number.POSITIVE_INFINITY;
  private received = 0;
  private next = 0;
  private outOfOrder = 0;

  /** Starts a run of `count` messages numbered from 0. */
  expect(runId: number, count: number): void {
    this.runId = runId;
    this.expected = count;
    this.received = 0;
    this.next = 0;
    this.outOfOrder = 0;
  }

  /** One message with sequence number `seq` arrived. */
  take(seq: number): void {
    if (seq !== this.next) this.outOfOrder++;
    this.next = seq + 1;
    if (++this.received === this.expected) {
      const report: DeliveryReport = { type: 'delivered', runId: this.runId, received: this.received, outOfOrder: this.outOfOrder };
      process.send?.(report);
    }
  }
}
