/** Why a message could not be delivered. */
export type DeadLetterReason =
  'recipient-stopped' | 'mailbox-full' | 'mailbox-dropped-oldest' | 'no-routees' | 'sent-to-dead-letters' | 'ask-already-completed' | 'system-terminated' | 'stash-discarded' | (string & {});

/** A message that did not reach an actor, published on the event stream's `dead-letter` topic. */
export interface DeadLetter {
  readonly message: unknown;
  /** Path of the intended recipient. */
  readonly recipient: string;
  readonly reason: DeadLetterReason;
}
