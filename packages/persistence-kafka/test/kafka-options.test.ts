import { describe, expect, it } from 'vitest';
import { EmptyEventTopicMapper } from '../src/event-topic-mapper.js';
import { resolveJournalOptions, resolveSnapshotStoreOptions } from '../src/kafka-options.js';

const brokers = ['127.0.0.1:9092'];

describe('resolveJournalOptions', () => {
  it('fills in the documented defaults', () => {
    const options = resolveJournalOptions({ brokers });
    expect(options.journalTopicPrefix).toBe('journal-');
    expect(options.tagTopicPrefix).toBe('tag-');
    expect(options.persistenceIdsTopic).toBe('persistence-ids');
    expect(options.replicationFactor).toBe(-1);
    expect(options.journalTopicConfigs).toEqual({ 'retention.ms': '-1', 'retention.bytes': '-1', 'cleanup.policy': 'delete' });
    expect(options.maxPayloadBytes).toBe(1024 * 1024);
    expect(options.eventTopicMapper.topicsFor({} as never)).toEqual(['events']);
    expect(options.connection).toMatchObject({ clientId: 'troupe', retries: 5, retryDelayMs: 200, requestTimeoutMs: 10_000 });
  });

  it('lets topic configs override retention but never compaction', () => {
    expect(resolveJournalOptions({ brokers, journalTopicConfigs: { 'retention.ms': '86400000' } }).journalTopicConfigs['retention.ms']).toBe('86400000');
    expect(() => resolveJournalOptions({ brokers, journalTopicConfigs: { 'cleanup.policy': 'compact' } })).toThrow(/cleanup.policy.*must be "delete"/);
  });

  it('names the bad field', () => {
    expect(() => resolveJournalOptions({ brokers: [] })).toThrow(/KafkaJournal: brokers must be a non-empty array/);
    expect(() => resolveJournalOptions({ brokers: ['localhost'] })).toThrow(/"host:port"/);
    expect(() => resolveJournalOptions({ brokers, maxPayloadBytes: 0 })).toThrow(/maxPayloadBytes must be a positive integer/);
    expect(() => resolveJournalOptions({ brokers, replicationFactor: 0 })).toThrow(/replicationFactor/);
    expect(() => resolveJournalOptions({ brokers, journalTopicPrefix: 'bad prefix' })).toThrow(/journalTopicPrefix/);
    expect(() => resolveJournalOptions({ brokers, eventTopicMapper: {} as never })).toThrow(/eventTopicMapper/);
  });

  it('keeps tag topics apart from journal topics', () => {
    expect(() => resolveJournalOptions({ brokers, tagTopicPrefix: '' })).toThrow(/tagTopicPrefix/);
    expect(() => resolveJournalOptions({ brokers, tagTopicPrefix: 'journal-t-' })).toThrow(/must not be prefixes of each other/);
    expect(() => resolveJournalOptions({ brokers, journalTopicPrefix: 'tag-j-' })).toThrow(/must not be prefixes of each other/);
    expect(() => resolveJournalOptions({ brokers, journalTopicPrefix: 'x.j', tagTopicPrefix: 'x_' })).toThrow(/must not be prefixes of each other/);
    expect(() => resolveJournalOptions({ brokers, transactionalIdPrefix: '' })).toThrow(/transactionalIdPrefix/);
    expect(resolveJournalOptions({ brokers }).transactionalIdPrefix).toBeUndefined();
    expect(resolveJournalOptions({ brokers, transactionalIdPrefix: 'node-a' }).transactionalIdPrefix).toBe('node-a');
    expect(() => resolveJournalOptions({ brokers, persistenceIdsTopic: 'ids/all' })).toThrow(/persistenceIdsTopic/);
    expect(resolveJournalOptions({ brokers, journalTopicPrefix: 'j-', tagTopicPrefix: 't-' }).tagTopicPrefix).toBe('t-');
  });

  it('accepts the empty mapper to turn event topics off', () => {
    expect(resolveJournalOptions({ brokers, eventTopicMapper: EmptyEventTopicMapper }).eventTopicMapper.topicsFor({} as never)).toEqual([]);
  });
});

describe('resolveSnapshotStoreOptions', () => {
  it('always makes snapshot topics compacted', () => {
    expect(resolveSnapshotStoreOptions({ brokers }).snapshotTopicConfigs).toEqual({ 'cleanup.policy': 'compact' });
    expect(() => resolveSnapshotStoreOptions({ brokers, snapshotTopicConfigs: { 'cleanup.policy': 'delete' } })).toThrow(/must be "compact"/);
    expect(resolveSnapshotStoreOptions({ brokers }).snapshotTopicPrefix).toBe('snapshot-');
  });
});
