import { Actor, type ActorRef } from '@troupe/core';
import { publishDeadLetter } from '@troupe/core/spi';
import { declaredStopMessage } from '../declared-stop-message.js';
import { SingletonBuffer } from './singleton-buffer.js';
import type { SingletonEvent } from './singleton-events.js';
import type { HandOverRequest, HandedOverHere, ManagerMessage, SingletonDeliver } from './singleton-protocol.js';
import type { SingletonSettings } from './singleton-settings.js';
import { SingletonSuccession } from './singleton-succession.js';

/** A message forwarded this often between managers waits for a view change instead of bouncing on. */
const MAX_HOPS = 3;
const TICK = 'tick';
const STOP_TIMEOUT = 'stop-timeout';
const MARGIN = 'margin';
const HANDED_OVER_HERE: HandedOverHere = Object.freeze({ t: 'sg-handed-over-here' });

/** What a manager needs from its node. */
export interface ManagerHost {
  /** This node's address. */
  readonly selfAddress: string;
  /** The manager of the same singleton on `node`. */
  managerOn(node: string): ActorRef<ManagerMessage>;
  /** Publishes on the `singleton` topic of the event stream. */
  publish(event: SingletonEvent): void;
}

/**
 * The manager of one singleton on one node with its role: it hosts the instance (as its
 * child) while this node is the oldest Up member with the role and every older member
 * has handed over or been Down for the margin; it stops the instance and hands over when
 * this node leaves or stops being the oldest; it holds messages (bounded) while there is
 * no instance, and forwards them to the oldest's manager when this node is not the host.
 * See the package README, "Cluster singleton".
 */
export class SingletonManager extends Actor<ManagerMessage> {
  private readonly succession: SingletonSuccession;
  private readonly buffer: SingletonBuffer<SingletonDeliver>;
  private instance: ActorRef<unknown> | undefined;
  private epoch = 0;
  /** The instance's stop message: `stopMessage`, or else the one its class declares. */
  private stopMessage: unknown;
  private stopping = false;
  /** The instance stopped by itself: start a new one only when a message comes (a stopping singleton is not restarted in a loop). */
  private stoppedItself = false;
  /** Instances started here so far (names the next one). */
  private starts = 0;
  /** An instance ran here and its successor has not been told it terminated. */
  private successorToTell = false;
  /** Nodes that asked this node to hand over (answered once its instance has terminated). */
  private readonly requesters = new Set<string>();
  /** The node's exit task, waiting until this node has handed over. */
  private readonly exitWaiters: ActorRef<HandedOverHere>[] = [];

  constructor(
    private readonly settings: SingletonSettings<unknown>,
    private readonly host: ManagerHost,
  ) {
    super();
    this.succession = new SingletonSuccession(host.selfAddress, settings.role, settings.downRemovalMarginMs);
    this.buffer = new SingletonBuffer(settings.bufferSize);
  }

  override preStart(): void {
    this.context.timers.startPeriodicTimer(TICK, { t: 'sg-tick' }, this.settings.handOverRetryIntervalMs);
  }

  receive(msg: ManagerMessage): void {
    try {
      this.handle(msg);
    } catch (error) {
      // Only malformed input from another node gets here; a manager that failed would be restarted and stop its instance.
      this.context.system.log.warn(`singleton "${this.settings.name}": dropping a malformed ${String((msg as { t?: unknown } | null)?.t)} message`, { error });
    }
  }

  override onTerminated(ref: ActorRef<never>): void {
    if (this.instance === undefined || ref.path !== this.instance.path) return;
    this.instance = undefined;
    this.context.timers.cancel(STOP_TIMEOUT);
    if (this.stopping) {
      this.stopping = false;
      const to = this.succession.oldest;
      this.host.publish({ type: 'singleton-handed-over', name: this.settings.name, node: this.self, epoch: this.epoch, to });
      this.answerRequesters();
    } else {
      this.stoppedItself = true;
      this.host.publish({ type: 'singleton-terminated', name: this.settings.name, node: this.self, epoch: this.epoch });
    }
    this.flush();
  }

  private get self(): string {
    return this.host.selfAddress;
  }

  private get now(): number {
    return this.context.system.clock.now();
  }

  private handle(msg: ManagerMessage): void {
    // A peer's node address is kept (requesters) and answered later: refuse one that is not even a string on arrival.
    if ((msg.t === 'sg-hand-over-request' || msg.t === 'sg-hand-over-done') && typeof msg.node !== 'string') throw new TypeError('node must be a node address');
    switch (msg.t) {
      case 'sg-deliver':
        this.route(msg);
        return;
      case 'sg-members':
        this.succession.update(msg.members, this.now);
        this.reconsider();
        this.flush();
        return;
      case 'sg-tick':
        this.succession.prune(this.now);
        this.reconsider();
        this.flush();
        return;
      case 'sg-hand-over-request':
        this.handOverRequested(msg);
        return;
      case 'sg-hand-over-done':
        this.succession.handOverReceived(msg.node);
        this.reconsider();
        this.flush();
        return;
      case 'sg-stop-timeout':
        if (this.stopping && this.instance !== undefined) {
          this.context.system.log.warn(`singleton "${this.settings.name}": the instance did not stop within stopTimeoutMs after its stop message; stopping it`);
          this.context.stop(this.instance as ActorRef<never>);
        }
        return;
      case 'sg-when-handed-over':
        this.exitWaiters.push(msg.replyTo);
        this.answerExitWaiters();
        return;
      case 'sg-where':
        msg.replyTo.tell({
          name: this.settings.name,
          node: this.succession.oldest,
          running: this.instance !== undefined && !this.stopping,
          epoch: this.instance === undefined ? undefined : this.epoch,
          buffered: this.buffer.size,
        });
        return;
    }
  }

