/**
 * The benchmark's data: `rows` bank-account events (examples/bank's `{"type": "deposited",
 * "amount": n}`) over 1,000 persistence ids, written with the raw clients in the journals'
 * exact layout (docs/data-contract.md), because writing 1,000,000 events through the
 * journals' conditional writes takes longer than the read being measured (the Cassandra
 * suite measured 3,732 events/s for 1,000 actors): Cassandra rows of the `messages` table
 * (the journal creates the schema; partition 0 of each id, as the default 500,000-event
 * partitions give), and enveloped records of a Kafka event topic keyed by persistence id.
 */
import type { Producer } from '@platformatic/kafka';
import { CassandraJournal } from '@troupe/persistence-cassandra';
import { encodeEnvelope } from '@troupe/persistence-kafka';
import type cassandra from 'cassandra-driver';

/** Persistence ids the rows are spread over. */
export const PERSISTENCE_IDS = 1000;
/** Rows per unlogged batch (one Cassandra partition each) and batches in flight. */
const CASSANDRA_BATCH = 100;
const CASSANDRA_IN_FLIGHT = 16;
/** Records per produce call. */
const KAFKA_BATCH = 2000;

/** The event of row `i` and its JSON bytes. */
export function eventOf(i: number): { readonly amount: number; readonly bytes: Buffer } {
  const amount = 1 + (i % 997);
  return { amount, bytes: Buffer.from(JSON.stringify({ type: 'deposited', amount }), 'utf8') };
}

/** The sum of the amounts of rows 0..rows-1, to check every reader saw every row. */
export function amountOf(rows: number): number {
  let sum = 0;
  for (let i = 0; i < rows; i++) sum += eventOf(i).amount;
  return sum;
}

/** Row i is event number floor(i / ids) + 1 of id i % ids. */
function keyOf(i: number): { readonly persistenceId: string; readonly sequenceNr: number } {
  return { persistenceId: `account-${i % PERSISTENCE_IDS}`, sequenceNr: Math.floor(i / PERSISTENCE_IDS) + 1 };
}

/** Creates the journal's schema in `keyspace` and writes `rows` events into its messages table. */
export async function seedCassandra(client: cassandra.Client, keyspace: string, rows: number): Promise<void> {
  const journal = await CassandraJournal.connect({ client, keyspace });
  // The first query of a journal creates its schema.
  await journal.readHighestSequenceNr('account-0', 0);
  await journal.close();
  const insert = journal.statements.insertEvent;
  const batches: { id: number; from: number; to: number }[] = [];
  for (let id = 0; id < PERSISTENCE_IDS; id++) {
    const count = Math.floor(rows / PERSISTENCE_IDS) + (id < rows % PERSISTENCE_IDS ? 1 : 0);
    for (let from = 1; from <= count; from += CASSANDRA_BATCH) batches.push({ id, from, to: Math.min(count, from + CASSANDRA_BATCH - 1) });
  }
  let next = 0;
  const now = Date.now();
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const { id, from, to } = batches[next++]!;
      const queries = [];
      for (let seq = from; seq <= to; seq++) {
        const i = (seq - 1) * PERSISTENCE_IDS + id;
        // Columns of `insertEvent`: the last two say where the write began and in which tag-log blocks its tags went (each row is a write of its own, untagged).
        queries.push({ query: insert, params: [`account-${id}`, 0, seq, now, 'bench-seed', 'json', 'deposited', '', eventOf(i).bytes, null, seq, null] });
      }
      await client.batch(queries, { prepare: true, logged: false });
    }
  };
  await Promise.all(Array.from({ length: CASSANDRA_IN_FLIGHT }, worker));
}

/** Writes `rows` enveloped events to `topic` (which must exist), keyed by persistence id. */
export async function seedKafka(producer: Producer<Buffer, Buffer, Buffer, Buffer>, topic: string, rows: number): Promise<void> {
  const now = Date.now();
  for (let start = 0; start < rows; start += KAFKA_BATCH) {
    const messages = [];
    for (let i = start; i < Math.min(rows, start + KAFKA_BATCH); i++) {
      const { persistenceId, sequenceNr } = keyOf(i);
      const e = encodeEnvelope({
        persistenceId,
        sequenceNr,
        payload: eventOf(i).bytes,
        serializerId: 'json',
        manifest: 'deposited',
        eventManifest: '',
        tags: [],
        timestamp: now,
        writerUuid: 'bench-seed',
      });
      messages.push({ topic, key: e.key, value: e.value, headers: new Map(e.headers.map(([k, v]) => [Buffer.from(k), v])), timestamp: BigInt(e.timestamp) });
    }
    await producer.send({ messages });
  }
}
