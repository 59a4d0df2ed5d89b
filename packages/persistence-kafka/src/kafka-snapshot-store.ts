import { SnapshotSelectionCriteria, type SnapshotStore, type StoredSnapshot } from '@troupe/persistence';
import { PlatformaticKafkaClient } from './internal/platformatic-kafka-client.js';
import type { KafkaClient, OutgoingRecord } from './kafka-client.js';
import { EnvelopeFormatError, OffsetOutOfRangeError } from './kafka-errors.js';
import { type KafkaSnapshotStoreOptions, type ResolvedSnapshotStoreOptions, resolveSnapshotStoreOptions } from './kafka-options.js';
import { topicFor } from './topic-names.js';

const PARTITION = 0;
const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Header names of a snapshot record (all UTF-8 strings). */
export const SnapshotHeaders = {
  version: 'troupe.v',
  persistenceId: 'troupe.pid',
  sequenceNr: 'troupe.seq',
  timestamp: 'troupe.ts',
  serializerId: 'troupe.ser',
  manifest: 'troupe.manifest',
} as const;

/**
 * A snapshot store on compacted Kafka topics: one topic per persistence id
 * (`snapshot-<id>`, one partition, `cleanup.policy=compact`). A snapshot is one record
 * whose key is its sequence number (decimal), so saving again at the same number
 * replaces it and compaction keeps one record per number; deleting writes a tombstone.
 * Loading scans the (compacted) partition and picks the youngest match.
 *
 * Snapshots only speed recovery up; take them often enough that replays stay short, and
 * delete old ones (`deleteSnapshots`) so the scan stays short until compaction runs.
 */
export class KafkaSnapshotStore implements SnapshotStore {
  private readonly options: ResolvedSnapshotStoreOptions;
  private readonly client: KafkaClient;
  private readonly knownTopics = new Set<string>();

  /** Creates the store without I/O; prefer `KafkaSnapshotStore.connect`. @throws TypeError or RangeError naming a bad option */
  constructor(options: KafkaSnapshotStoreOptions) {
    this.options = resolveSnapshotStoreOptions(options);
    this.client = new PlatformaticKafkaClient(this.options.connection);
  }

