/**
 * The two candidate clients driven directly (no Troupe code), for the client comparison
 * and as the raw baseline of the journal benchmark. Every function here does exactly
 * what a journal needs: write events to partition 0 of a topic with an idempotent
 * producer, and read a partition from an offset up to its end.
 */
import { Admin, ConnectionPool, Producer, fetchV17, type Broker } from '@platformatic/kafka';
import kafkajs from 'kafkajs';

/** Kafka's record-batch attribute bit of a control batch (a transaction's commit or abort marker). */
const IS_CONTROL_BATCH = 1 << 5;

const { Kafka, logLevel } = kafkajs;

/** `host:port` strings to platformatic broker objects. */
export function brokersOf(list: readonly string[]): Broker[] {
  return list.map((address) => {
    const colon = address.lastIndexOf(':');
    return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
  });
}

/** Creates one-partition topics in batches well under KRaft's 10k-records-per-request limit. */
export async function createTopics(admin: Admin, names: readonly string[], configs: { name: string; value: string }[] = [], batch = 1000): Promise<void> {
  for (let i = 0; i < names.length; i += batch) {
    const slice = names.slice(i, i + batch);
    try {
      await admin.createTopics({ topics: [...slice], partitions: 1, replicas: 1, configs });
    } catch (error) {
      // Re-runs find the topics already there; anything else is real.
      if ((error as { findBy?: (k: string, v: unknown) => unknown }).findBy?.('apiId', 'TOPIC_ALREADY_EXISTS') == null) throw error;
    }
  }
  await waitForTopics(admin, names);
}

/** CreateTopics answers before the broker's metadata lists the topics: wait until it does. */
export async function waitForTopics(admin: Admin, names: readonly string[], timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < names.length; i += 1000) {
    const slice = names.slice(i, i + 1000);
    for (;;) {
      try {
        const metadata = await admin.metadata({ topics: slice, forceUpdate: true, retries: 0 });
        if (slice.every((t) => (metadata.topics.get(t)?.partitions[0]?.leader ?? -1) >= 0)) {
          // Listed is not served yet: ListOffsets succeeds only once the leader serves the partition.
          await admin.listOffsets({ topics: slice.map((name) => ({ name, partitions: [{ partitionIndex: 0, timestamp: -1n }] })) });
          break;
        }
      } catch (error) {
        const text = JSON.stringify(error, ['message', 'apiId', 'errors']);
        if (!/Unknown topic|NOT_LEADER_OR_FOLLOWER|LEADER_NOT_AVAILABLE|UNKNOWN_TOPIC_OR_PARTITION/.test(text)) throw error;
      }
      if (Date.now() > deadline) throw new Error(`topics not in metadata after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Deletes topics in batches. */
export async function deleteTopics(admin: Admin, names: readonly string[], batch = 1000): Promise<void> {
  for (let i = 0; i < names.length; i += batch) await admin.deleteTopics({ topics: names.slice(i, i + batch) });
}

/** platformatic: an idempotent producer with metadata kept for a long time. */
export function platformaticProducer(brokers: readonly string[]): Producer<Buffer, Buffer, Buffer, Buffer> {
  return new Producer({
    clientId: 'bench-raw-platformatic',
    bootstrapBrokers: [...brokers],
    idempotent: true,
    acks: -1,
    autocreateTopics: false,
    metadataMaxAge: 300_000,
    retries: 5,
    retryDelay: 100,
  });
}

/**
 * platformatic group-less read of partition 0 of `topic` from `fromOffset` to the high
 * watermark of the first response: metadata (cached per topic by the admin client)
 * plus sessionless Fetch v17 requests on one connection pool. Returns the records read.
 */
export class PlatformaticPartitionReader {
  private readonly pool = new ConnectionPool('bench-raw-reader');

  constructor(private readonly admin: Admin) {}

  /** Reads every record; with `parse`, also JSON-parses each value (what a recovery does with events). */
  async readAll(topic: string, fromOffset = 0n, parse = false): Promise<number> {
    const metadata = await this.admin.metadata({ topics: [topic] });
    const info = metadata.topics.get(topic);
    if (info === undefined) throw new Error(`no metadata for ${topic}`);
    const leader = info.partitions[0]!.leader;
    const connection = await this.pool.get(metadata.brokers.get(leader)!);
    let next = fromOffset;
    let end = -1n;
    let count = 0;
    for (;;) {
      const response = await fetchV17.api.async(
        connection,
        0,
        1,
        16 * 1024 * 1024,
        0,
        0,
        -1,
        [{ topicId: info.id, partitions: [{ partition: 0, fetchOffset: next, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 4 * 1024 * 1024 }] }],
        [],
        '',
      );
      const partition = response.responses[0]!.partitions[0]!;
      if (end < 0n) end = partition.highWatermark;
      for (const batch of partition.records ?? []) {
        // Transaction markers (the journal's query index commits in transactions) are not records of the log's data: step over them.
        const control = (batch.attributes & IS_CONTROL_BATCH) !== 0;
        for (const record of control ? [] : batch.records) {
          const offset = batch.firstOffset + BigInt(record.offsetDelta);
          if (offset < next || offset >= end) continue;
          if (parse && record.value !== null) JSON.parse(record.value.toString('utf8'));
          count++;
        }
        next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
      }
      if (next >= end) return count;
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

type KafkaJs = InstanceType<typeof Kafka>;
/** A connected kafkajs admin client. */
export type KafkaJsAdmin = ReturnType<KafkaJs['admin']>;

/** kafkajs client with its logger silenced. */
export function kafkajsClient(brokers: readonly string[], clientId = 'bench-raw-kafkajs'): KafkaJs {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
}

/**
 * kafkajs' supported way to read a partition: a consumer in a fresh group (kafkajs has no
 * manual assignment), `fromBeginning`, stopped once it reached the end offset that the
 * admin client reported. Everything a recovery pays is inside: connect, join, sync, fetch.
 */
export async function kafkajsReadAll(kafka: KafkaJs, admin: KafkaJsAdmin, topic: string, groupId: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const end = BigInt(offsets.find((o) => o.partition === 0)!.high);
  if (end === 0n) return 0;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 3000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) if (BigInt(message.offset) < end) count++;
        if (BigInt(batch.lastOffset()) + 1n >= end) resolve();
      },
    });
  });
  await done;
  await consumer.disconnect();
  return count;
}
