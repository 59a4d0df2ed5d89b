/**
 * One node of the multi-process sharding benchmarks, forked by the runner through
 * `MultiNodeHarness` and driven over IPC. It reports `ready`, then starts its cluster
 * node when told (`start`), with the package defaults or the tuned settings of the
 * package's multi-node tests, and registers:
 *  - `bench-sink` (only members with role `host` host it): entities that count ordered
 *    ticks, beside a plain `sink` actor of the same class (the remote-tell pair);
 *  - the benchmark's counter type (`typeName`): persistent entities on the shared SQLite
 *    journal file `journal`, or plain ones without it.
 * It reports its membership view after every cluster event.
 */
import { Cluster, ClusterSharding, type ClusterOptions, EntityTypeKey } from '@troupe/cluster';
import { Actor, silentLogger } from '@troupe/core';
import { InMemorySnapshotStore, Persistence, SqliteJournal } from '@troupe/persistence';
import { BENCH_SECRET, BENCH_SYSTEM } from '../cluster/bench-messages.js';
import { DeliveryCounter } from '../cluster/delivery-counter.js';
import { type BenchMessage, BenchEntity, PersistentBenchEntity, type Pong, STOP, type Tick } from './bench-entity.js';
import { SINK, type SinkMessage, TUNED_CLUSTER, TUNED_RETRY_INTERVAL_MS } from './sharding-settings.js';

/** What `start` takes. */
export interface StartCommand {
  readonly type: 'start';
  readonly requestId: number;
  readonly seeds: readonly string[];
  readonly tuned: boolean;
  readonly roles: readonly string[];
  readonly typeName: string;
  /** Shared SQLite journal file; without it the counter entities are plain actors. */
  readonly journal?: string;
}

/** What `ask` takes: asks every id (at most `concurrency` at once), retrying a failed ask until `deadlineMs` from the command. */
export interface AskCommand {
  readonly type: 'ask';
  readonly requestId: number;
  readonly ids: readonly string[];
  readonly timeoutMs: number;
  readonly deadlineMs: number;
  readonly concurrency: number;
}

/** One id's outcome: the answering node, when it answered (epoch ms), the successful ask's latency, failed attempts. */
export interface AskAnswer {
  readonly id: string;
  readonly node?: string;
  readonly at?: number;
  readonly ms?: number;
  readonly failures: number;
}

type Command =
  | StartCommand
  | AskCommand
  | { readonly type: 'sink'; readonly requestId: number; readonly runId: number; readonly count: number }
  | { readonly type: 'stats'; readonly requestId: number }
  | { readonly type: 'gc'; readonly requestId: number };

const counter = new DeliveryCounter();
let cluster: Cluster | undefined;
let counterType: EntityTypeKey<BenchMessage> | undefined;

class Sink extends Actor<SinkMessage> {
  receive(message: Tick): void {
    counter.take(message.seq);
  }
}

const epochNow = (): number => performance.timeOrigin + performance.now();

function report(node: Cluster): void {
  const state = node.state;
  process.send?.({
    type: 'view',
    address: node.selfAddress,
    members: state.members.map((m) => ({ address: m.address, status: m.status })),
    unreachable: state.unreachable.map((m) => m.address),
    leader: state.leader,
  });
}

async function start(command: StartCommand): Promise<Record<string, unknown>> {
  const options: ClusterOptions = {
    name: BENCH_SYSTEM,
    host: '127.0.0.1',
    port: 0,
    secret: BENCH_SECRET,
    seeds: command.seeds,
    roles: command.roles,
    system: { logger: silentLogger },
    ...(command.tuned ? TUNED_CLUSTER : {}),
  };
  const node = await Cluster.start(options);
  cluster = node;
  const address = node.selfAddress;
  if (command.journal !== undefined) {
    Persistence.configure(node.system, { journals: { default: new SqliteJournal({ path: command.journal }) }, snapshotStores: { default: new InMemorySnapshotStore() } });
  }
  const sharding = ClusterSharding.get(node);
  const retry = command.tuned ? { retryIntervalMs: TUNED_RETRY_INTERVAL_MS } : {};
  sharding.init({ typeKey: SINK, create: () => new Sink(), role: 'host', ...retry });
  counterType = EntityTypeKey.of<BenchMessage>(command.typeName);
  const journaled = command.journal !== undefined;
  sharding.init({
    typeKey: counterType,
    create: (id) => (journaled ? new PersistentBenchEntity(`${command.typeName}-${id}`, address) : new BenchEntity(address)),
    stopMessage: STOP,
    passivation: { idleTimeoutMs: Infinity },
    ...retry,
  });
  node.system.spawn(() => new Sink(), { name: 'sink' });
  node.subscribe(() => report(node), { initialState: false });
  report(node);
  return { address, hostPort: node.hostPort };
}

async function askAll(command: AskCommand): Promise<AskAnswer[]> {
  const node = cluster;
  const typeKey = counterType;
  if (node === undefined || typeKey === undefined) throw new Error('not started');
  const sharding = ClusterSharding.get(node);
  const deadline = performance.now() + command.deadlineMs;
  const answers: AskAnswer[] = new Array(command.ids.length);
  let next = 0;
  const worker = async () => {
    while (next < command.ids.length) {
      const index = next++;
      const id = command.ids[index] as string;
      let failures = 0;
      for (;;) {
        const began = performance.now();
        try {
          const pong = await sharding.entityRefFor(typeKey, id).ask<Pong>((replyTo) => ({ type: 'ping', replyTo }), { timeoutMs: command.timeoutMs });
          answers[index] = { id, node: pong.node, at: epochNow(), ms: performance.now() - began, failures };
          break;
        } catch {
          failures++;
          if (performance.now() + command.timeoutMs > deadline) {
            answers[index] = { id, failures };
            break;
          }
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.ids.length) }, worker));
  return answers;
}

async function handle(command: Command): Promise<Record<string, unknown>> {
  switch (command.type) {
    case 'start':
      return start(command);
    case 'ask':
      return { answers: await askAll(command) };
    case 'sink':
      counter.expect(command.runId, command.count);
      return {};
    case 'stats': {
      if (cluster === undefined || counterType === undefined) throw new Error('not started');
      return { stats: await ClusterSharding.get(cluster).stats(counterType) };
    }
    case 'gc':
      globalThis.gc?.();
      globalThis.gc?.();
      return {};
  }
}

process.on('message', (command: Command | { readonly type: 'exit' }) => {
  if (command.type === 'exit') process.exit(0);
  handle(command).then(
    (result) => process.send?.({ type: 'reply', replyTo: command.requestId, ...result }),
    (error: unknown) => process.send?.({ type: 'reply', replyTo: command.requestId, error: String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', pid: process.pid });
