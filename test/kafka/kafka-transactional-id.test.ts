/**
 * Stable transactional ids of the Kafka journal's index transactions (`transactionalIdPrefix`):
 * a restarted writer process fences its SIGKILLed predecessor, so the transaction the
 * predecessor left open is aborted at once instead of after the broker's transaction
 * timeout; and two live journal instances sharing a prefix fence each other with a clear
 * error, losing nothing acknowledged.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';
import type { AtomicWrite, PersistentRepr } from '@troupe/persistence';
import { EmptyEventTopicMapper, KafkaJournal, type KafkaJournalOptions } from '@troupe/persistence-kafka';
import { awaitCondition } from '@troupe/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaAvailable, kafkaBrokers } from '../setup/services-env.js';
import { deleteTopicsStartingWith, runPrefix } from './kafka-fixtures.js';

const HOLDER = fileURLToPath(new URL('./open-transaction-holder.ts', import.meta.url));
const prefix = runPrefix('txid');

function tagged(persistenceId: string, sequenceNr: number, tag: string): AtomicWrite {
  const event: PersistentRepr = {
    persistenceId,
    sequenceNr,
    payload: Buffer.from(JSON.stringify({ n: sequenceNr })),
    serializerId: 'json',
    manifest: 'added',
    eventManifest: '',
    tags: [tag],
    timestamp: Date.now(),
    writerUuid: 'w-1',
  };
  return { persistenceId, events: [event] };
}

/** Runs open-transaction-holder.ts until it has a transaction open under `transactionalId`, then SIGKILLs it. */
async function dieInsideTransaction(broker: string, transactionalId: string, topic: string): Promise<void> {
  const child = spawn(process.execPath, [HOLDER, broker, transactionalId, topic], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const open = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('open\n')) resolve();
    });
    void closed.then(() => reject(new Error(`the transaction holder exited before opening its transaction; stderr: ${stderr}`)));
  });
  try {
    await open;
  } finally {
    child.kill('SIGKILL');
    await closed;
  }
}

describe.skipIf(!kafkaAvailable())('KafkaJournal transactionalIdPrefix', () => {
  const brokers = kafkaBrokers();
  const options = (extra: Partial<KafkaJournalOptions> = {}): KafkaJournalOptions => ({
    brokers,
    journalTopicPrefix: `${prefix}j-`,
    tagTopicPrefix: `${prefix}t-`,
    persistenceIdsTopic: `${prefix}ids`,
    eventTopicMapper: EmptyEventTopicMapper,
    ...extra,
  });

  afterAll(async () => {
    await deleteTopicsStartingWith(brokers, prefix);
  });

  it('lets a writer restarted with the same prefix abort the index transaction its SIGKILLed predecessor left open', async () => {
    const tag = 'restart';
    const transactionalIdPrefix = `${prefix}writer`;
    const observer = await KafkaJournal.connect(options());
    const admin = new Admin({ clientId: 'txid-test', bootstrapBrokers: brokers });
    const topic = observer.tagTopicOf(tag);
    const end = async (isolationLevel: 0 | 1) =>
      (await admin.listOffsets({ isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] }))[0]!.partitions[0]!.offset;
    let successor: KafkaJournal | undefined;
    try {
      // The tag topic exists once something was indexed under the tag.
      expect(await observer.writeMessages([tagged('txid-seed', 1, tag)])).toEqual([undefined]);
      // The predecessor dies inside a transaction on the journal's first stable id; its
      // transaction timeout is ten minutes, so only a successor can end it within the deadline.
      await dieInsideTransaction(brokers[0]!, `${transactionalIdPrefix}-0`, topic);
      const high = await end(0);
      expect(await end(1), 'read-committed readers are held at the open transaction').toBeLessThan(high);

      const connectingAt = performance.now();
      successor = await KafkaJournal.connect(options({ transactionalIdPrefix }));
      let committedEnd = -1n;
      await awaitCondition(
        async () => {
          committedEnd = await end(1);
          return committedEnd >= high;
        },
        { timeoutMs: 60_000, intervalMs: 20, message: `the predecessor's transaction on ${topic} aborted after the successor connected` },
      );
      console.log(`transactional id restart: readers held ${Math.round(performance.now() - connectingAt)} ms after the successor began to connect`);

      // Readers see nothing of the aborted transaction, and the successor indexes as usual.
      expect(await successor.writeMessages([tagged('txid-successor', 1, tag)])).toEqual([undefined]);
      expect((await successor.currentEventsByTag(tag, 0, 100)).map((e) => e.repr.persistenceId)).toEqual(['txid-seed', 'txid-successor']);
    } finally {
      await successor?.close();
      await admin.close();
      await observer.close();
    }
  }, 180_000);

  it('fences a live instance that shares the prefix: its tagged write fails with TransactionalIdFencedError, and nothing acknowledged is lost', async () => {
    const tag = 'shared';
    const transactionalIdPrefix = `${prefix}shared`;
    const first = await KafkaJournal.connect(options({ transactionalIdPrefix }));
    let second: KafkaJournal | undefined;
    try {
      expect(await first.writeMessages([tagged('fenced-1', 1, tag)])).toEqual([undefined]);
      // A second instance with the same ids takes them over at connect.
      second = await KafkaJournal.connect(options({ transactionalIdPrefix }));
      const failure = await first.writeMessages([tagged('fenced-1', 2, tag)]).then(
        () => undefined,
        (error: unknown) => error as Error & { code?: string },
      );
      expect(failure?.code).toBe('ERR_KAFKA_TRANSACTIONAL_ID_FENCED');
      expect(failure?.message).toContain(`"${transactionalIdPrefix}-`);
      expect(failure?.message).toContain('another producer');
      expect(await second.writeMessages([tagged('other-1', 1, tag)])).toEqual([undefined]);

      // The acknowledged event is indexed; the failed write was stored but not acknowledged,
      // and the id's next recovery indexes it.
      const view = async () => (await second!.currentEventsByTag(tag, 0, 100)).map((e) => `${e.repr.persistenceId}:${e.repr.sequenceNr}`);
      expect(await view()).toEqual(['fenced-1:1', 'other-1:1']);
      await second.claimWriter('fenced-1', 'w-2');
      expect(await second.readHighestSequenceNr('fenced-1', 1)).toBe(2);
      expect(await view()).toEqual(['fenced-1:1', 'other-1:1', 'fenced-1:2']);
    } finally {
      await second?.close();
      await first.close();
    }
  });
});
