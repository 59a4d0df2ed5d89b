export { KafkaEventTopicSource, KafkaEventTopicSourceDefaults, type KafkaEventTopicSourceOptions } from './kafka-event-topic-source.js';
