/**
 * The Kafka journal's query index on the real broker:
 *
 * - write cost of tags: closed-loop group commits (one write per persistence id per call,
 *   the next call when the last is acknowledged, as the runtime's batcher does with every
 *   actor busy), untagged vs tagged; tagged writes add one Kafka transaction per call
 *   (tag copies + index markers) and wait until readers can see it;
 * - live `eventsByTag` latency: tagged events written at a fixed rate by one journal
 *   instance, read by `ReadJournal.eventsByTag` over another instance (another node: it gets
 *   no change notifications and polls every `--refresh` ms); latency = delivery − write ack.
 *
 * Bounded in time; every topic it creates is deleted at the end. Prints a table and one
 * JSON line.
 *
 *   node dist/kafka/tag-query-bench.js [--brokers 127.0.0.1:19092] [--ids 200] [--seconds 10] [--rate 10000] [--refresh 100]
 */
import { Admin } from '@platformatic/kafka';
import { ActorSystem, ConsoleLogger } from '@troupe/core';
import { type AtomicWrite, Persistence, PersistenceQuery } from '@troupe/persistence';
import { EmptyEventTopicMapper, KafkaJournal } from '@troupe/persistence-kafka';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const brokers = option('brokers', process.env.TROUPE_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const ids = Number(option('ids', '200'));
const seconds = Number(option('seconds', '10'));
const rate = Number(option('rate', '10000'));
const refreshIntervalMs = Number(option('refresh', '100'));
const run = `tq${Date.now().toString(36)}`;
const payload = new TextEncoder().encode(JSON.stringify({ type: 'added', n: 1, pad: 'x'.repeat(60) }));

const open = () => KafkaJournal.connect({ brokers, journalTopicPrefix: `${run}-j-`, tagTopicPrefix: `${run}-t-`, persistenceIdsTopic: `${run}-ids`, eventTopicMapper: EmptyEventTopicMapper });

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number) => Math.round(n * 100) / 100;

function write(persistenceId: string, sequenceNr: number, tags: readonly string[]): AtomicWrite {
  return {
    persistenceId,
    events: [{ persistenceId, sequenceNr, payload, serializerId: 'json', manifest: '', eventManifest: '', tags, timestamp: Date.now(), writerUuid: 'bench' }],
  };
}

/** Closed-loop group commits of one write per id for `ms`; events/s and call latency. */
async function closedLoop(journal: KafkaJournal, pids: readonly string[], next: Map<string, number>, tags: readonly string[], ms: number) {
  const latencies: number[] = [];
  let events = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    const results = await journal.writeMessages(pids.map((pid) => write(pid, next.get(pid)!, tags)));
    latencies.push(performance.now() - t0);
    for (const [i, r] of results.entries()) {
      if (r !== undefined) throw r;
      next.set(pids[i]!, next.get(pids[i]!)! + 1);
    }
    events += pids.length;
  }
  latencies.sort((a, b) => a - b);
  return { eventsPerSecond: round(events / (ms / 1000)), callP50: round(percentile(latencies, 50)), callP99: round(percentile(latencies, 99)) };
}

async function main(): Promise<void> {
  const writer = await open();
  const reader = await open();
  const system = ActorSystem.create({ name: 'tag-query-bench', logger: new ConsoleLogger('error') });
  Persistence.configure(system, { journals: { default: reader } });
  const results: Record<string, unknown> = { machine: 'shared, loaded 2-core box', ids, seconds, rate, refreshIntervalMs };
  try {
    const pids = Array.from({ length: ids }, (_, i) => `${run}-p${i}`);
    const next = new Map(pids.map((pid) => [pid, 1]));
    // Warm-up: creates every journal topic, the tag topic and the ids topic.
    await closedLoop(writer, pids, next, ['warm'], 1);
    for (const [name, tags] of [
      ['untagged', []],
      ['tagged', ['bench']],
      ['untagged again', []],
      ['tagged again', ['bench']],
    ] as const) {
      const r = await closedLoop(writer, pids, next, tags, (seconds * 1000) / 2);
      results[`write ${name}`] = r;
      console.log(`write ${name.padEnd(15)} ${String(r.eventsPerSecond).padStart(9)} events/s  call p50 ${r.callP50} ms  p99 ${r.callP99} ms`);
    }

    // Live query latency at a fixed rate.
    const tag = 'live';
    const acked = new Map<string, number>();
    const latencies: number[] = [];
    const controller = new AbortController();
    const readJournal = await PersistenceQuery.readJournalFor(system, undefined, { refreshIntervalMs });
    let delivered = 0;
    const total = Math.round(rate * seconds);
    const consuming = (async () => {
      for await (const envelope of readJournal.eventsByTag(tag, 0, { signal: controller.signal })) {
        const key = `${envelope.persistenceId}:${envelope.sequenceNr}`;
        const at = acked.get(key);
        // Delivered before the write call returned (the index is visible before the ack): 0.
        latencies.push(at === undefined ? 0 : Math.max(0, performance.now() - at));
        if (++delivered >= total) return;
      }
    })();
    const start = performance.now();
    let written = 0;
    const inFlight = new Set<string>();
    const calls: Promise<void>[] = [];
    while (written < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate)) - written;
      const free = pids.filter((pid) => !inFlight.has(pid)).slice(0, Math.max(0, due));
      if (free.length > 0) {
        for (const pid of free) inFlight.add(pid);
        written += free.length;
        const batch = free.map((pid) => write(pid, next.get(pid)!, [tag]));
        for (const pid of free) next.set(pid, next.get(pid)! + 1);
        calls.push(
          writer.writeMessages(batch).then((rs) => {
            const now = performance.now();
            rs.forEach((r, i) => {
              if (r !== undefined) throw r;
              const w = batch[i]!;
              acked.set(`${w.persistenceId}:${w.events[0]!.sequenceNr}`, now);
              inFlight.delete(w.persistenceId);
            });
          }),
        );
      }
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(calls);
    const writeSeconds = (performance.now() - start) / 1000;
    const deadline = setTimeout(() => controller.abort(), 30_000);
    await consuming;
    clearTimeout(deadline);
    latencies.sort((a, b) => a - b);
    const live = {
      events: total,
      achievedRate: round(total / writeSeconds),
      delivered,
      p50: round(percentile(latencies, 50)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies[latencies.length - 1] ?? NaN),
    };
    results['live eventsByTag'] = live;
    console.log(`live eventsByTag at ${rate}/s (achieved ${live.achievedRate}/s): delivered ${delivered}/${total}, ack→delivery p50 ${live.p50} ms p99 ${live.p99} ms max ${live.max} ms`);
    console.log(JSON.stringify(results));
  } finally {
    await system.terminate();
    await writer.close();
    await reader.close();
    const admin = new Admin({ clientId: 'tag-query-bench-cleanup', bootstrapBrokers: brokers });
    try {
      const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(run));
      for (let i = 0; i < ours.length; i += 500) await admin.deleteTopics({ topics: ours.slice(i, i + 500) });
    } finally {
      await admin.close();
    }
  }
}

await main();
