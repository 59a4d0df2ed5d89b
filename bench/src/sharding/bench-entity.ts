import { Actor, type ActorRef } from '@troupe/core';
import { PersistentActor } from '@troupe/persistence';

/** A one-way message; `seq` lets a receiver check order. */
export interface Tick {
  readonly type: 'tick';
  readonly seq: number;
}

/** A request answered with the node address of the entity (or actor) that handled it. */
export interface Ping {
  readonly type: 'ping';
  readonly replyTo: ActorRef<Pong>;
}

/** Sent on handoff and passivation: the entity stops itself. */
export interface Stop {
  readonly type: 'stop';
}

/** The reply to `Ping`. */
export interface Pong {
  readonly node: string;
}

/** What every benchmark entity (and its direct twin) accepts. */
export type BenchMessage = Tick | Ping | Stop;

/** The one tick the local runs send (the figure measures the runtime, not the test's allocations). */
export const TICK: Tick = Object.freeze({ type: 'tick', seq: 0 });

/** The stop message of the benchmark entity types. */
export const STOP: Stop = Object.freeze({ type: 'stop' });

/**
 * Counts ticks handled by every benchmark actor of this process and resolves a run's
 * promise at the expected count: one countdown for sharded and direct actors alike,
 * so both subjects pay the same for counting.
 */
export class TickCountdown {
  private remaining = 0;
  private release: () => void = () => {};

  /** Resolves once `count` ticks have been handled (from now). */
  expect(count: number): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.remaining = count;
    this.release = resolve;
    return promise;
  }

  /** One tick was handled. */
  take(): void {
    if (--this.remaining === 0) this.release();
  }
}

/** The countdown of this process. */
export const ticks = new TickCountdown();

/** The plain benchmark actor: counts ticks, answers pings with its node's address. */
export class BenchEntity extends Actor<BenchMessage> {
  private readonly pong: Pong;

  constructor(node: string) {
    super();
    this.pong = { node };
  }

  receive(message: BenchMessage): void {
    if (message.type === 'tick') ticks.take();
    else if (message.type === 'ping') message.replyTo.tell(this.pong);
    else this.context.stop(this.context.self);
  }
}

/** The persistent benchmark entity: recovers from the journal on start, then acts as `BenchEntity` (it persists nothing itself). */
export class PersistentBenchEntity extends PersistentActor<BenchMessage, { readonly type: 'noted' }> {
  readonly persistenceId: string;
  private readonly pong: Pong;

  constructor(persistenceId: string, node: string) {
    super();
    this.persistenceId = persistenceId;
    this.pong = { node };
  }

  applyEvent(): void {}

  receiveCommand(message: BenchMessage): void {
    if (message.type === 'tick') ticks.take();
    else if (message.type === 'ping') message.replyTo.tell(this.pong);
    else this.context.stop(this.context.self);
  }
}
