import { Admin } from '@platformatic/kafka';
import type { ActorRef } from '@troupe/core';
import { PersistentActor, type PersistentRepr } from '@troupe/persistence';

/** A unique prefix per test file, so topics never collide between runs. */
export function runPrefix(name: string): string {
  return `${name}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}-`;
}

/** Deletes every topic whose name starts with `prefix`. */
export async function deleteTopicsStartingWith(brokers: readonly string[], prefix: string): Promise<void> {
  const admin = new Admin({ clientId: 'test-cleanup', bootstrapBrokers: [...brokers] });
  try {
    const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    for (let i = 0; i < ours.length; i += 500) await admin.deleteTopics({ topics: ours.slice(i, i + 500) });
  } finally {
    await admin.close();
  }
}

/** An event of the tests' actor. */
export type Added = { readonly type: 'added'; readonly n: number };
/** Replies of the tests' actor. */
export type CounterReply = { readonly total: number; readonly seq: number };
/** Commands of the tests' actor. */
export type CounterCommand = { readonly type: 'add'; readonly n: number; readonly replyTo: ActorRef<CounterReply> } | { readonly type: 'get'; readonly replyTo: ActorRef<CounterReply> };
/** What the actor tells its observer. */
export type CounterNote = { readonly note: 'recovered'; readonly seq: number; readonly total: number } | { readonly note: 'failed'; readonly code: string };

/** A persistent counter that reports recovery and write failures to `notes`. */
export class KafkaCounter extends PersistentActor<CounterCommand, Added> {
  total = 0;
  constructor(
    readonly persistenceId: string,
    private readonly notes?: ActorRef<CounterNote>,
  ) {
    super();
  }
  applyEvent(event: Added): void {
    this.total += event.n;
  }
  override onRecoveryCompleted(): void {
    this.notes?.tell({ note: 'recovered', seq: this.lastSequenceNr, total: this.total });
  }
  override onPersistFailure(error: { code: string }): void {
    this.notes?.tell({ note: 'failed', code: error.code });
  }
  async receiveCommand(command: CounterCommand): Promise<void> {
    if (command.type === 'add') await this.persist({ type: 'added', n: command.n });
    command.replyTo.tell({ total: this.total, seq: this.lastSequenceNr });
  }
}

/** The decoded `n` of an event the counter wrote (JSON payload). */
export function nOf(event: PersistentRepr): number {
  return (JSON.parse(Buffer.from(event.payload).toString('utf8')) as Added).n;
}
