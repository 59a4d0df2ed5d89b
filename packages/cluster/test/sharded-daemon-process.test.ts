import { Actor, ActorSystem, silentLogger } from '@troupe/core';
import { TestProbe, awaitCondition } from '@troupe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, ClusterSharding, SHARDED_DAEMON_PROCESS_DEFAULTS, ShardedDaemonProcess, STOP_MESSAGE_KEY, ShardedDaemonProcessOptionError, type ShardedDaemonProcessOptions } from '../src/index.js';
import { DaemonInstance } from '../src/sharded-daemon-process/daemon-instance.js';
import { keepAliveSenders } from '../src/sharded-daemon-process/keep-alive-senders.js';
import { type ShardedDaemonProcessSettings, resolveShardedDaemonProcessSettings } from '../src/sharded-daemon-process/sharded-daemon-process-settings.js';
import type { Member } from '../src/membership/member.js';
import { ShardAllocation } from '../src/sharding/shard-allocation.js';
import { shardIdOf } from '../src/sharding/shard-id.js';
import { fastOptions } from './fast-settings.js';

type WorkerMsg = { readonly type: 'stop' };

/** Every start and stop of a worker, and every time one index was found running on two nodes at once. */
const running = new Map<string, string>();
const doubles: string[] = [];
const starts: { key: string; node: string }[] = [];
const stopsByMessage: string[] = [];
/** Keys of workers that stop themselves right after their next start (once). */
const stopOnStart = new Set<string>();

class Worker extends Actor<WorkerMsg> {
  constructor(
    private readonly key: string,
    private readonly node: string,
  ) {
    super();
  }
  override preStart(): void {
    const other = running.get(this.key);
    if (other !== undefined) doubles.push(`${this.key} on ${other} and ${this.node}`);
    running.set(this.key, this.node);
    starts.push({ key: this.key, node: this.node });
    if (stopOnStart.delete(this.key)) this.context.stop(this.context.self);
  }
  override postStop(): void {
    if (running.get(this.key) === this.node) running.delete(this.key);
  }
  receive(msg: WorkerMsg): void {
    if (msg.type === 'stop') {
      stopsByMessage.push(this.key);
      this.context.stop(this.context.self);
    }
  }
}

/** A worker whose class declares its stop message, as `ProjectionActor` of `@troupe/projection` does. */
class DeclaringWorker extends Worker {
  static readonly [STOP_MESSAGE_KEY]: WorkerMsg = { type: 'stop' };
}

const started: Cluster[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.shutdown()));
  running.clear();
  doubles.length = 0;
  starts.length = 0;
  stopsByMessage.length = 0;
  stopOnStart.clear();
});

async function startNode(seed?: Cluster, roles?: string[]): Promise<Cluster> {
  const cluster = await Cluster.start(fastOptions({ ...(seed === undefined ? {} : { seeds: [seed.hostPort] }), ...(roles === undefined ? {} : { roles }) }));
  started.push(cluster);
  return cluster;
}

let nameCounter = 0;
function daemonOn(cluster: Cluster, name: string, extra: Partial<ShardedDaemonProcessOptions<WorkerMsg>> = {}): ShardedDaemonProcess {
  const daemon = ShardedDaemonProcess.get(cluster);
  daemon.init<WorkerMsg>({
    name,
    numberOfInstances: 6,
    create: (index) => new Worker(`${name}/${index}`, cluster.selfAddress),
    stopMessage: { type: 'stop' },
    retryIntervalMs: 200,
    // Long enough that only the first ping and the pings on membership changes matter in these tests, unless one sets it shorter.
    keepAliveIntervalMs: 60_000,
    keepAliveFromNumberOfNodes: Infinity,
    ...extra,
  });
  return daemon;
}

