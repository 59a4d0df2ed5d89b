// What the cluster demo's driver (cluster-demo.ts) and its node processes (bank-node.ts) say to each other over IPC.
import type { AccountStatus, Receipt } from './account.js';

/** Failure detection, downing and sharding settings of every node, tuned for a quick demo on one machine. */
export interface DemoTimings {
  readonly gossipIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly acceptableHeartbeatPauseMs: number;
  readonly stableAfterMs: number;
  readonly numberOfShards: number;
  readonly shardRetryIntervalMs: number;
}

/** A node's start argument (JSON in argv[2]). */
export interface BankNodeConfig {
  readonly secret: string;
  /** `host:port` of the node to join through; empty for the first node. */
  readonly seeds: readonly string[];
  /** Folder of the journal and snapshot files every node shares. */
  readonly dataDir: string;
  readonly timings: DemoTimings;
}

/** How one transfer ended: both legs stored, or the withdrawal refused (nothing stored). */
export type TransferOutcome = 'done' | 'refused';

/** What the driver asks a node to do; the node answers with `replyTo: requestId`. */
export type BankNodeCommand =
  | { readonly type: 'deposit'; readonly requestId: number; readonly ops: readonly { readonly id: string; readonly amount: number }[] }
  | { readonly type: 'transfer'; readonly requestId: number; readonly ops: readonly { readonly from: string; readonly to: string; readonly amount: number }[] }
  /** Asks each account's status, sending an ask again when one times out, until `deadlineMs` has passed. */
  | { readonly type: 'status'; readonly requestId: number; readonly ids: readonly string[]; readonly attemptTimeoutMs: number; readonly deadlineMs: number }
  | { readonly type: 'leave'; readonly requestId: number };

/** What a node reports: its start, membership changes, and the answers to commands. */
export type BankNodeReport =
  | { readonly type: 'started'; readonly address: string; readonly hostPort: string; readonly pid: number }
  /** A cluster event this node saw (`member` names whom it is about), with the membership after it. */
  | { readonly type: 'member'; readonly event: string; readonly member: string | undefined; readonly members: readonly { readonly address: string; readonly status: string }[] }
  | { readonly type: 'receipts'; readonly replyTo: number; readonly receipts: readonly Receipt[] }
  | { readonly type: 'transferred'; readonly replyTo: number; readonly outcomes: readonly TransferOutcome[] }
  /** One account of a `status` command answered (sent as each answers, so the driver can time it). */
  | { readonly type: 'answered'; readonly progressOf: number; readonly id: string; readonly status: AccountStatus }
  | { readonly type: 'statuses'; readonly replyTo: number; readonly statuses: readonly AccountStatus[] }
  | { readonly type: 'left'; readonly replyTo: number };
