/**
 * The Cassandra journal as Spark data, end to end: Troupe's CassandraJournal writes the bank
 * and weather examples' events into a real Cassandra, Spark local[2] reads them through the
 * DataStax connector (analytics/spark), and every row and every figure is compared with
 * what this test wrote and computed itself. Rows written past the journal with bytes that
 * are no JSON land in `_corrupt` with their key; nothing is dropped, nothing fails the job.
 */
import { ActorSystem, SupervisorStrategy, silentLogger } from '@troupe/core';
import { InMemorySnapshotStore, Persistence } from '@troupe/persistence';
import { CassandraJournal } from '@troupe/persistence-cassandra';
import type cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropKeyspaces, testClient, uniqueKeyspace } from '../cassandra/cassandra-fixtures.js';
import { holdCassandraShared } from '../cassandra/cassandra-lock.js';
import { cassandraAvailable, cassandraContactPoints } from '../setup/services-env.js';
import { Account, type AccountEvent, type DailyWeatherRow, type Reading, Station, accountEvents, balanceOf, expectedDailyWeather, noaaReadings, seededRandom, sortRows } from './spark-fixtures.js';
import { bytesOf, ensureSpark, runSpark } from './spark-runner.js';

const bankKeyspace = uniqueKeyspace('spark_bank');
const weatherKeyspace = uniqueKeyspace('spark_weather');
const BANK_PARTITION = 5;
const WEATHER_PARTITION = 100;
const ACCOUNTS = 5;
const EVENTS_PER_ACCOUNT = 12;
/** account-0 loses its first events to a delete; account-1's delete stops after raising the mark. */
const DELETED_TO = 3;
const INTERRUPTED_DELETE_TO = 2;
const CORRUPT_PID = 'account-corrupt';
const IDLE_PID = 'account-idle';
const BAD_UTF8 = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
const WRONG_TYPE = Buffer.from('{"type":"deposited","amount":"ten"}', 'utf8');
const GOOD_RAW = Buffer.from('{"type":"deposited","amount":700}', 'utf8');