const allUp = (nodes: readonly Cluster[]) => nodes.every((c) => c.state.members.length === nodes.length && c.state.members.every((m) => m.status === 'up'));
const runningIndexes = (name: string) => [...running.keys()].filter((k) => k.startsWith(`${name}/`)).map((k) => Number(k.slice(name.length + 1)));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('ShardedDaemonProcess (nodes in one process)', () => {
  it('starts every instance without any traffic, each on exactly one node, spread over the nodes', async () => {
    const name = `daemon${++nameCounter}`;
    const a = await startNode();
    const nodes = [a, await startNode(a), await startNode(a)];
    const daemons = nodes.map((n) => daemonOn(n, name, { numberOfInstances: 12 }));
    await awaitCondition(() => allUp(nodes) && runningIndexes(name).length === 12, { timeoutMs: 15_000, message: '12 instances running' });
    const local = daemons.map((d) => d.localInstances(name));
    expect(local.flat().sort((x, y) => x - y)).toEqual(range(12));
    expect(local.filter((l) => l.length > 0).length).toBeGreaterThan(1);
    for (const [i, indexes] of local.entries()) for (const index of indexes) expect(running.get(`${name}/${index}`)).toBe(nodes[i]?.selfAddress);
    expect(doubles).toEqual([]);
    // Sharding's own view agrees: 12 entities of the daemon's type, one per running instance.
    const stats = await ClusterSharding.get(a).clusterStats((daemons[0] as ShardedDaemonProcess).typeKeyOf(name));
    expect(nodes.map((n) => stats.get(n.selfAddress)?.entities)).toEqual(local.map((l) => l.length));
  });

  it("restarts a stopped node's instances on the survivors at once (keep-alive on the membership change, not the interval)", async () => {
    const name = `daemon${++nameCounter}`;
    const a = await startNode();
    const nodes = [a, await startNode(a), await startNode(a)];
    const daemons = nodes.map((n) => daemonOn(n, name, { numberOfInstances: 12 }));
    await awaitCondition(() => allUp(nodes) && runningIndexes(name).length === 12, { timeoutMs: 15_000 });
    // The node with the most instances stops without leaving; its peers detect it and down it.
    const counts = daemons.map((d) => d.localInstances(name).length);
    const victimIndex = counts.indexOf(Math.max(...counts));
    const victim = nodes[victimIndex] as Cluster;
    const moved = (daemons[victimIndex] as ShardedDaemonProcess).localInstances(name);
    const survivors = nodes.filter((n) => n !== victim);
    const stoppedAt = performance.now();
    await victim.shutdown();
    await awaitCondition(() => moved.every((i) => survivors.some((s) => s.selfAddress === running.get(`${name}/${i}`))) && runningIndexes(name).length === 12, {
      timeoutMs: 20_000,
      message: `instances ${moved.join(',')} running on a survivor`,
    });
    console.log(
      `[measured] in-process: ${moved.length} instances of a stopped node ran again on survivors ${Math.round(performance.now() - stoppedAt)} ms after it stopped (fast test settings; keep-alive interval 60 s)`,
    );
    const local = survivors.map((s) => ShardedDaemonProcess.get(s).localInstances(name));
    expect(local.flat().sort((x, y) => x - y)).toEqual(range(12));
  });

  it('hands instances to a joining node with the stop message, and starts them there without waiting for the keep-alive interval', async () => {
    const name = `daemon${++nameCounter}`;
    const a = await startNode();
    const b = await startNode(a);
    daemonOn(a, name, { numberOfInstances: 20 });
    daemonOn(b, name, { numberOfInstances: 20 });
    await awaitCondition(() => allUp([a, b]) && runningIndexes(name).length === 20, { timeoutMs: 15_000 });
    const c = await startNode(a);
    const onC = daemonOn(c, name, { numberOfInstances: 20 });
    await awaitCondition(() => allUp([a, b, c]) && onC.localInstances(name).length > 0 && runningIndexes(name).length === 20, { timeoutMs: 20_000, message: 'instances moved to the joining node' });
    const movedToC = onC.localInstances(name);
    for (const index of movedToC) expect(stopsByMessage).toContain(`${name}/${index}`);
    expect(doubles).toEqual([]);
  });

  it('starts an instance again with the next keep-alive after it stopped by itself', async () => {
    const name = `daemon${++nameCounter}`;
    stopOnStart.add(`${name}/2`);
    const a = await startNode();
    daemonOn(a, name, { numberOfInstances: 4, keepAliveIntervalMs: 200 });
    await awaitCondition(() => starts.filter((s) => s.key === `${name}/2`).length === 2 && runningIndexes(name).length === 4, { timeoutMs: 15_000 });
    expect(ShardedDaemonProcess.get(a).localInstances(name)).toEqual([0, 1, 2, 3]);
  });

  it('runs instances only on members with the role', async () => {
    const name = `daemon${++nameCounter}`;
    const front = await startNode(undefined, ['front']);
    const nodes = [front, await startNode(front, ['back']), await startNode(front, ['back'])];
    const daemons = nodes.map((n) => daemonOn(n, name, { numberOfInstances: 8, role: 'back' }));
    await awaitCondition(() => allUp(nodes) && runningIndexes(name).length === 8, { timeoutMs: 15_000 });
    expect((daemons[0] as ShardedDaemonProcess).localInstances(name)).toEqual([]);
    expect([...(daemons[1] as ShardedDaemonProcess).localInstances(name), ...(daemons[2] as ShardedDaemonProcess).localInstances(name)].sort((x, y) => x - y)).toEqual(range(8));
  });

  it('refuses bad options with an error naming the field, and a second init of the same name', async () => {
    const cluster = await startNode();
    const daemon = ShardedDaemonProcess.get(cluster);
    const create = () => new Worker('x', 'y');
    const bad: [Partial<ShardedDaemonProcessOptions<WorkerMsg>>, string, string][] = [
      [{ name: 'has space' }, 'name', `ShardedDaemonProcess.init: name must be letters, digits, '-' or '_' (starting with a letter or digit), got "has space"`],
      [{ numberOfInstances: 0 }, 'numberOfInstances', 'ShardedDaemonProcess.init: numberOfInstances must be an integer in 1..10000, got 0'],
      [{ numberOfInstances: 2.5 }, 'numberOfInstances', 'ShardedDaemonProcess.init: numberOfInstances must be an integer in 1..10000, got 2.5'],
      [{ create: undefined as never }, 'create', 'ShardedDaemonProcess.init: create must be a function (index) => Actor'],
      [{ keepAliveIntervalMs: 0 }, 'keepAliveIntervalMs', 'ShardedDaemonProcess.init: keepAliveIntervalMs must be a finite number of ms > 0, got 0'],
      [{ keepAliveFromNumberOfNodes: 0 }, 'keepAliveFromNumberOfNodes', 'ShardedDaemonProcess.init: keepAliveFromNumberOfNodes must be an integer in 1..9007199254740991, got 0'],
      [{ role: '' }, 'role', 'ShardedDaemonProcess.init: role must be a non-empty string'],
      [{ supervision: 'restart' as never }, 'supervision', 'ShardedDaemonProcess.init: supervision must be a SupervisorStrategy'],
      [{ numberOfShards: -1 }, 'numberOfShards', 'ShardedDaemonProcess.init: numberOfShards must be an integer in 1..1000000, got -1'],
      [{ handoffTimeoutMs: Infinity }, 'handoffTimeoutMs', 'ShardedDaemonProcess.init: handoffTimeoutMs must be a finite number of ms > 0, got Infinity'],
      [{ retryIntervalMs: -5 }, 'retryIntervalMs', 'ShardedDaemonProcess.init: retryIntervalMs must be a finite number of ms > 0, got -5'],
    ];
    const thrown = (init: () => void): ShardedDaemonProcessOptionError => {
      try {
        init();
      } catch (error) {
        expect(error).toBeInstanceOf(ShardedDaemonProcessOptionError);
        return error as ShardedDaemonProcessOptionError;
      }
      throw new Error('init did not throw');
    };
    for (const [options, field, message] of bad) {
      const error = thrown(() => daemon.init<WorkerMsg>({ name: 'ok', numberOfInstances: 2, create, ...options }));
      expect({ code: error.code, field: error.field, message: error.message }).toEqual({ code: 'ERR_SHARDED_DAEMON_INVALID_OPTION', field, message });
    }
    expect(thrown(() => daemon.init(null as never))).toMatchObject({ field: 'options', message: 'ShardedDaemonProcess.init: options must be an object' });
    daemon.init<WorkerMsg>({ name: 'once', numberOfInstances: 1, create });
    expect(thrown(() => daemon.init<WorkerMsg>({ name: 'once', numberOfInstances: 1, create }))).toMatchObject({
      code: 'ERR_SHARDED_DAEMON_INVALID_OPTION',
      field: 'name',
      message: 'ShardedDaemonProcess.init: name "once" is already started on this node',
    });
    expect(() => daemon.localInstances('never')).toThrow(new TypeError('ShardedDaemonProcess: "never" is not started on this node; call init first'));
  });
});