  /** Creates a store and checks that a broker answers. @throws KafkaUnreachableError naming the addresses */
  static async connect(options: KafkaSnapshotStoreOptions): Promise<KafkaSnapshotStore> {
    const store = new KafkaSnapshotStore(options);
    try {
      await store.client.connect();
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    return store;
  }

  /** The topic holding the snapshots of `persistenceId`. */
  topicOf(persistenceId: string): string {
    return topicFor(this.options.snapshotTopicPrefix, persistenceId);
  }

  async saveSnapshot(snapshot: StoredSnapshot): Promise<void> {
    const topic = this.topicOf(snapshot.persistenceId);
    if (!this.knownTopics.has(topic)) {
      await this.client.ensureTopics([{ name: topic, partitions: 1, replicationFactor: this.options.replicationFactor, configs: this.options.snapshotTopicConfigs }]);
      this.knownTopics.add(topic);
    }
    const payload = snapshot.payload;
    await this.client.produce([
      {
        topic,
        partition: PARTITION,
        key: utf8(String(snapshot.sequenceNr)),
        value: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
        headers: [
          [SnapshotHeaders.version, utf8('1')],
          [SnapshotHeaders.persistenceId, utf8(snapshot.persistenceId)],
          [SnapshotHeaders.sequenceNr, utf8(String(snapshot.sequenceNr))],
          [SnapshotHeaders.timestamp, utf8(String(snapshot.timestamp))],
          [SnapshotHeaders.serializerId, utf8(snapshot.serializerId)],
          [SnapshotHeaders.manifest, utf8(snapshot.manifest)],
        ],
        timestamp: snapshot.timestamp,
      },
    ]);
  }

  async loadSnapshot(persistenceId: string, criteria: SnapshotSelectionCriteria): Promise<StoredSnapshot | undefined> {
    let best: StoredSnapshot | undefined;
    for (const snapshot of (await this.scan(persistenceId)).values()) {
      if (snapshot === null || !SnapshotSelectionCriteria.matches(criteria, snapshot)) continue;
      if (best === undefined || snapshot.sequenceNr > best.sequenceNr || (snapshot.sequenceNr === best.sequenceNr && snapshot.timestamp > best.timestamp)) best = snapshot;
    }
    return best;
  }

  async deleteSnapshot(persistenceId: string, sequenceNr: number): Promise<void> {
    const topic = this.topicOf(persistenceId);
    if (!this.knownTopics.has(topic) && !(await this.client.topicExists(topic))) return;
    await this.client.produce([tombstone(topic, sequenceNr)]);
  }

  async deleteSnapshots(persistenceId: string, criteria: SnapshotSelectionCriteria): Promise<void> {
    const topic = this.topicOf(persistenceId);
    const doomed: OutgoingRecord[] = [];
    for (const [sequenceNr, snapshot] of await this.scan(persistenceId)) {
      if (snapshot !== null && SnapshotSelectionCriteria.matches(criteria, snapshot)) doomed.push(tombstone(topic, sequenceNr));
    }
    if (doomed.length > 0) await this.client.produce(doomed);
  }

  /** The live state of a snapshot topic: sequence number → snapshot, or null when deleted. */
  private async scan(persistenceId: string): Promise<Map<number, StoredSnapshot | null>> {
    const topic = this.topicOf(persistenceId);
    const state = new Map<number, StoredSnapshot | null>();
    let offset = 0n;
    let end: bigint | undefined;
    for (;;) {
      let read;
      try {
        read = await this.client.read(topic, PARTITION, offset, this.options.fetchBytes);
      } catch (error) {
        if (!(error instanceof OffsetOutOfRangeError)) throw error;
        const start = await this.client.logStartOffset(topic, PARTITION);
        if (start === undefined || start <= offset) throw error;
        offset = start;
        continue;
      }
      if (read === undefined) return state;
      end ??= read.highWatermark;
      for (const record of read.records) {
        if (record.offset >= end) break;
        const key = record.key?.toString('utf8');
        const sequenceNr = Number(key);
        if (key === undefined || !Number.isSafeInteger(sequenceNr)) throw new EnvelopeFormatError(`snapshot record at ${topic}@${record.offset} has key ${JSON.stringify(key)}`);
        const snapshot = record.value === null ? null : decodeSnapshot(persistenceId, sequenceNr, record.value, record.headers);
        // A record of another id (a topic shared by name collision) is not ours.
        if (snapshot === null || snapshot.persistenceId === persistenceId) state.set(sequenceNr, snapshot);
      }
      if (read.nextOffset >= end || read.nextOffset <= offset) return state;
      offset = read.nextOffset;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function tombstone(topic: string, sequenceNr: number): OutgoingRecord {
  return { topic, partition: PARTITION, key: utf8(String(sequenceNr)), value: null, headers: [], timestamp: Date.now() };
}

function decodeSnapshot(persistenceId: string, sequenceNr: number, value: Buffer, headers: readonly (readonly [Buffer | null, Buffer | null])[]): StoredSnapshot {
  const found = new Map<string, string>();
  for (const [name, v] of headers) if (name !== null && v !== null) found.set(name.toString('utf8'), v.toString('utf8'));
  const get = (name: string): string => {
    const v = found.get(name);
    if (v === undefined) throw new EnvelopeFormatError(`snapshot header ${name} is missing`);
    return v;
  };
  return {
    persistenceId: found.get(SnapshotHeaders.persistenceId) ?? persistenceId,
    sequenceNr,
    timestamp: Number(get(SnapshotHeaders.timestamp)),
    payload: new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    serializerId: get(SnapshotHeaders.serializerId),
    manifest: get(SnapshotHeaders.manifest),
  };
}
