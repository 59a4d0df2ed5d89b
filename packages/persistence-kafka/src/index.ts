// Importing the package registers the plugin name `kafka` (see plugin-registration.ts).
import './plugin-registration.js';

export { ENVELOPE_VERSION, EnvelopeDecoder, EnvelopeHeaders, type EncodedEnvelope, type KafkaEventEnvelope, type RecordParts, decodeEnvelope, encodeEnvelope } from './event-envelope.js';
export { type EventStream, eventStream, type EventStreamOptions } from './event-stream.js';
export { DefaultEventTopicMapper, EmptyEventTopicMapper, type EventTopicMapper, eventTopicMapperTo } from './event-topic-mapper.js';
export { EnvelopeFormatError, JournalTopicCorruptError, KafkaUnreachableError, OffsetOutOfRangeError, TagTopicError, TopicCreationError, TransactionalIdFencedError } from './kafka-errors.js';
export { KafkaJournal } from './kafka-journal.js';
export type { KafkaConnectionOptions, KafkaJournalOptions, KafkaSnapshotStoreOptions } from './kafka-options.js';
export { KafkaSnapshotStore, SnapshotHeaders } from './kafka-snapshot-store.js';
export { tagTopicFor, topicFor } from './topic-names.js';
