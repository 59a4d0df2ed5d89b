import { Actor, type ActorRef, ActorSystem, SupervisorStrategy, silentLogger } from '@troupe/core';
import { expect, it } from 'vitest';
import { InMemorySnapshotStore } from '../in-memory-snapshot-store.js';
import type { Journal } from '../journal.js';
import { Persistence } from '../persistence.js';
import { PersistentActor } from '../persistent-actor.js';
import type { PersistentRepr } from '../persistent-repr.js';
import { codeOf, freshId } from './tck-fixtures.js';

/** Options of `twoIncarnationsSpec`. */
export interface TwoIncarnationsOptions {
  /**
   * Opens an instance of the journal under test; called once per actor system (three) and
   * once to read what is stored, each instance on the same storage with its own
   * connections, as separate processes would. Each system closes its instance when it
   * terminates; the TCK closes the last.
   */
  readonly openJournal: () => Journal | Promise<Journal>;
  /** Runs after the test, whatever its outcome (e.g. to close a journal shared by the instances). */
  readonly cleanup?: () => void | Promise<void>;
  /** Deadline of each step (a write's reply, the stale actor's stop). @default 20000 */
  readonly stepTimeoutMs?: number;
}

type Reply = { readonly ok: true; readonly seq: number } | { readonly ok: false; readonly code: string };
type Command = { readonly type: 'write'; readonly n: number; readonly replyTo: ActorRef<Reply> } | { readonly type: 'history'; readonly replyTo: ActorRef<readonly Written[]> };
interface Written {
  readonly by: string;
  readonly n: number;
}

/** Persists `{ by, n }` per command and replies with the stored sequence number or the rejection's code. */
class Incarnation extends PersistentActor<Command, Written> {
  private readonly history: Written[] = [];

  constructor(
    readonly persistenceId: string,
    private readonly label: string,
    private readonly onStart: () => void,
  ) {
    super();
  }

  override preStart(): void | Promise<void> {
    this.onStart();
    return super.preStart();
  }

  applyEvent(event: Written): void {
    this.history.push(event);
  }

  async receiveCommand(command: Command): Promise<void> {
    if (command.type === 'history') {
      command.replyTo.tell([...this.history]);
      return;
    }
    try {
      await this.persist({ by: this.label, n: command.n });
      command.replyTo.tell({ ok: true, seq: this.lastSequenceNr });
    } catch (error) {
      // The rejection's cause carries the journal's code.
      const cause = (error as { cause?: unknown }).cause;
      command.replyTo.tell({ ok: false, code: codeOf(cause) ?? codeOf(error) ?? String(error) });
    }
  }
}

/** Resolves `stopped` when the watched actor terminates (a restart is not a termination). */
class StopWatcher extends Actor<never> {
  constructor(
    private readonly target: ActorRef<never>,
    private readonly stopped: () => void,
  ) {
    super();
  }

  override preStart(): void {
    this.context.watch(this.target);
  }

  receive(): void {}

  override onTerminated(): void {
    this.stopped();
  }
}

interface Ack {
  readonly by: string;
  readonly n: number;
  readonly seq: number;
}

/**
 * Registers the actor-level split-brain scenario (guarantee 5) against any journal: two
 * actor systems, each with its own journal instance, run the same persistent actor id and
 * write concurrently; a third system recovers. Every acknowledged event must be there (none
 * lost), sequence numbers contiguous without duplicates, the stale incarnation stopped (not
 * restarting in a loop) and the newest one still writing.
 */
