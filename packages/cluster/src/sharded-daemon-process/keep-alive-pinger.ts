import { Actor } from '@troupe/core';
import type { Member } from '../membership/member.js';
import type { EntityRef } from '../sharding/entity-ref.js';
import { type DaemonMessage, KEEP_ALIVE } from './daemon-protocol.js';
import { keepAliveSenders } from './keep-alive-senders.js';

type PingerMessage = { readonly t: 'tick' };
const TICK: PingerMessage = Object.freeze({ t: 'tick' });

/** What a pinger needs from its node. */
export interface PingerHost {
  readonly selfAddress: string;
  /** The members as this node sees them now. */
  members(): readonly Member[];
  /** Calls `onChange` on every membership change; returns the unsubscribe function. */
  onMembershipChange(onChange: () => void): () => void;
}

/**
 * Keeps a daemon's instances alive from one node: while this node is one of the
 * keep-alive senders it pings every instance through sharding every
 * `keepAliveIntervalMs`, and at once on every membership change, so that instances
 * of a node that was downed or removed start on their new node without waiting for
 * the next interval, and instances handed to a joining node start there as soon as
 * the handoff ends (sharding holds the ping meanwhile).
 */
export class KeepAlivePinger extends Actor<PingerMessage> {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly instances: readonly EntityRef<DaemonMessage>[],
    private readonly role: string | undefined,
    private readonly fromNumberOfNodes: number,
    private readonly intervalMs: number,
    private readonly host: PingerHost,
  ) {
    super();
  }

  override preStart(): void {
    const self = this.context.self;
    this.unsubscribe = this.host.onMembershipChange(() => self.tell(TICK));
    this.context.timers.startPeriodicTimer('keep-alive', TICK, this.intervalMs);
    self.tell(TICK);
  }

  override postStop(): void {
    this.unsubscribe?.();
  }

  receive(): void {
    if (!keepAliveSenders(this.host.members(), this.role, this.fromNumberOfNodes).includes(this.host.selfAddress)) return;
    for (const instance of this.instances) instance.tell(KEEP_ALIVE);
  }
}
