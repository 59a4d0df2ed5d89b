import { PersistencePlugins } from '@troupe/persistence';
import { KafkaJournal } from './kafka-journal.js';
import type { KafkaJournalOptions, KafkaSnapshotStoreOptions } from './kafka-options.js';
import { KafkaSnapshotStore } from './kafka-snapshot-store.js';

export { ENVELOPE_VERSION, EnvelopeDecoder, EnvelopeHeaders, type EncodedEnvelope, type KafkaEventEnvelope, type RecordParts, decodeEnvelope, encodeEnvelope } from './event-envelope.js';
export { eventStream, type EventStreamOptions } from './event-stream.js';
export { DefaultEventTopicMapper, EmptyEventTopicMapper, type EventTopicMapper, eventTopicMapperTo } from './event-topic-mapper.js';
export { EnvelopeFormatError, JournalTopicCorruptError, KafkaUnreachableError, OffsetOutOfRangeError } from './kafka-errors.js';
export { KafkaJournal } from './kafka-journal.js';
export type { KafkaConnectionOptions, KafkaJournalOptions, KafkaSnapshotStoreOptions } from './kafka-options.js';
export { KafkaSnapshotStore, SnapshotHeaders } from './kafka-snapshot-store.js';
export { topicFor } from './topic-names.js';

// Importing the package registers the plugin name `kafka` for settings such as
// `{ journals: { default: { plugin: 'kafka', options: { brokers } } } }`.
PersistencePlugins.registerJournal('kafka', (options) => KafkaJournal.connect(options as KafkaJournalOptions));
PersistencePlugins.registerSnapshotStore('kafka', (options) => KafkaSnapshotStore.connect(options as KafkaSnapshotStoreOptions));