export function twoIncarnationsSpec(name: string, options: TwoIncarnationsOptions): void {
  const stepTimeoutMs = options.stepTimeoutMs ?? 20_000;

  it(`${name} (single-writer TCK): two incarnations of one persistent actor in two systems lose no acknowledged event, and the stale one stops`, async () => {
    const pid = freshId('incarnation');
    const systems: ActorSystem[] = [];
    const start = async (label: string): Promise<ActorSystem> => {
      const system = ActorSystem.create({ name: `tck-${label}`, logger: silentLogger, askTimeoutMs: stepTimeoutMs });
      systems.push(system);
      Persistence.configure(system, { journals: { default: await options.openJournal() }, snapshotStores: { default: new InMemorySnapshotStore() } });
      return system;
    };
    const starts = new Map<string, number>();
    const spawn = (system: ActorSystem, label: string): ActorRef<Command> =>
      system.spawn(() => new Incarnation(pid, label, () => starts.set(label, (starts.get(label) ?? 0) + 1)), {
        name: `incarnation-${label}`,
        // A stale actor that failed instead of stopping would restart, recover and write again.
        supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 10, maxBackoffMs: 50, randomFactor: 0 }),
      });
    const acks: Ack[] = [];
    const write = async (system: ActorSystem, ref: ActorRef<Command>, by: string, n: number): Promise<Reply> => {
      const reply = await system.ask<Command, Reply>(ref, (replyTo) => ({ type: 'write', n, replyTo }));
      if (reply.ok) acks.push({ by, n, seq: reply.seq });
      return reply;
    };

    try {
      const systemA = await start('a');
      const a = spawn(systemA, 'a');
      let aStopped!: () => void;
      const aTerminated = new Promise<void>((resolve) => (aStopped = resolve));
      systemA.spawn(() => new StopWatcher(a as ActorRef<never>, aStopped), { name: 'watcher' });
      for (let n = 1; n <= 5; n++) expect((await write(systemA, a, 'a', n)).ok).toBe(true);

      // A keeps writing until it is refused; B starts in the middle of it and writes too.
      let aWriting!: () => void;
      const aIsWriting = new Promise<void>((resolve) => (aWriting = resolve));
      let aRefusal: string | undefined;
      let bHasWritten = false;
      const loopA = (async () => {
        for (let n = 6; ; n++) {
          if (n === 8) aWriting();
          // Once B's first write is acknowledged B has claimed the id: this write must be refused.
          const mustBeRefused = bHasWritten;
          const reply = await write(systemA, a, 'a', n);
          if (!reply.ok) {
            aRefusal = reply.code;
            return;
          }
          if (mustBeRefused) return;
        }
      })();
      const loopB = (async () => {
        await aIsWriting;
        const systemB = await start('b');
        const b = spawn(systemB, 'b');
        for (let n = 1; n <= 20; n++) {
          expect((await write(systemB, b, 'b', n)).ok, `B's write ${n}`).toBe(true);
          bHasWritten = true;
        }
        return { systemB, b };
      })();
      const [, { systemB, b }] = await Promise.all([loopA, loopB]);

      expect(['ERR_WRITER_FENCED', 'ERR_SEQUENCE_NUMBER_TAKEN'], 'the stale incarnation is refused as a stale writer').toContain(aRefusal);
      await withDeadline(aTerminated, stepTimeoutMs, 'the stale incarnation to stop');
      expect(starts.get('a'), 'the stale incarnation started once: it stopped instead of restarting').toBe(1);

      // The newest incarnation keeps writing after the stale one stopped.
      for (let n = 21; n <= 25; n++) expect((await write(systemB, b, 'b', n)).ok, `B's write ${n}`).toBe(true);
      expect(starts.get('b')).toBe(1);
      await systemA.terminate();
      await systemB.terminate();

      // A third system recovers: every acknowledged event, in order, nothing else.
      const systemC = await start('c');
      const c = spawn(systemC, 'c');
      const history = await systemC.ask<Command, readonly Written[]>(c, (replyTo) => ({ type: 'history', replyTo }));
      const bySeq = [...acks].sort((x, y) => x.seq - y.seq);
      expect(
        bySeq.map((ack) => ack.seq),
        'acknowledged sequence numbers are 1..n, each once',
      ).toEqual(bySeq.map((_, i) => i + 1));
      expect(history, 'the recovered history is exactly the acknowledged events').toEqual(bySeq.map(({ by, n }) => ({ by, n })));
      const stored = await readAll(await options.openJournal(), pid);
      expect(
        stored.map((e) => e.sequenceNr),
        'stored sequence numbers are contiguous without duplicates',
      ).toEqual(bySeq.map((_, i) => i + 1));
      expect((await write(systemC, c, 'c', 1)).ok, 'a newer incarnation writes after recovery').toBe(true);
      expect(acks.at(-1)?.seq).toBe(bySeq.length + 1);
    } finally {
      await Promise.allSettled(systems.map((system) => system.terminate()));
      await options.cleanup?.();
    }
  }, 120_000);
}

async function readAll(journal: Journal, persistenceId: string): Promise<PersistentRepr[]> {
  try {
    const all: PersistentRepr[] = [];
    for await (const page of journal.replayMessages(persistenceId, { fromSequenceNr: 1, toSequenceNr: Infinity, max: Infinity })) all.push(...page);
    return all;
  } finally {
    await journal.close?.();
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