describe('keepAliveSenders', () => {
  const member = (address: string, upNumber: number, status: Member['status'] = 'up', roles: string[] = []): Member => ({ address, upNumber, status, roles });

  it('picks the oldest Up members, oldest first, ties broken by address', () => {
    const members = [member('n4', 4), member('n1', 1), member('n3', 2), member('n2', 2), member('n5', 0, 'joining'), member('n6', 3, 'leaving')];
    expect(keepAliveSenders(members, undefined, 3)).toEqual(['n1', 'n2', 'n3']);
    expect(keepAliveSenders(members, undefined, 1)).toEqual(['n1']);
    expect(keepAliveSenders(members, undefined, Infinity)).toEqual(['n1', 'n2', 'n3', 'n4']);
  });

  it('considers only members with the role when one is given', () => {
    const members = [member('a', 1, 'up', ['front']), member('b', 2, 'up', ['back']), member('c', 3, 'up', ['back'])];
    expect(keepAliveSenders(members, 'back', 1)).toEqual(['b']);
    expect(keepAliveSenders(members, 'none', 3)).toEqual([]);
  });
});

/** A small seeded PRNG (mulberry32): uniform in [0, 1), the same sequence for the same seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('ShardedDaemonProcess placement', () => {
  it('places instances where the hash ring places their shards, favouring no node by age: 4 instances over 3 nodes, 300 seeded-random memberships', () => {
    // Seeded, so every run checks the same 300 memberships and the thresholds below cannot flake.
    const random = mulberry32(0x5eed_da3e);
    const byAge = [0, 0, 0];
    const spreads = new Map<string, number>();
    for (let run = 0; run < 300; run++) {
      const port = 20_000 + Math.floor(random() * 40_000);
      const members = [0, 1, 2].map((i): Member => ({ address: `troupe://p@127.0.0.1:${port + i}#${random().toString(36).slice(2, 10)}`, status: 'up', upNumber: i + 1, roles: [] }));
      const allocation = ShardAllocation.of(members, undefined);
      const perNode = [0, 0, 0];
      for (let index = 0; index < 4; index++) {
        const owner = allocation.ownerOf(shardIdOf(String(index), SHARDED_DAEMON_PROCESS_DEFAULTS.numberOfShards));
        const age = members.findIndex((m) => m.address === owner);
        expect(age).toBeGreaterThanOrEqual(0);
        (byAge[age] as number)++;
        (perNode[age] as number)++;
      }
      const spread = perNode.sort((x, y) => x - y).join('/');
      spreads.set(spread, (spreads.get(spread) ?? 0) + 1);
    }
    console.log(
      `[measured] 4 instances over 3 nodes, 300 seeded-random memberships: ${[...spreads.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([s, n]) => `${s} in ${n}`)
        .join(', ')}; by age ${byAge.join('/')}`,
    );
    for (const count of byAge) expect(count).toBeGreaterThan(300);
  });
});

describe('DaemonInstance', () => {
  it('refuses an index outside its numberOfInstances (a node configured differently pinged it): stops without creating the instance', async () => {
    const system = ActorSystem.create({ name: 'daemon-instance', logger: silentLogger });
    try {
      const created: number[] = [];
      const settings = resolveShardedDaemonProcessSettings<WorkerMsg>({
        name: 'refuse',
        numberOfInstances: 2,
        create: (index) => {
          created.push(index);
          return new Worker(`refuse/${index}`, 'local');
        },
      }) as ShardedDaemonProcessSettings<unknown>;
      const running = new Set<number>();
      const probe = TestProbe.create(system);
      for (const id of ['2', '-1', '01', 'x']) {
        const ref = system.spawn(() => new DaemonInstance(settings, id, running));
        probe.watch(ref);
        await probe.expectTerminated(ref, 5000);
      }
      const valid = system.spawn(() => new DaemonInstance(settings, '1', running));
      await awaitCondition(() => running.has(1), { timeoutMs: 5000 });
      expect(created).toEqual([1]);
      probe.watch(valid);
      valid.tell({ t: 'sdp-stop' });
      await probe.expectTerminated(valid, 5000);
      expect(stopsByMessage).toEqual([]);
      expect(running.size).toBe(0);
    } finally {
      await system.terminate();
    }
  });

  it("sends the stop message an instance's class declares (Symbol.for('troupe.stopMessage')) when init was given none", async () => {
    const system = ActorSystem.create({ name: 'daemon-instance-declared', logger: silentLogger });
    try {
      const settings = resolveShardedDaemonProcessSettings<WorkerMsg>({
        name: 'declared',
        numberOfInstances: 1,
        create: (index) => new DeclaringWorker(`declared/${index}`, 'local'),
      }) as ShardedDaemonProcessSettings<unknown>;
      const running = new Set<number>();
      const probe = TestProbe.create(system);
      const ref = system.spawn(() => new DaemonInstance(settings, '0', running));
      await awaitCondition(() => running.has(0), { timeoutMs: 5000 });
      probe.watch(ref);
      ref.tell({ t: 'sdp-stop' });
      await probe.expectTerminated(ref, 5000);
      // Stopped with the declared message (a projection stores its offset on it), not with context.stop.
      expect(stopsByMessage).toEqual(['declared/0']);
    } finally {
      await system.terminate();
    }
  });
});
