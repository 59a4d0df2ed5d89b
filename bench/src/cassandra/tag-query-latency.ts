/**
 * Live `eventsByTag` on Cassandra: how long after a write is acknowledged a live query on
 * another journal instance yields its event, at a given offered rate of tagged events.
 *
 * Writers: `--writers` CassandraJournal instances (own driver sessions, as separate nodes)
 * over `--ids` persistence ids. Every 10 ms each writer offers its share of `--rate` events
 * per second; an id writes at most one atomic write at a time (as a persistent actor does),
 * so events offered while its last write is in flight join its next write (up to
 * `--max-write` events), and the writes of all ids in a tick go in one `writeMessages` call
 * (the runtime's group commit). Reader: a ReadJournal (`PersistenceQuery`) on one more
 * instance, whose live `eventsByTag` polls every `--refresh-ms` (it cannot hear another
 * instance's writes). Offered for `--seconds`, then the reader catches up (bounded).
 *
 * Reports per rate: the write rate achieved, acknowledged → seen (the query's delay) and
 * offered → seen (with the writers' queueing) as p50/p99/max, and that every acknowledged
 * event was seen exactly once. Prints a table and one JSON line per rate.
 *
 * `--untagged` writes the same events without a tag (no log entries, nothing for the reader):
 * the write rate the journal reaches without the tag log, for comparison.
 *
 *   node dist/cassandra/tag-query-latency.js [--rate 1000,3000,10000] [--seconds 10] [--writers 2] [--ids 500] [--refresh-ms 100] [--max-write 20] [--untagged]
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { ActorSystem, silentLogger } from '@troupe/core';
import { type AtomicWrite, Persistence, PersistenceQuery, type PersistentRepr } from '@troupe/persistence';
import { CassandraJournal } from '@troupe/persistence-cassandra';

const TICK_MS = 10;
const CATCH_UP_MS = 60_000;

interface Args {
  readonly rates: number[];
  readonly seconds: number;
  readonly writers: number;
  readonly ids: number;
  readonly refreshMs: number;
  readonly maxWrite: number;
  readonly untagged: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const get = (name: string, fallback: string): string => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 && argv[at + 1] !== undefined ? (argv[at + 1] as string) : fallback;
  };
  const positive = (name: string, value: number): number => {
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`--${name} must be a positive number, got ${value}`);
    return value;
  };
  return {
    rates: get('rate', '1000,3000,10000')
      .split(',')
      .map((r) => positive('rate', Number(r))),
    seconds: positive('seconds', Number(get('seconds', '10'))),
    writers: positive('writers', Number(get('writers', '2'))),
    ids: positive('ids', Number(get('ids', '500'))),
    refreshMs: positive('refresh-ms', Number(get('refresh-ms', '100'))),
    maxWrite: positive('max-write', Number(get('max-write', '20'))),
    untagged: argv.includes('--untagged'),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

interface RateResult {
  readonly offeredPerSec: number;
  readonly acknowledgedPerSec: number;
  readonly acknowledged: number;
  readonly seen: number;
  readonly duplicates: number;
  readonly ackToSeenMs: { p50: number; p99: number; max: number };
  readonly offerToSeenMs: { p50: number; p99: number; max: number };
  readonly writeFailures: number;
}

async function runRate(connect: () => Promise<CassandraJournal>, args: Args, rate: number): Promise<RateResult> {
  const tag = `latency-${randomUUID()}`;
  const writers = await Promise.all(Array.from({ length: args.writers }, connect));
  const readerJournal = await connect();
  const system = ActorSystem.create({ name: 'tag-latency', logger: silentLogger });
  Persistence.configure(system, { journals: { default: readerJournal } });
  const reads = await PersistenceQuery.readJournalFor<{ offeredAt: number }>(system, undefined, { refreshIntervalMs: args.refreshMs, pageSize: 512 });
  const encoder = new TextEncoder();
  const ackedAt = new Map<string, number>();
  const offeredAt = new Map<string, number>();
  const seen = new Map<string, number>();
  let duplicates = 0;
  let writeFailures = 0;
  const controller = new AbortController();
  const consuming = (async () => {
    for await (const envelope of reads.eventsByTag(tag, 0, { signal: controller.signal })) {
      const key = `${envelope.persistenceId}:${envelope.sequenceNr}`;
      if (seen.has(key)) duplicates++;
      else seen.set(key, Date.now());
    }
  })();

  // Per id: the next sequence number, events offered and not yet written, whether a write is in flight.
  const ids = Array.from({ length: args.ids }, (_, i) => ({
    pid: `latency-${i}-${randomUUID()}`,
    writer: writers[i % writers.length] as CassandraJournal,
    next: 1,
    queued: [] as number[],
    busy: false,
  }));
  const start = Date.now();
  const end = start + args.seconds * 1000;
  let offered = 0;
  const inFlight = new Set<Promise<void>>();
  let cursor = 0;
  while (Date.now() < end) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate) - offered;
    for (let i = 0; i < due; i++) {
      (ids[cursor % ids.length] as (typeof ids)[number]).queued.push(Date.now());
      cursor++;
    }
    offered += Math.max(0, due);
    // One group commit per writer instance per tick: each idle id with queued events writes them.
    for (const writer of writers) {
      const batch = ids.filter((id) => id.writer === writer && !id.busy && id.queued.length > 0);
      if (batch.length === 0) continue;
      const writes: AtomicWrite[] = batch.map((id) => {
        const taken = id.queued.splice(0, args.maxWrite);
        const events: PersistentRepr[] = taken.map((at, k) => {
          offeredAt.set(`${id.pid}:${id.next + k}`, at);
          return {
            persistenceId: id.pid,
            sequenceNr: id.next + k,
            payload: encoder.encode(JSON.stringify({ offeredAt: at })),
            serializerId: 'json',
            manifest: '',
            eventManifest: '',
            tags: args.untagged ? [] : [tag],
            timestamp: at,
            writerUuid: 'bench',
          };
        });
        id.next += events.length;
        id.busy = true;
        return { persistenceId: id.pid, events };
      });
      const call = writer
        .writeMessages(writes, (index, rejection) => {
          const write = writes[index] as AtomicWrite;
          const id = batch[index] as (typeof ids)[number];
          id.busy = false;
          if (rejection !== undefined) writeFailures++;
          else for (const event of write.events) ackedAt.set(`${write.persistenceId}:${event.sequenceNr}`, Date.now());
        })
        .then(
          () => undefined,
          () => {
            writeFailures++;
            for (const id of batch) id.busy = false;
          },
        );
      inFlight.add(call);
      void call.finally(() => inFlight.delete(call));
    }
    await new Promise<void>((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all([...inFlight]);
  const elapsed = (Date.now() - start) / 1000;
  const acknowledged = ackedAt.size;
  // Bounded catch-up: the reader polls on; stop once everything acknowledged was seen.
  const deadline = Date.now() + CATCH_UP_MS;
  while (!args.untagged && [...ackedAt.keys()].some((key) => !seen.has(key)) && Date.now() < deadline) await new Promise<void>((resolve) => setTimeout(resolve, 50));
  controller.abort();
  await consuming;
  const ackToSeen: number[] = [];
  const offerToSeen: number[] = [];
  for (const [key, acked] of ackedAt) {
    const at = seen.get(key);
    if (at === undefined) continue;
    ackToSeen.push(at - acked);
    offerToSeen.push(at - (offeredAt.get(key) as number));
  }
  ackToSeen.sort((a, b) => a - b);
  offerToSeen.sort((a, b) => a - b);
  const stats = (sorted: number[]) => ({ p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN });
  await system.terminate();
  await Promise.all([...writers, readerJournal].map((journal) => journal.close()));
  return {
    offeredPerSec: rate,
    acknowledgedPerSec: Math.round(acknowledged / elapsed),
    acknowledged,
    seen: [...ackedAt.keys()].filter((key) => seen.has(key)).length,
    duplicates,
    ackToSeenMs: stats(ackToSeen),
    offerToSeenMs: stats(offerToSeen),
    writeFailures,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const contactPoints = (process.env.TROUPE_CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:19042').split(',');
  const localDataCenter = process.env.TROUPE_CASSANDRA_LOCAL_DC ?? 'datacenter1';
  const keyspace = `bench_tags_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const loadBefore = loadavg()[0] ?? 0;
  const connect = (): Promise<CassandraJournal> => CassandraJournal.connect({ contactPoints, localDataCenter, keyspace });
  const setup = await connect();
  const results: RateResult[] = [];
  try {
    for (const rate of args.rates) {
      const result = await runRate(connect, args, rate);
      results.push(result);
      console.log(JSON.stringify({ bench: 'cassandra-tag-query-latency', ...args, rates: undefined, ...result }));
    }
  } finally {
    const client = await setup.client();
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await setup.close();
  }
  console.log('');
  console.log(
    `live eventsByTag on Cassandra${args.untagged ? ' (UNTAGGED: writes only, no log entries)' : ''}: ${args.writers} writer instances, ${args.ids} ids, reader on its own instance polling every ${args.refreshMs} ms, ${args.seconds} s per rate`,
  );
  console.log(`machine: ${cpus().length} cores, load average ${loadBefore.toFixed(1)} before → ${(loadavg()[0] ?? 0).toFixed(1)} after (shared box)`);
  console.log('offered/s  acked/s  acked  seen  dup  fail   ack→seen p50/p99/max ms   offer→seen p50/p99/max ms');
  for (const r of results) {
    const a = r.ackToSeenMs;
    const o = r.offerToSeenMs;
    console.log(
      `${String(r.offeredPerSec).padStart(9)}${String(r.acknowledgedPerSec).padStart(9)}${String(r.acknowledged).padStart(7)}${String(r.seen).padStart(6)}${String(r.duplicates).padStart(5)}${String(r.writeFailures).padStart(6)}   ${`${a.p50}/${a.p99}/${a.max}`.padEnd(24)}${o.p50}/${o.p99}/${o.max}`,
    );
  }
}

await main();
