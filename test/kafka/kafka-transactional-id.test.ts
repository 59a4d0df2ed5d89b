/**
 * Stable transactional ids of the Kafka journal's index transactions (`transactionalIdPrefix`):
 * a restarted writer process fences its SIGKILLed predecessor, so the transaction the
 * predecessor left open is aborted at once instead of after the broker's transaction
 * timeout; and two live journal instances sharing a prefix fence each other with a clear
 * error, losing nothing acknowledged.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';
import type { AtomicWrite, PersistentRepr } from '@troupe/persistence';
import { EmptyEventTopicMapper, KafkaJournal, type KafkaJournalOptions } from '@troupe/persistence-kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaAvailable, kafkaBrokers } from '../setup/services-env.js';
import { deleteTopicsStartingWith, runPrefix } from './kafka-fixtures.js';

const WRITER = fileURLToPath(new URL('./tagged-crash-writer.ts', import.meta.url));
const ACTORS = 12;
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

/** A writer child process (tagged-crash-writer.ts) and the moments it reports. */
interface Writer {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Resolves when it printed `line`, or once `count` acknowledgements arrived. */
  until(line: 'connecting' | 'started' | { readonly acks: number }): Promise<void>;
  /** SIGKILLs it and resolves once it is gone. */
  kill(): Promise<void>;
}

function startWriter(broker: string, tag: string, transactionalIdPrefix: string): Writer {
  const child = spawn(process.execPath, [WRITER, broker, prefix, tag, String(ACTORS), transactionalIdPrefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  const seen = new Set<string>();
  let acks = 0;
  let stderr = '';
  let buffered = '';
  const waiters: { readonly done: () => boolean; readonly resolve: () => void }[] = [];
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const check = () => {
    for (const waiter of waiters.splice(0)) {
      if (waiter.done()) waiter.resolve();
      else waiters.push(waiter);
    }
  };
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('ack ')) acks++;
      else seen.add(line);
    }
    check();
  });
  return {
    child,
    until: (line) => {
      const done = () => (typeof line === 'string' ? seen.has(line) : acks >= line.acks);
      if (done()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`writer did not reach ${JSON.stringify(line)} within 60 s (acks ${acks}); stderr: ${stderr}`)), 60_000);
        waiters.push({ done, resolve: () => (clearTimeout(deadline), resolve()) });
        void closed.then(() => reject(new Error(`writer exited before ${JSON.stringify(line)}; stderr: ${stderr}`)));
      });
    },
    kill: async () => {
      child.kill('SIGKILL');
      await closed;
    },
  };
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
    const figures: string[] = [];
    let writer: Writer | undefined;
    try {
      // Kill at random moments until a kill lands inside an index transaction (bounded).
      for (let round = 0; round < 10 && figures.length === 0; round++) {
        writer = startWriter(brokers[0]!, tag, transactionalIdPrefix);
        await writer.until({ acks: 100 + Math.floor(Math.random() * 200) });
        await writer.kill();
        writer = undefined;
        const high = await end(0);
        if ((await end(1)) >= high) continue;
        // Restart with the same transactional ids. Between its `connecting` and the kill lie
        // a process start (hundreds of ms): a transaction still undecided then is the dead
        // writer's open one (a committed one's markers are written within milliseconds).
        const killedAt = performance.now();
        writer = startWriter(brokers[0]!, tag, transactionalIdPrefix);
        await writer.until('connecting');
        const connectingAt = performance.now();
        if ((await end(1)) >= high) {
          await writer.kill();
          writer = undefined;
          continue;
        }
        for (let attempt = 0; (await end(1)) < high; attempt++) {
          if (performance.now() - connectingAt > 90_000) throw new Error(`the dead writer's transaction on ${topic} still undecided 90 s after the restart`);
          await new Promise<void>((resolve) => setTimeout(resolve, Math.min(5 * 2 ** attempt, 50)));
        }
        const stable = performance.now();
        figures.push(`readers held ${Math.round(stable - killedAt)} ms after the kill, ${Math.round(stable - connectingAt)} ms after the restarted writer began to connect`);
        await writer.until({ acks: 50 });
        await writer.kill();
        writer = undefined;
      }
      console.log(`transactional id restart: ${figures.join('; ') || 'no kill landed inside a transaction'}`);
      expect(figures.length, 'a kill landed inside an index transaction and the restart resolved it').toBe(1);
    } finally {
      await writer?.kill();
      await admin.close();
      await observer.close();
    }
  }, 900_000);

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
