import type { Logger } from '@troupe/core';
import type { EventEnvelope } from '@troupe/persistence';
import { UndecodableEventError } from '../errors.js';
import type { UndecodablePolicy } from '../projection-settings.js';

/** A batch after decoding: what the handler gets, where it ends, and the bad envelope that stopped it. */
export interface DecodedBatch<E> {
  readonly envelopes: EventEnvelope<E>[];
  /** Offset of the last envelope decoded or skipped; 0 when the first one was bad under `stop`. */
  readonly lastOffset: number;
  /** Under the `stop` policy, the first undecodable envelope; the batch ends before it. */
  readonly bad: UndecodableEventError | undefined;
  /** Envelopes skipped under the `skip` policy. */
  readonly skipped: number;
}

/**
 * Applies a projection's `decode` and its bad-input policy to a batch (an envelope the
 * journal flagged `undeserializable` is bad input too): under `stop` the
 * batch is cut before the first bad envelope, under `skip` each bad one is logged,
 * reported to `onSkipped` and left out. Never silent.
 */
export class EnvelopeDecoder<E> {
  constructor(
    /** Projection name, for the error. */
    private readonly projection: string,
    /** `name/key`, for the log. */
    private readonly label: string,
    private readonly decode: ((envelope: EventEnvelope<unknown>) => E) | undefined,
    private readonly policy: UndecodablePolicy,
    private readonly logger: Logger,
    private readonly onSkipped: ((error: UndecodableEventError) => void) | undefined,
  ) {}

  decodeBatch(envelopes: readonly EventEnvelope<unknown>[]): DecodedBatch<E> {
    const decoded: EventEnvelope<E>[] = [];
    let lastOffset = 0;
    let skipped = 0;
    for (const envelope of envelopes) {
      const result = this.decodeOne(envelope);
      if (result instanceof UndecodableEventError) {
        if (this.policy === 'stop') return { envelopes: decoded, lastOffset, bad: result, skipped };
        skipped++;
        this.reportSkipped(result);
      } else {
        decoded.push(result);
      }
      lastOffset = envelope.offset;
    }
    return { envelopes: decoded, lastOffset, bad: undefined, skipped };
  }

  private decodeOne(envelope: EventEnvelope<unknown>): EventEnvelope<E> | UndecodableEventError {
    // The journal could not deserialise the stored bytes: bad input like a failed decode, and never passed to it.
    if (envelope.undeserializable !== undefined) return new UndecodableEventError(this.projection, envelope.persistenceId, envelope.sequenceNr, envelope.offset, envelope.undeserializable);
    if (this.decode === undefined) return envelope as EventEnvelope<E>;
    try {
      return { ...envelope, event: this.decode(envelope) };
    } catch (error) {
      return new UndecodableEventError(this.projection, envelope.persistenceId, envelope.sequenceNr, envelope.offset, error);
    }
  }

  private reportSkipped(error: UndecodableEventError): void {
    this.logger.warn(`${error.message}; skipped (onUndecodable: 'skip')`, { projection: this.label, persistenceId: error.persistenceId, sequenceNr: error.sequenceNr, offset: error.offset });
    try {
      this.onSkipped?.(error);
    } catch (callbackError) {
      this.logger.error(`projection ${this.label}: onSkipped threw`, { error: callbackError });
    }
  }
}
