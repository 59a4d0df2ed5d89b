import { TroupeError } from '@troupe/core';

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    const inner = error.errors.map((e) => describe(e)).filter((m, i, all) => all.indexOf(m) === i);
    return `${error.message} (${inner.join('; ')})`;
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** No broker answered at any of the bootstrap addresses (wrong address, or Kafka is down). */
export class KafkaUnreachableError extends TroupeError {
  /** The `host:port` addresses that were tried. */
  readonly brokers: readonly string[];
  constructor(brokers: readonly string[], cause: unknown) {
    super('ERR_KAFKA_UNREACHABLE', `cannot reach Kafka at ${brokers.join(', ')}: ${describe(cause)}`, { cause });
    this.brokers = [...brokers];
  }
}

/** A read asked for an offset below the partition's log start (deleted by delete-records or retention). */
export class OffsetOutOfRangeError extends TroupeError {
  constructor(topic: string, partition: number, offset: bigint) {
    super('ERR_KAFKA_OFFSET_OUT_OF_RANGE', `offset ${offset} of ${topic}-${partition} is out of range`);
  }
}

/**
 * The journal cannot make sense of a journal topic: a produce answered without an offset,
 * a read below the end returned nothing (a compacted topic, or one reused for something
 * else), or deleting every event kept racing with writes. Two writers of one id are not
 * this error: their writes are refused with `SequenceNumberTakenError` or `WriterFencedError`.
 */
export class JournalTopicCorruptError extends TroupeError {
  constructor(topic: string, detail: string) {
    super('ERR_KAFKA_JOURNAL_TOPIC_CORRUPT', `journal topic "${topic}" is inconsistent: ${detail}`);
  }
}

/** A record on a Kafka topic is not a Troupe event envelope (missing or malformed headers). */
export class EnvelopeFormatError extends TroupeError {
  constructor(detail: string) {
    super('ERR_KAFKA_ENVELOPE_FORMAT', `not a Troupe event envelope: ${detail}`);
  }
}
