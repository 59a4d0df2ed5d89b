import { Actor, type ActorRef, SupervisorStrategy } from '@troupe/core';
import { Account, type AccountCommand } from './account.js';

/** Commands for the bank: deliver a command to one account. */
export type BankCommand = { readonly type: 'to-account'; readonly accountId: string; readonly command: AccountCommand };

/**
 * Owns the accounts: starts each on its first command (a tiny, single-node version of
 * sharding) and supervises them. A failing account restarts with exponential backoff
 * and recovers its balance from the journal; its queued commands wait meanwhile.
 */
export class Bank extends Actor<BankCommand> {
  private readonly accounts = new Map<string, ActorRef<AccountCommand>>();
  private readonly supervision = SupervisorStrategy.restartWithBackoff({ minBackoffMs: 100, maxBackoffMs: 5_000, randomFactor: 0.2 });

  receive(message: BankCommand): void {
    this.account(message.accountId).tell(message.command);
  }

  private account(accountId: string): ActorRef<AccountCommand> {
    let ref = this.accounts.get(accountId);
    if (ref === undefined) {
      ref = this.context.spawn(() => new Account(accountId), { name: `account-${accountId}`, supervision: this.supervision });
      this.accounts.set(accountId, ref);
    }
    return ref;
  }
}
