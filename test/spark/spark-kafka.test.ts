/**
 * Troupe's Kafka event topics as Spark data, end to end: the KafkaJournal writes the bank and
 * weather examples' events (journal topics plus event topics) into a real broker, and Spark
 * local[2] reads the event topics through spark-sql-kafka-0-10, as a batch and as a
 * Structured Streaming source that resumes from its checkpoint in a second process. Every
 * row is compared with what this test wrote; records that are no valid event land in
 * `_corrupt` with their topic, partition, offset and key.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorSystem, type ActorRef, SupervisorStrategy, silentLogger } from '@troupe/core';
import { InMemorySnapshotStore, Persistence } from '@troupe/persistence';
import { KafkaJournal } from '@troupe/persistence-kafka';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteTopicsStartingWith, runPrefix } from '../kafka/kafka-fixtures.js';
import { kafkaAvailable, kafkaBrokers } from '../setup/services-env.js';
import {
  Account,
  type AccountCommand,
  type AccountEvent,
  type Reading,
  type RecordReadings,
  Station,
  accountEvents,
  balanceOf,
  expectedDailyWeather,
  noaaReadings,
  seededRandom,
  sortRows,
} from './spark-fixtures.js';
import { bytesOf, ensureSpark, runSpark } from './spark-runner.js';

const prefix = runPrefix('spark');
const bankTopic = `${prefix}bank`;
const weatherTopic = `${prefix}weather`;
const BANK_TOPIC_PARTITIONS = 2;
const ACCOUNTS = 4;
const EVENTS_PER_ACCOUNT = 10;
const LATER_EVENTS = 3;
const BAD_UTF8 = Buffer.from([0x7b, 0xc3, 0x28, 0x7d]);

type Row = Record<string, unknown>;
const reasonOf = (row: Row | undefined): string | undefined => (row?.['_corrupt'] as { reason: string } | null)?.reason;

describe.skipIf(!kafkaAvailable())('Spark over Kafka event topics (analytics/spark)', () => {
  const brokers = kafkaBrokers();
  let system: ActorSystem;
  let journal: KafkaJournal;
  const sent = new Map<string, AccountEvent[]>();
  const accounts = new Map<string, ActorRef<AccountCommand>>();
  const readings: Reading[] = [];
  const checkpoint = join(mkdtempSync(join(tmpdir(), 'troupe-spark-stream-')), 'checkpoint');
  let first: Record<string, Row[]>;
  let second: Record<string, Row[]>;
  let laterEvents: AccountEvent[];
  let startedAt: number;

  async function deposit(pid: string, events: readonly AccountEvent[]): Promise<void> {
    for (const event of events) await accounts.get(pid)!.ask<number>((replyTo) => ({ event, replyTo }), { timeoutMs: 30_000 });
    sent.set(pid, [...(sent.get(pid) ?? []), ...events]);
  }

  beforeAll(async () => {
    startedAt = Date.now();
    const installing = ensureSpark();
    journal = await KafkaJournal.connect({
      brokers,
      journalTopicPrefix: `${prefix}j-`,
      eventTopicPartitions: BANK_TOPIC_PARTITIONS,
      eventTopicMapper: { topicsFor: (event) => [event.persistenceId.startsWith('weather-') ? weatherTopic : bankTopic] },
    });
    system = ActorSystem.create({ name: 'spark-kafka', logger: silentLogger });
    Persistence.configure(system, { journals: { kafka: journal }, defaultJournal: 'kafka', snapshotStores: { default: new InMemorySnapshotStore() } });
    const supervision = SupervisorStrategy.restartWithBackoff({ minBackoffMs: 50, maxBackoffMs: 500 });

    const random = seededRandom(19_092);
    await Promise.all(
      Array.from({ length: ACCOUNTS }, async (_, i) => {
        const pid = `account-${i}`;
        accounts.set(
          pid,
          system.spawn(() => new Account(pid, 'kafka'), { name: pid, supervision }),
        );
        await deposit(pid, accountEvents(random, EVENTS_PER_ACCOUNT));
      }),
    );
    const station = system.spawn(() => new Station('725030:14732', 'kafka'), { name: 'station', supervision });
    const feed = noaaReadings('ny-2008.csv.gz', 3);
    for (const batch of [feed.slice(0, 24), feed.slice(24, 48), feed.slice(48), [{ ...feed[5]!, temperature: 9.9 }]]) {
      await station.ask<number>((replyTo): RecordReadings => ({ readings: batch, replyTo }), { timeoutMs: 30_000 });
      readings.push(...batch);
    }

    // Records someone else produced into the bank topic: a Troupe envelope whose bytes are
    // not UTF-8, a record without any envelope, one whose sequence number is not a number.
    const kafka = new kafkajs.Kafka({ clientId: 'spark-test-stray', brokers, logLevel: kafkajs.logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const envelope = (pid: string, seq: string): Record<string, string> => ({
      'troupe.v': '1',
      'troupe.pid': pid,
      'troupe.seq': seq,
      'troupe.ser': 'json',
      'troupe.manifest': 'deposited',
      'troupe.event-manifest': '',
      'troupe.tags': '["bank"]',
      'troupe.ts': String(Date.now()),
      'troupe.writer': 'stray-writer',
    });
    await producer.send({
      topic: bankTopic,
      messages: [
        { key: 'stray-bytes', value: BAD_UTF8, headers: envelope('stray-bytes', '1'), partition: 0 },
        { key: 'stray-plain', value: '{"type":"deposited","amount":5}', partition: 0 },
        { key: 'stray-seq', value: '{"type":"deposited","amount":5}', headers: envelope('stray-seq', 'one'), partition: 1 },
      ],
    });
    await producer.disconnect();

    await installing;
    first = await runSpark({ kafka: brokers.join(',') }, [
      { name: 'bankRows', kind: 'kafka-events', topics: [bankTopic], schema: 'bank' },
      { name: 'streamed', kind: 'kafka-stream', topics: [bankTopic], schema: 'bank', checkpoint },
      { name: 'accounts', kind: 'bank-accounts', source: { kafka: [bankTopic] } },
      { name: 'daily', kind: 'weather-daily', source: { kafka: [weatherTopic] } },
    ]);
    // More events after the first run: a second process resumes the stream from its checkpoint.
    laterEvents = accountEvents(seededRandom(7), LATER_EVENTS).map((e) => ({ type: 'deposited', amount: e.amount }));
    await deposit('account-2', laterEvents);
    second = await runSpark({ kafka: brokers.join(',') }, [{ name: 'streamed', kind: 'kafka-stream', topics: [bankTopic], schema: 'bank', checkpoint }]);
  }, 900_000);

  afterAll(async () => {
    try {
      await system?.terminate();
      await journal?.close();
    } finally {
      await deleteTopicsStartingWith(brokers, prefix);
    }
  });

  function expectEventRow(row: Row, pid: string, seq: number, event: AccountEvent): void {
    expect(Object.keys(row)).toEqual([
      'topic',
      'partition',
      'offset',
      'key',
      'persistence_id',
      'sequence_nr',
      'timestamp',
      'writer_uuid',
      'ser_id',
      'ser_manifest',
      'event_manifest',
      'tags',
      'event',
      '_corrupt',
    ]);
    expect(row).toMatchObject({
      topic: bankTopic,
      key: pid,
      persistence_id: pid,
      sequence_nr: seq,
      ser_id: 'json',
      ser_manifest: event.type,
      event_manifest: '',
      tags: ['bank'],
      event,
      _corrupt: null,
    });
    expect(row['timestamp']).toBeGreaterThanOrEqual(startedAt);
    expect(typeof row['writer_uuid']).toBe('string');
  }

  it('reads every event of the topic as a batch, each id in sequence order within its partition, headers as columns', () => {
    const rows = first['bankRows']!.filter((r) => r['_corrupt'] === null);
    expect(rows.length).toBe(ACCOUNTS * EVENTS_PER_ACCOUNT);
    for (const [pid, events] of sent) {
      if (pid === 'account-2') continue;
      const ofId = rows.filter((r) => r['persistence_id'] === pid);
      // Keyed by persistence id: one id stays in one partition, in offset = sequence order.
      expect(new Set(ofId.map((r) => r['partition'])).size).toBe(1);
      expect(ofId.map((r) => r['offset'])).toEqual([...ofId.map((r) => r['offset'] as number)].sort((a, b) => a - b));
      ofId.forEach((row, i) => expectEventRow(row, pid, i + 1, events[i]!));
    }
    expect(new Set(rows.map((r) => r['partition']))).toEqual(new Set([0, 1]));
  });

  it('keeps records that are no valid event, with topic, partition, offset, key and bytes, in _corrupt', () => {
    const corrupt = new Map(first['bankRows']!.filter((r) => r['_corrupt'] !== null).map((r) => [r['key'] as string, r]));
    expect([...corrupt.keys()].sort()).toEqual(['stray-bytes', 'stray-plain', 'stray-seq']);
    expect(reasonOf(corrupt.get('stray-bytes'))).toBe('payload is not valid UTF-8');
    expect(bytesOf((corrupt.get('stray-bytes')!['_corrupt'] as { payload: unknown }).payload)).toEqual(BAD_UTF8);
    expect(corrupt.get('stray-bytes')).toMatchObject({ persistence_id: 'stray-bytes', sequence_nr: 1, event: null, partition: 0 });
    expect(reasonOf(corrupt.get('stray-plain'))).toBe('header troupe.v is missing: not a Troupe event record');
    expect(corrupt.get('stray-plain')).toMatchObject({ persistence_id: null, event: null, partition: 0 });
    expect(reasonOf(corrupt.get('stray-seq'))).toBe('header troupe.seq is missing or not a positive integer');
    expect(corrupt.get('stray-seq')).toMatchObject({ persistence_id: 'stray-seq', sequence_nr: null, event: null, partition: 1 });
    for (const row of corrupt.values()) expect(typeof row['offset']).toBe('number');
  });

  it('streams what the batch read, then only the events written after it, resuming from the checkpoint in a new process', () => {
    const key = (r: Row): string => `${r['partition'] as number}|${String(r['offset']).padStart(8, '0')}`;
    expect(sortRows(first['streamed']!, key)).toEqual(sortRows(first['bankRows']!, key));
    const later = second['streamed']!;
    expect(later.length).toBe(LATER_EVENTS);
    later.forEach((row, i) => expectEventRow(row, 'account-2', EVENTS_PER_ACCOUNT + i + 1, laterEvents[i]!));
  });

  it('counts the events and computes the balance of every account, the stray records counted as rejected', () => {
    const firstRun = [...sent].map(([pid, events]) => {
      const upTo = events.slice(0, EVENTS_PER_ACCOUNT);
      return { persistence_id: pid, events: upTo.length, balance: balanceOf(upTo), last_sequence_nr: EVENTS_PER_ACCOUNT, rejected: 0 };
    });
    const stray = [
      { persistence_id: null, events: 0, balance: 0, last_sequence_nr: null, rejected: 1 },
      { persistence_id: 'stray-bytes', events: 0, balance: 0, last_sequence_nr: null, rejected: 1 },
      { persistence_id: 'stray-seq', events: 0, balance: 0, last_sequence_nr: null, rejected: 1 },
    ];
    const key = (r: { readonly persistence_id?: unknown }): string => String(r.persistence_id);
    expect(sortRows(first['accounts']!, key)).toEqual(sortRows([...firstRun, ...stray], key));
  });

  it('recomputes the daily weather of the station from its event topic exactly as the weather example does', () => {
    const key = (r: Row): string => `${r['station_id'] as string}|${String(r['day']).padStart(2, '0')}`;
    expect(sortRows(first['daily']!, key)).toEqual(expectedDailyWeather(readings));
  });
});
