/**
 * Appends entries to the ordered logs (`tag_log`, `persistence_id_log`) for the journal:
 * one conditional batch in flight per log key per journal instance, and every request that
 * arrives meanwhile rides in the next batch (group commit), so a busy tag costs one
 * lightweight transaction per batch, not per event.
 *
 * A write's entries are appended after its events are stored and before it is acknowledged.
 * The events record the block the log was open at (`tag_blocks` in the messages row); a
 * recovery that finds the entries missing seals the open block and appends them itself (see
 * `tag-repair.ts`). So that a late append of the original writer (a zombie) cannot land after
 * that repair and duplicate it, a live append may go past the block its events recorded only
 * after re-checking, once it has seen that block sealed, that its writer still owns the id:
 * a repair's claim came before its seal, so the re-check sees the claim.
 */
import type cassandra from 'cassandra-driver';
import { CassandraContendedError, CassandraTagLogError } from '../errors.js';
import type { LogEntry, OrderedLog } from './ordered-log.js';

type Client = cassandra.Client;

/** How many failed conditions a batch survives (other instances appending to the same block). */
const MAX_ATTEMPTS = 64;
/** Log keys (tags) whose open block one instance remembers; idle ones beyond it are forgotten, oldest first, and looked up again when used. */
const MAX_KEYS = 10_000;

/** One write's entries for one log key. */
export interface AppendRequest {
  readonly entries: readonly LogEntry[];
  readonly persistenceId: string;
  /** The last sequence number of the write: the progress row's value. */
  readonly lastSequenceNr: number;
  /** Bytes of payload, to size batches. */
  readonly bytes: number;
  /**
   * The block recorded with the events, and their writer: a live append past that block
   * re-checks the writer's claim first. Undefined for a repair (its recovery holds the claim).
   */
  readonly live?: { readonly recordedBlock: number; readonly writerUuid: string };
}

interface Pending {
  readonly request: AppendRequest;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface KeyState {
  block: number;
  /** Last position taken as this instance last saw it; undefined when unknown. */
  high: number | undefined;
  readonly queue: Pending[];
  running: boolean;
}

/** Limits of one batch (besides the block size); a single request above them still goes, alone. */
export interface AppendLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

/** The appender of one journal instance over one ordered log. */
export class LogAppender {
  private readonly keys = new Map<string, KeyState>();
  private readonly finding = new Map<string, Promise<KeyState>>();
  private readonly inFlight = new Map<string, Set<Promise<void>>>();

  constructor(
    readonly log: OrderedLog,
    private readonly limits: AppendLimits,
    /** The writer the id is fenced to now, null when never claimed (a serial read). */
    private readonly currentFence: (client: Client, persistenceId: string) => Promise<string | null>,
  ) {}

  /** The block appends of `key` go to now, as far as this instance knows (looked up once per key). */
  async currentBlock(client: Client, key: string): Promise<number> {
    return (await this.stateOf(client, key)).block;
  }

  /** Appends one write's entries; resolves once they are in the log. */
  append(client: Client, key: string, request: AppendRequest): Promise<void> {
    const appending = this.enqueue(client, key, request);
    const pid = request.persistenceId;
    let set = this.inFlight.get(pid);
    if (set === undefined) this.inFlight.set(pid, (set = new Set()));
    set.add(appending);
    const forget = (): void => {
      set.delete(appending);
      if (set.size === 0 && this.inFlight.get(pid) === set) this.inFlight.delete(pid);
    };
    appending.then(forget, forget);
    return appending;
  }

  /**
   * Resolves once no append of `persistenceId` started by this instance is queued or in
   * flight: a write the runtime gave up on (its call timed out) may still be appending, and
   * a repair by the same writer must not append it a second time.
   */
  async settled(persistenceId: string): Promise<void> {
    const set = this.inFlight.get(persistenceId);
    if (set !== undefined) await Promise.allSettled([...set]);
  }

  private async enqueue(client: Client, key: string, request: AppendRequest): Promise<void> {
    let state = await this.stateOf(client, key);
    // Forgotten while this append waited (more than MAX_KEYS keys): one state per key, so one batch in flight.
    const current = this.keys.get(key);
    if (current === undefined) this.keys.set(key, state);
    else state = current;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    state.queue.push({ request, resolve, reject });
    if (!state.running) void this.drain(client, key, state);
    return promise;
  }

  private async stateOf(client: Client, key: string): Promise<KeyState> {
    const known = this.keys.get(key);
    if (known !== undefined) return known;
    let finding = this.finding.get(key);
    if (finding === undefined) {
      finding = this.log.openBlock(client, key, 0).then((block) => {
        const state: KeyState = this.keys.get(key) ?? { block, high: undefined, queue: [], running: false };
        this.keys.set(key, state);
        this.forgetIdleKeys();
        return state;
      });
      finding.finally(() => this.finding.delete(key)).catch(() => undefined);
      this.finding.set(key, finding);
    }
    return finding;
  }

