import { RingBuffer } from '../internal/ring-buffer.js';

/** What a bounded mailbox does with a message that arrives when it is full. */
export type OverflowPolicy = 'drop-newest' | 'drop-oldest' | 'fail';

/** Mailbox choice for one actor. */
export interface MailboxOptions {
  /** Most messages held; `Infinity` for unbounded. @default Infinity */
  readonly capacity?: number;
  /**
   * When full: `drop-newest` dead-letters the arriving message, `drop-oldest`
   * dead-letters the oldest queued one, `fail` throws `MailboxOverflowError` from
   * `tell` so the sender learns at once. @default 'drop-newest'
   */
  readonly overflow?: OverflowPolicy;
}

const POLICIES: readonly OverflowPolicy[] = ['drop-newest', 'drop-oldest', 'fail'];

/**
 * An actor's queue of user messages: a ring buffer with a capacity. Unbounded and
 * bounded mailboxes are the same class, so the `tell` path stays monomorphic; the
 * overflow policy is applied by the cell only when `size` reaches `capacity`.
 */
export class Mailbox extends RingBuffer<unknown> {
  constructor(
    readonly capacity: number,
    readonly overflow: OverflowPolicy,
  ) {
    super(capacity < 8 ? capacity : 8);
  }

  /** Builds a mailbox from options, naming any bad field. */
  static from(options: MailboxOptions | undefined): Mailbox {
    if (options === undefined) return new Mailbox(Infinity, 'drop-newest');
    const capacity = options.capacity ?? Infinity;
    const overflow = options.overflow ?? 'drop-newest';
    if (!(capacity === Infinity || (Number.isInteger(capacity) && capacity > 0))) {
      throw new RangeError(`mailbox.capacity must be a positive integer or Infinity, got ${String(capacity)}`);
    }
    if (!POLICIES.includes(overflow)) throw new TypeError(`mailbox.overflow must be one of ${POLICIES.join(', ')}, got ${String(overflow)}`);
    return new Mailbox(capacity, overflow);
  }
}
