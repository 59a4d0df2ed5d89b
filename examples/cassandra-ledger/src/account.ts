import type { ActorRef } from '@troupe/core';
import { PersistentActor, type SnapshotMetadata } from '@troupe/persistence';

/** What an account answers. */
export type Receipt = { readonly ok: true; readonly balance: number; readonly seq: number } | { readonly ok: false; readonly reason: string; readonly balance: number };

/** Commands of an account. Amounts are in cents. */
export type AccountCommand =
  { type: 'deposit'; cents: number; replyTo: ActorRef<Receipt> } | { type: 'withdraw'; cents: number; replyTo: ActorRef<Receipt> } | { type: 'balance'; replyTo: ActorRef<Receipt> };

/** Events an account stores; its balance is their sum. */
export type AccountEvent = { type: 'deposited'; cents: number } | { type: 'withdrawn'; cents: number };

/** A bank account: validates commands, stores events, and never goes below zero. */
export class Account extends PersistentActor<AccountCommand, AccountEvent, number> {
  override readonly snapshotEvery = 25;
  private balance = 0;

  constructor(readonly persistenceId: string) {
    super();
  }

  applyEvent(event: AccountEvent): void {
    this.balance += event.type === 'deposited' ? event.cents : -event.cents;
  }

  override applySnapshot(balance: number, _metadata: SnapshotMetadata): void {
    this.balance = balance;
  }

  override snapshotState(): number {
    return this.balance;
  }

  async receiveCommand(command: AccountCommand): Promise<void> {
    switch (command.type) {
      case 'deposit':
        await this.persist({ type: 'deposited', cents: command.cents });
        break;
      case 'withdraw':
        if (command.cents > this.balance) {
          // Refused: nothing is stored, the state stays as it is.
          command.replyTo.tell({ ok: false, reason: `insufficient funds: ${cents(this.balance)} < ${cents(command.cents)}`, balance: this.balance });
          return;
        }
        await this.persist({ type: 'withdrawn', cents: command.cents });
        break;
      case 'balance':
        break;
    }
    command.replyTo.tell({ ok: true, balance: this.balance, seq: this.lastSequenceNr });
  }
}

/** 12345 → "123.45". */
export function cents(amount: number): string {
  return (amount / 100).toFixed(2);
}
