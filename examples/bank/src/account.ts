import type { ActorRef } from '@troupe/core';
import { PersistentActor } from '@troupe/persistence';

/** The answer to a deposit or a withdrawal. */
export type Receipt = { readonly ok: true; readonly balance: number } | { readonly ok: false; readonly reason: string };

/** Where an account runs and what it holds, for the cluster demo's placement and failover views. */
export interface AccountStatus {
  readonly balance: number;
  /** The address of the actor system (in a cluster, the node) hosting the account now. */
  readonly node: string;
  /** Events stored for the account so far (its last sequence number). */
  readonly events: number;
}

/** What an account accepts. Amounts are whole cents. */
export type AccountCommand =
  | { readonly type: 'deposit'; readonly amount: number; readonly replyTo: ActorRef<Receipt> }
  | { readonly type: 'withdraw'; readonly amount: number; readonly replyTo: ActorRef<Receipt> }
  | { readonly type: 'balance'; readonly replyTo: ActorRef<number> }
  | { readonly type: 'status'; readonly replyTo: ActorRef<AccountStatus> }
  /** Stops the account once its in-flight write is stored: sharding's stop message for handoff and passivation. */
  | { readonly type: 'stop' }
  /** Simulates a bug: the handler throws, so the supervisor restarts the account. */
  | { readonly type: 'glitch' };

/** What an account stores: the facts, not the commands. */
export type AccountEvent = { readonly type: 'deposited'; readonly amount: number } | { readonly type: 'withdrawn'; readonly amount: number };

/** Every account event carries this tag, so a projection can follow them all. */
export const BANK_TAG = 'bank';

/**
 * One bank account, event-sourced: its balance is whatever its stored events add up
 * to, so it survives crashes, restarts and new runs of the program.
 */
export class Account extends PersistentActor<AccountCommand, AccountEvent, number> {
  readonly persistenceId: string;
  override readonly snapshotEvery = 500;
  private balance = 0;

  constructor(readonly accountId: string) {
    super();
    this.persistenceId = `account-${accountId}`;
  }

  applyEvent(event: AccountEvent): void {
    this.balance += event.type === 'deposited' ? event.amount : -event.amount;
  }

  override snapshotState(): number {
    return this.balance;
  }

  override applySnapshot(balance: number): void {
    this.balance = balance;
  }

  override tagsFor(): readonly string[] {
    return [BANK_TAG];
  }

  async receiveCommand(command: AccountCommand): Promise<void> {
    switch (command.type) {
      case 'balance':
        command.replyTo.tell(this.balance);
        return;
      case 'status':
        command.replyTo.tell({ balance: this.balance, node: this.context.system.address, events: this.lastSequenceNr });
        return;
      case 'stop':
        this.context.stop(this.context.self);
        return;
      case 'glitch':
        throw new Error(`simulated bug in ${this.persistenceId}`);
      case 'deposit':
        if (!(Number.isInteger(command.amount) && command.amount > 0)) {
          command.replyTo.tell({ ok: false, reason: 'amount must be a positive number of cents' });
          return;
        }
        await this.persist({ type: 'deposited', amount: command.amount });
        command.replyTo.tell({ ok: true, balance: this.balance });
        return;
      case 'withdraw':
        // A refused withdrawal stores nothing: only facts go to the journal.
        if (command.amount > this.balance) {
          command.replyTo.tell({ ok: false, reason: 'insufficient funds' });
          return;
        }
        await this.persist({ type: 'withdrawn', amount: command.amount });
        command.replyTo.tell({ ok: true, balance: this.balance });
    }
  }
}
