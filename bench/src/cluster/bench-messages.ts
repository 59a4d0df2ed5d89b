import type { ActorRef } from '@troupe/core';

/** The one-way message of the throughput runs: small, as most actor messages are. */
export interface Tick {
  readonly type: 'tick';
  readonly seq: number;
}

/** The request of the ask runs (Troupe: `replyTo` is the ask's temporary ref; raw: `id`). */
export interface Echo {
  readonly type: 'echo';
  readonly replyTo: ActorRef<Pong>;
}

/** The reply of the ask runs. */
export interface Pong {
  readonly type: 'pong';
}

/** The shared cluster secret of every benchmark node (127.0.0.1 only). */
export const BENCH_SECRET = 'troupe-bench-cluster-secret-0123456789';

/** Actor-system name of every benchmark node. */
export const BENCH_SYSTEM = 'bench';