  /** Starts, stops or keeps the instance as the view now says. */
  private reconsider(): void {
    if (this.instance !== undefined) {
      if (!this.stopping && !this.succession.selfIsOldest) this.beginStop();
      return;
    }
    if (this.succession.mayStart(this.now)) {
      if (!this.stoppedItself) this.start();
    } else if (this.succession.selfIsOldest) {
      const notBefore = this.succession.takeOverNotBefore(this.now);
      if (notBefore !== undefined) this.context.timers.startSingleTimer(MARGIN, { t: 'sg-tick' }, notBefore - this.now + 1);
      // Asked again on every view change and tick until each older member has answered (requests and answers may be lost).
      for (const node of this.succession.pendingHandOvers()) this.host.managerOn(node).tell({ t: 'sg-hand-over-request', from: this.context.self, node: this.self });
    }
    this.answerRequesters();
  }

  private handOverRequested(request: HandOverRequest): void {
    this.requesters.add(request.node);
    this.reconsider();
  }

  /** Once this node has no instance and is no longer Up (so it never starts one again): tell whoever asked, and the new oldest. */
  private answerRequesters(): void {
    if (this.instance !== undefined || this.succession.selfIsUp) return;
    const to = new Set(this.requesters);
    const oldest = this.succession.oldest;
    if (oldest !== undefined && this.successorToTell) to.add(oldest);
    to.delete(this.self);
    for (const node of to) this.host.managerOn(node).tell({ t: 'sg-hand-over-done', node: this.self });
    this.requesters.clear();
    // Told once; a new oldest that missed it asks, and a request is answered at once from now on.
    this.successorToTell = false;
    this.answerExitWaiters();
  }

  /** Lets the node's leave go on once it has no instance and is no longer Up (answerRequesters has then told the successor). */
  private answerExitWaiters(): void {
    if (this.exitWaiters.length === 0 || this.instance !== undefined || this.succession.selfIsUp) return;
    for (const waiter of this.exitWaiters.splice(0)) waiter.tell(HANDED_OVER_HERE);
  }

  private start(): void {
    this.epoch = this.succession.selfMember?.upNumber ?? 0;
    const info = { node: this.self, epoch: this.epoch };
    // A fresh name per instance: the previous child's name may not be free again yet.
    const name = this.starts === 0 ? this.settings.name : `${this.settings.name}-${this.starts}`;
    this.starts++;
    try {
      const configured = this.settings.stopMessage;
      this.stopMessage = configured;
      this.instance = this.context.spawn(
        () => {
          const actor = this.settings.create(info);
          if (configured === undefined) this.stopMessage = declaredStopMessage(actor);
          return actor;
        },
        {
          name,
          ...(this.settings.supervision === undefined ? {} : { supervision: this.settings.supervision }),
        },
      );
    } catch (error) {
      this.context.system.log.error(`singleton "${this.settings.name}": cannot start the instance`, { error });
      this.stoppedItself = true;
      return;
    }
    this.successorToTell = true;
    this.context.watch(this.instance as ActorRef<never>);
    this.host.publish({ type: 'singleton-started', name: this.settings.name, node: this.self, epoch: this.epoch });
  }

  private beginStop(): void {
    const instance = this.instance;
    if (instance === undefined) return;
    this.stopping = true;
    this.host.publish({ type: 'singleton-hand-over-started', name: this.settings.name, node: this.self, epoch: this.epoch, to: this.succession.oldest });
    if (this.stopMessage !== undefined) instance.tell(this.stopMessage);
    else this.context.stop(instance as ActorRef<never>);
    this.context.timers.startSingleTimer(STOP_TIMEOUT, { t: 'sg-stop-timeout' }, this.settings.stopTimeoutMs);
  }

  private route(envelope: SingletonDeliver): void {
    if (this.instance === undefined && this.succession.mayStart(this.now)) {
      this.stoppedItself = false;
      this.start();
    }
    if (this.instance !== undefined && !this.stopping) {
      this.instance.tell(envelope.m);
      return;
    }
    const oldest = this.succession.oldest;
    // Hold while the instance stops here or is about to start here, and while the oldest is unknown or views disagree.
    if (this.stopping || oldest === undefined || oldest === this.self || envelope.hops >= MAX_HOPS) this.hold(envelope);
    else this.host.managerOn(oldest).tell({ t: 'sg-deliver', m: envelope.m, hops: envelope.hops + 1 });
  }

  private hold(envelope: SingletonDeliver): void {
    if (!this.buffer.push(envelope)) publishDeadLetter(this.context.system, envelope.m, this.context.self.path, 'singleton-buffer-full');
  }

  /** Delivers or forwards what waits, unless nothing changed for it. */
  private flush(): void {
    if (this.buffer.size === 0 || this.stopping) return;
    const oldest = this.succession.oldest;
    if (this.instance === undefined && (oldest === undefined || (oldest === this.self && !this.succession.mayStart(this.now)))) return;
    for (const envelope of this.buffer.takeAll()) this.route({ ...envelope, hops: 0 });
  }
}