describe.skipIf(!cassandraAvailable())('Spark over the Cassandra journal (analytics/spark)', () => {
  let release: (() => void) | undefined;
  let client: cassandra.Client;
  let system: ActorSystem;
  const sent = new Map<string, AccountEvent[]>();
  const readings: Reading[] = [];
  let results: Record<string, Record<string, unknown>[]>;
  let startedAt: number;

  beforeAll(async () => {
    release = await holdCassandraShared('spark');
    startedAt = Date.now();
    // Spark installs (first run) while the journals are written.
    const installing = ensureSpark();
    client = testClient();
    const contactPoints = cassandraContactPoints();
    const bankJournal = await CassandraJournal.connect({ contactPoints, keyspace: bankKeyspace, targetPartitionSize: BANK_PARTITION });
    const weatherJournal = await CassandraJournal.connect({ contactPoints, keyspace: weatherKeyspace, targetPartitionSize: WEATHER_PARTITION });
    system = ActorSystem.create({ name: 'spark-cassandra', logger: silentLogger });
    Persistence.configure(system, { journals: { bank: bankJournal, weather: weatherJournal }, defaultJournal: 'bank', snapshotStores: { default: new InMemorySnapshotStore() } });
    const supervision = SupervisorStrategy.restartWithBackoff({ minBackoffMs: 50, maxBackoffMs: 500 });

    const random = seededRandom(20_081);
    await Promise.all(
      Array.from({ length: ACCOUNTS }, async (_, i) => {
        const pid = `account-${i}`;
        const events = accountEvents(random, EVENTS_PER_ACCOUNT);
        sent.set(pid, events);
        const account = system.spawn(() => new Account(pid, 'bank'), { name: pid, supervision });
        let balance = 0;
        for (const event of events) balance = await account.ask<number>((replyTo) => ({ event, replyTo }), { timeoutMs: 30_000 });
        expect(balance).toBe(balanceOf(events));
      }),
    );
    await bankJournal.deleteMessagesTo('account-0', DELETED_TO);
    // A recovery that wrote nothing: its claim leaves two partitions holding only static columns.
    await bankJournal.claimWriter(IDLE_PID, 'idle-writer');
    // A delete that stopped after raising the mark, before its range tombstone.
    await client.execute(`UPDATE ${bankKeyspace}.metadata SET deleted_to = ? WHERE persistence_id = ?`, [INTERRUPTED_DELETE_TO, 'account-1'], { prepare: true });
    // Rows written past the journal: bytes that are not UTF-8, JSON of the wrong shape, then a good one.
    const insert = `INSERT INTO ${bankKeyspace}.messages (persistence_id, partition_nr, sequence_nr, timestamp, writer_uuid, ser_id, ser_manifest, event_manifest, event, tags) VALUES (?, 0, ?, ?, 'raw-writer', 'json', 'deposited', '', ?, ['bank'])`;
    for (const [seq, bytes] of [BAD_UTF8, WRONG_TYPE, GOOD_RAW].entries()) await client.execute(insert, [CORRUPT_PID, seq + 1, Date.now(), bytes], { prepare: true });

    // Two stations, five days each, one atomic write per day; then corrections of some hours.
    for (const [file, stationId] of [
      ['ny-2008.csv.gz', '725030:14732'],
      ['sf-2008.csv.gz', '724940:23234'],
    ] as const) {
      const station = system.spawn(() => new Station(stationId, 'weather'), { name: `station-${stationId.replace(':', '-')}`, supervision });
      const feed = noaaReadings(file, 5);
      expect(feed.length).toBe(5 * 24);
      expect(new Set(feed.map((r) => r.stationId))).toEqual(new Set([stationId]));
      const corrections: Reading[] = [
        { ...feed[27]!, temperature: (feed[27]!.temperature ?? 0) + 1.5 },
        { ...feed[28]!, temperature: null },
        { ...feed[50]!, oneHourPrecip: 2.3, temperature: -0.7 },
      ];
      for (const batch of [...Array.from({ length: 5 }, (_, d) => feed.slice(d * 24, d * 24 + 24)), corrections]) {
        expect(await station.ask<number>((replyTo) => ({ readings: batch, replyTo }), { timeoutMs: 30_000 })).toBe(batch.length);
        readings.push(...batch);
      }
    }
    await installing;
    results = await runSpark({ cassandra: contactPoints[0]! }, [
      { name: 'bankRows', kind: 'cassandra-events', keyspace: bankKeyspace, schema: 'bank' },
      { name: 'weatherRows', kind: 'cassandra-events', keyspace: weatherKeyspace, schema: 'weather' },
      { name: 'accounts', kind: 'bank-accounts', source: { cassandra: bankKeyspace } },
      { name: 'daily', kind: 'weather-daily', source: { cassandra: weatherKeyspace } },
    ]);
  }, 900_000);

  afterAll(async () => {
    try {
      await system?.terminate();
      await dropKeyspaces(client, bankKeyspace, weatherKeyspace);
    } finally {
      release?.();
    }
  });

  /** The account events that survive the deletes, as (pid, seq, event). */
  function survivingAccountEvents(): { pid: string; seq: number; event: AccountEvent }[] {
    const rows: { pid: string; seq: number; event: AccountEvent }[] = [];
    for (const [pid, events] of sent) {
      const floor = pid === 'account-0' ? DELETED_TO : pid === 'account-1' ? INTERRUPTED_DELETE_TO : 0;
      events.forEach((event, i) => {
        if (i + 1 > floor) rows.push({ pid, seq: i + 1, event });
      });
    }
    return rows;
  }

  it('reads every event the journal stored, in sort_by_key order, with the contract columns, and nothing else', () => {
    const rows = results['bankRows']!;
    expect(rows.filter((r) => r['persistence_id'] === IDLE_PID || r['sequence_nr'] === null)).toEqual([]);
    const good = rows.filter((r) => r['persistence_id'] !== CORRUPT_PID);
    expect(good.map((r) => [r['persistence_id'], r['sequence_nr']])).toEqual(sortRows(survivingAccountEvents(), (e) => `${e.pid}|${String(e.seq).padStart(4, '0')}`).map((e) => [e.pid, e.seq]));
    const byKey = new Map(survivingAccountEvents().map((e) => [`${e.pid}#${e.seq}`, e.event]));
    const writers = new Map<string, unknown>();
    for (const row of good) {
      const seq = row['sequence_nr'] as number;
      expect(Object.keys(row)).toEqual(['persistence_id', 'partition_nr', 'sequence_nr', 'timestamp', 'writer_uuid', 'ser_id', 'ser_manifest', 'event_manifest', 'tags', 'event', '_corrupt']);
      expect(row).toMatchObject({
        partition_nr: Math.floor((seq - 1) / BANK_PARTITION),
        ser_id: 'json',
        ser_manifest: byKey.get(`${row['persistence_id'] as string}#${seq}`)!.type,
        event_manifest: '',
        tags: ['bank'],
        event: byKey.get(`${row['persistence_id'] as string}#${seq}`),
        _corrupt: null,
      });
      expect(row['timestamp']).toBeGreaterThanOrEqual(startedAt);
      expect(row['timestamp']).toBeLessThanOrEqual(Date.now());
      // One writer uuid per incarnation: each account wrote all its events in one.
      const pid = row['persistence_id'] as string;
      if (!writers.has(pid)) writers.set(pid, row['writer_uuid']);
      expect(row['writer_uuid']).toBe(writers.get(pid));
      expect(typeof row['writer_uuid']).toBe('string');
    }
  });

  it('puts bytes that do not decode into _corrupt with their key, and decodes the rows after them', () => {
    const rows = results['bankRows']!.filter((r) => r['persistence_id'] === CORRUPT_PID);
    expect(rows.map((r) => r['sequence_nr'])).toEqual([1, 2, 3]);
    const [badUtf8, wrongType, good] = rows as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    expect(badUtf8['event']).toBeNull();
    expect((badUtf8['_corrupt'] as { reason: string }).reason).toBe('payload is not valid UTF-8');
    expect(bytesOf((badUtf8['_corrupt'] as { payload: unknown }).payload)).toEqual(BAD_UTF8);
    expect(wrongType['event']).toBeNull();
    expect((wrongType['_corrupt'] as { reason: string }).reason).toBe('payload is not JSON, or does not match the schema');
    expect(bytesOf((wrongType['_corrupt'] as { payload: unknown }).payload)).toEqual(WRONG_TYPE);
    expect(good).toMatchObject({ event: { type: 'deposited', amount: 700 }, _corrupt: null, writer_uuid: 'raw-writer', partition_nr: 0 });
  });

  it('counts the events and computes the latest balance of every account, reporting the rows it could not decode', () => {
    const expected = [...sent.keys()].map((pid) => {
      const events = survivingAccountEvents().filter((e) => e.pid === pid);
      return { persistence_id: pid, events: events.length, balance: balanceOf(events.map((e) => e.event)), last_sequence_nr: EVENTS_PER_ACCOUNT, rejected: 0 };
    });
    expected.push({ persistence_id: CORRUPT_PID, events: 1, balance: 700, last_sequence_nr: 3, rejected: 2 });
    expect(sortRows(results['accounts']!, (r) => r['persistence_id'] as string)).toEqual(sortRows(expected, (r) => r.persistence_id));
  });

  it('reads every weather event with the partition it was stored in', () => {
    const rows = results['weatherRows']!;
    expect(rows.length).toBe(readings.length);
    for (const stationPid of ['weather-station-725030:14732', 'weather-station-724940:23234']) {
      const ofStation = rows.filter((r) => r['persistence_id'] === stationPid);
      expect(ofStation.map((r) => r['sequence_nr'])).toEqual(Array.from({ length: 123 }, (_, i) => i + 1));
      // 24-event writes into 100-event partitions: a write crossing a boundary moves whole into the next.
      for (const row of ofStation)
        expect([Math.floor(((row['sequence_nr'] as number) - 1) / WEATHER_PARTITION), Math.floor(((row['sequence_nr'] as number) - 1) / WEATHER_PARTITION) + 1]).toContain(row['partition_nr']);
      expect(ofStation.every((r) => r['_corrupt'] === null && (r['event'] as { type: string }).type === 'reading-recorded')).toBe(true);
    }
  });

  it('recomputes the daily temperature and precipitation of every station exactly as the weather example does, corrections included', () => {
    const expected = expectedDailyWeather(readings);
    expect(expected.length).toBe(10);
    const actual = sortRows(results['daily']! as unknown as DailyWeatherRow[], (r) => `${r.station_id}|${String(r.month).padStart(2, '0')}|${String(r.day).padStart(2, '0')}`);
    expect(actual).toEqual(expected);
  });
});
