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

/**
 * The topic of a tag could not be created (e.g. the broker refuses its name, an ACL or a
 * topic limit): the writes carrying that tag are refused before anything of them is stored,
 * the others of the same group commit go on.
 */
export class TagTopicError extends TroupeError {
  /** The tag whose topic is missing. */
  readonly tag: string;
  /** The topic that could not be created. */
  readonly topic: string;
  constructor(tag: string, topic: string, cause: unknown) {
    super('ERR_KAFKA_TAG_TOPIC', `cannot create the topic "${topic}" of tag ${JSON.stringify(tag)}: ${describe(cause)}`, { cause });
    this.tag = tag;
    this.topic = topic;
  }
}

/**
 * A transactional producer of the journal was fenced: another producer initialised the same
 * transactional id (another live process or journal instance configured with the same
 * `transactionalIdPrefix`). Its open index transaction is aborted by the broker; the write
 * it indexed fails (never acknowledged), and the id's next recovery indexes it.
 */
export class TransactionalIdFencedError extends TroupeError {
  /** The transactional id that another producer took over. */
  readonly transactionalId: string;
  constructor(transactionalId: string, cause: unknown) {
    super(
      'ERR_KAFKA_TRANSACTIONAL_ID_FENCED',
      `transactional id "${transactionalId}" was taken over by another producer (a second live process or journal instance with the same transactionalIdPrefix): this index transaction is aborted and its write fails; ${describe(cause)}`,
      { cause },
    );
    this.transactionalId = transactionalId;
  }
}

/**
 * The broker refused to create some topics, each with its own error (e.g. error 17, a name
 * that collides with an existing topic once `.` is read as `_`; a policy or ACL violation).
 * The other topics of the request were created.
 */
export class TopicCreationError extends TroupeError {
  /** The broker's message per refused topic. */
  readonly refused: ReadonlyMap<string, string>;
  constructor(refused: ReadonlyMap<string, string>, cause: unknown) {
    super('ERR_KAFKA_TOPIC_CREATION', `the broker refused to create ${[...refused].map(([topic, reason]) => `"${topic}" (${reason})`).join(', ')}`, { cause });
    this.refused = refused;
  }
}