  /** Keeps the remembered keys bounded (a tag per entity would grow them without end). */
  private forgetIdleKeys(): void {
    if (this.keys.size <= MAX_KEYS) return;
    for (const [key, state] of this.keys) {
      if (this.keys.size <= MAX_KEYS) return;
      if (!state.running && state.queue.length === 0) this.keys.delete(key);
    }
  }

  private async drain(client: Client, key: string, state: KeyState): Promise<void> {
    state.running = true;
    try {
      while (state.queue.length > 0) {
        const batch = this.takeBatch(state.queue);
        try {
          await this.appendBatch(client, key, state, batch);
        } catch (error) {
          // Unknown outcome (a timeout may still apply): the next read finds the block's state.
          state.high = undefined;
          for (const pending of batch) pending.reject(error instanceof CassandraTagLogError ? error : new CassandraTagLogError(pending.request.persistenceId, describe(error), error));
        }
      }
    } finally {
      state.running = false;
    }
  }

  /**
   * The next batch: at most `maxEntries`, and never more entries than a block holds, so a
   * batch always fits an empty block (a bigger one would seal block after block, empty).
   */
  private takeBatch(queue: Pending[]): Pending[] {
    const batch: Pending[] = [];
    const maxEntries = Math.min(this.limits.maxEntries, this.log.blockSize);
    let entries = 0;
    let bytes = 0;
    while (queue.length > 0) {
      const next = queue[0] as Pending;
      const size = next.request.entries.length;
      if (batch.length > 0 && (entries + size > maxEntries || bytes + next.request.bytes > this.limits.maxBytes)) break;
      batch.push(next);
      queue.shift();
      entries += size;
      bytes += next.request.bytes;
    }
    return batch;
  }

  private async appendBatch(client: Client, key: string, state: KeyState, batch: Pending[]): Promise<void> {
    let members = batch;
    // The block each live request's claim was last checked at.
    const checked = new Map<Pending, number>();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      members = await this.dropFenced(client, state.block, members, checked);
      if (members.length === 0) return;
      if (state.high === undefined) {
        const found = await this.log.state(client, key, state.block);
        if (found.sealed) {
          state.block++;
          state.high = 0;
          continue;
        }
        state.high = found.high;
      }
      const entries = members.flatMap((pending) => pending.request.entries);
      // An empty block takes the batch whatever its size: more than a block holds is one write
      // stored under a larger tagBlockSize (its repair), and sealing would not make it fit.
      if (state.high > 0 && state.high + entries.length > this.log.blockSize) {
        await this.log.seal(client, key, state.block);
        state.block++;
        state.high = 0;
        continue;
      }
      const progress = new Map<string, number>();
      for (const { request } of members) progress.set(request.persistenceId, Math.max(progress.get(request.persistenceId) ?? 0, request.lastSequenceNr));
      const outcome = await this.log.append(client, key, state.block, state.high, entries, progress);
      if (outcome.applied) {
        state.high += entries.length;
        for (const pending of members) pending.resolve();
        return;
      }
      if (outcome.state.sealed) {
        state.block++;
        state.high = 0;
      } else {
        state.high = outcome.state.high;
      }
    }
    const log = key === '' ? 'the persistence-id log' : `the tag log of "${key}"`;
    throw new CassandraContendedError(
      '',
      `appending ${members.length === 1 ? 'a write' : `${members.length} writes`} to block ${state.block} of ${log}`,
      MAX_ATTEMPTS,
      'other journal instances took the positions or sealed the block first on every attempt: too many instances append to this log key at once',
    );
  }

  /**
   * Live requests about to go past their recorded block: this instance has seen the block
   * before `block` sealed, so a claim that preceded that seal is visible now. A writer that
   * lost its id fails its write; its events are stored, and the claimant's recovery appends them.
   */
  private async dropFenced(client: Client, block: number, members: Pending[], checked: Map<Pending, number>): Promise<Pending[]> {
    const checks = members.map(async (pending) => {
      const live = pending.request.live;
      if (live === undefined || block <= live.recordedBlock || checked.get(pending) === block) return true;
      checked.set(pending, block);
      const fence = await this.currentFence(client, pending.request.persistenceId);
      if (fence === null || fence === live.writerUuid) return true;
      pending.reject(new CassandraTagLogError(pending.request.persistenceId, `writer ${live.writerUuid} was fenced by a newer incarnation before its entries were appended`));
      return false;
    });
    const keep = await Promise.all(checks);
    return members.filter((_, i) => keep[i]);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
