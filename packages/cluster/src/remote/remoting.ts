import type { ActorRef, ActorSystem, Logger, SerializationRegistry } from '@troupe/core';
import { MailboxOverflowError } from '@troupe/core';
import { type SystemMessage, publishDeadLetter, setRefWrittenHook } from '@troupe/core/spi';
import { addressOfPath } from '../address/node-address.js';
import { type InboundEnvelope, type MessageEnvelope, type SerializedMessageEnvelope, type SystemEnvelope, isJsonMessage } from '../transport/envelope.js';
import { isEncodingForWire } from '../transport/wire-encoding.js';
import type { WsTransport } from '../transport/ws-transport.js';
import { decodeRefs, encodeRefs } from './ref-encoding.js';
import { type InboundInlet, LocalRefDirectory, TEMP_PREFIX } from './local-ref-directory.js';
import { MissingLocalRef } from './missing-local-ref.js';
import { RemoteActorRef, type RemoteRefProvider } from './remote-actor-ref.js';
import { RemoteDeathWatch } from './remote-death-watch.js';

const MAX_CACHED_REMOTE_REFS = 10_000;
/** Where actors another node may stop live (never the guardians, `/system` or asks' temporary refs). */
const USER_PREFIX = '/user/';
/** Dead-letter reason of an inbound message whose delivery threw (a full `fail` mailbox is `mailbox-full` instead). */
export const DELIVERY_FAILED = 'delivery-failed';
const SLASH = 47;

/**
 * Remote messaging for one node: turns refs into wire form and back, sends user and
 * system messages through the transport, and delivers inbound ones to local actors
 * (found through its LocalRefDirectory); death watch across nodes is RemoteDeathWatch's.
 */
export class Remoting implements RemoteRefProvider {
  private readonly remoteRefs = new Map<string, RemoteActorRef<unknown>>();
  /** Finds local actors by the paths frames carry. */
  private readonly localRefs: LocalRefDirectory;
  /** The frame codec writes JSON: messages for the built-in JSON serializer travel as values (see FrameCodec.writesJson). */
  private readonly framesWriteJson: boolean;
  private readonly deathWatch: RemoteDeathWatch;
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private readonly exportRef = (ref: ActorRef<unknown>): void => this.localRefs.export(ref);
  private readonly resolveRef = (path: string): ActorRef<unknown> => this.refFor(path);

  constructor(
    readonly system: ActorSystem,
    private readonly transport: WsTransport,
    private readonly registry: SerializationRegistry,
    private readonly log: Logger,
  ) {
    this.framesWriteJson = transport.writesJson;
    this.localRefs = new LocalRefDirectory(system);
    this.deathWatch = new RemoteDeathWatch(transport, this.exportRef);
    // Local refs written into frames by JSON.stringify (ActorRef.toJSON) are exported as they
    // are written; refs written as JSON elsewhere (logs, journals) are not being sent.
    setRefWrittenHook(system, (ref) => {
      if (isEncodingForWire()) this.localRefs.export(ref);
    });
    transport.writeLoneMessage = (value) => encodeRefs(value, this.exportRef);
    transport.onDrop = (node, envelope, reason) => {
      if (envelope.k !== 'msg') return;
      const recipient = `${node}${envelope.to}`;
      // Drops happen inside flushes and I/O callbacks: a throw here (a logger's) must not unwind them.
      try {
        if (reason === 'serialization-failed') this.warnAtMostOncePerSecond(`cannot serialise a message to ${recipient}`);
        publishDeadLetter(system, isJsonMessage(envelope) ? envelope.v : envelope.original, recipient, reason);
      } catch {
        // Dead letters go through the event stream, which isolates its listeners: nothing else is left to tell.
      }
    };
    transport.onCallbackError = (where, error) => {
      const { callbackErrors, deliveryFailures } = transport.stats;
      this.warnAtMostOncePerSecond(`${where} threw; the node goes on (${callbackErrors} callback errors, ${deliveryFailures} delivery failures so far)`, error);
    };
  }

  /** What other nodes send to the local actor at `relative` goes to `inlet` (see `LocalRefDirectory.setInlet`); returns the undo. */
  setInlet(relative: string, inlet: InboundInlet): () => void {
    return this.localRefs.setInlet(relative, inlet);
  }

  /** The ref for `path`: local (when the path is on this node) or remote. */
  refFor<M>(path: string): ActorRef<M> {
    const node = addressOfPath(path);
    if (node === this.system.address) return this.localRefs.resolve(path.slice(node.length)) as ActorRef<M>;
    if (node === undefined) return new MissingLocalRef(this.system, path) as ActorRef<M>;
    let ref = this.remoteRefs.get(path);
    if (ref === undefined) {
      ref = new RemoteActorRef(path, node, this);
      // An ask's temporary ref is answered once: caching it would only churn the cache.
      if (ref.relativePath.startsWith(TEMP_PREFIX)) return ref as ActorRef<M>;
      if (this.remoteRefs.size >= MAX_CACHED_REMOTE_REFS) this.remoteRefs.clear();
      this.remoteRefs.set(path, ref);
    }
    return ref as ActorRef<M>;
  }

  sendUserMessage(target: RemoteActorRef<unknown>, message: unknown): void {
    if (target.relativePath.charCodeAt(0) !== SLASH) {
      // A node's bare address names no actor (and a frame cannot name it as a recipient).
      publishDeadLetter(this.system, message, target.path, 'recipient-stopped');
      return;
    }
    let envelope: MessageEnvelope;
    try {
      if (this.framesWriteJson && typeof message === 'object' && message !== null && this.registry.writesPlainJson(message)) {
        // Serialised later, with the whole frame, in one JSON.stringify (as Akka, at send time,
        // not at tell); refs in it write themselves (ActorRef.toJSON) and are exported then.
        envelope = { k: 'msg', to: target.relativePath, v: message };
      } else {
        const encoded = encodeRefs(message, this.exportRef);
        const r = encoded !== message;
        const text = this.registry.serializeText(encoded);
        if (text !== undefined) {
          envelope = { k: 'msg', to: target.relativePath, s: text.serializerId, m: text.manifest, t: text.text, r, original: message };
        } else {
          const { serializerId, manifest, bytes } = this.registry.serialize(encoded);
          envelope = { k: 'msg', to: target.relativePath, s: serializerId, m: manifest, b: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), r, original: message };
        }
      }
    } catch (error) {
      this.log.warn(`cannot serialise a message to ${target.path}`, { error });
      publishDeadLetter(this.system, message, target.path, 'serialization-failed');
      return;
    }
    this.transport.send(target.nodeAddress, envelope);
  }

  sendSystemMessage(target: RemoteActorRef<unknown>, message: SystemMessage): void {
    switch (message.kind) {
      case 'watch':
        this.deathWatch.watch(target, message.watcher);
        return;
      case 'unwatch':
        this.deathWatch.unwatch(target, message.watcher);
        return;
      case 'stop':
        // The actor's parent (on its node) is told as for a local stop; its watchers here learn through remote death watch.
        this.transport.send(target.nodeAddress, { k: 'sys', to: target.path, op: 'stop' });
        return;
      case 'death-watch-notification':
        // A local actor that `target` (a remote watcher) watched has stopped.
        this.deathWatch.notifyRemoteWatcher(target, message.ref);
        return;
      default:
        // restart/resume/supervision of remote actors is not supported: only parents supervise, and parents are local.
        this.log.debug(`ignoring system message "${message.kind}" for remote ${target.path}`);
    }
  }

  /** Handles an inbound `msg` or `sys` envelope from node `from`. */
  receive(from: string, envelope: InboundEnvelope): void {
    if (envelope.k === 'msg') this.receiveMessage(envelope);
    else if (envelope.k === 'sys') this.receiveSystem(from, envelope);
  }

  /**
   * The node at `address` was downed or removed: every local watcher of an actor there
   * gets `Terminated`, watches it held on our actors are dropped, and the transport
   * forgets it.
   */
  nodeGone(address: string): void {
    if (address === this.system.address || !this.deathWatch.markGone(address)) return;
    this.transport.forget(address);
    this.deathWatch.nodeGone(address, (path) => this.refFor<never>(path));
  }

  /** Number of local refs currently exported for replies (for tests and monitoring). */
  get exportedRefCount(): number {
    return this.localRefs.exportedCount;
  }

  /**
   * Delivers a run of JSON messages, `frame[start, end)`, to the local actor at `to`, a
   * path relative to this node: the recipient is looked up once per run.
   */
  receiveRun(to: string, frame: readonly unknown[], start: number, end: number): void {
    const recipient = this.localRefs.resolve(to);
    let i = start;
    // One try around the whole run (re-entered after a failure, for the rest of it): a
    // throwing delivery costs the run nothing more than the failed message.
    while (i < end) {
      let message: unknown;
      let decoded = false;
      try {
        for (; i < end; i++) {
          decoded = false;
          // Parsed with its frame; it may hold refs wherever ActorRef.toJSON wrote them.
          message = decodeRefs(frame[i], this.resolveRef);
          decoded = true;
          recipient.tell(message);
        }
      } catch (error) {
        if (decoded) this.deliveryFailed(recipient.path, message, error);
        else this.countUndecodable(to, error);
        i++;
      }
    }
  }

  /**
   * Delivering an inbound message threw (a full mailbox with the `fail` policy, a
   * router whose routing threw): it becomes a dead letter and is counted, and the node
   * goes on with the rest of the frame. Never rethrows.
   */
  private deliveryFailed(recipient: string, message: unknown, error: unknown): void {
    this.transport.stats.deliveryFailures++;
    // The mailbox has dead-lettered it already (`mailbox-full`).
    if (!(error instanceof MailboxOverflowError)) {
      try {
        publishDeadLetter(this.system, message, recipient, DELIVERY_FAILED);
      } catch {
        // The event stream isolates its listeners; a terminated system is all that is left.
      }
    }
    this.warnAtMostOncePerSecond(`delivering a message to ${recipient} failed; it went to dead letters (${this.transport.stats.deliveryFailures} so far)`, error);
  }

  private countUndecodable(to: string, error: unknown): void {
    this.transport.stats.deserializationErrors++;
    // Bad input is counted every time but logged at most once a second, so a flood cannot flood the log.
    this.warnAtMostOncePerSecond(`dropping a message for ${to}: cannot deserialise it (${this.transport.stats.deserializationErrors} so far)`, error);
  }

  /** A message serialised by a serializer of its own (JSON messages arrive in runs: receiveRun). */
  private receiveMessage(envelope: SerializedMessageEnvelope): void {
    let message: unknown;
    try {
      const value =
        envelope.t !== undefined
          ? this.registry.deserializeText(envelope.s, envelope.m, envelope.t)
          : this.registry.deserialize({ serializerId: envelope.s, manifest: envelope.m, bytes: Buffer.from(envelope.b as string, 'base64') });
      message = envelope.r ? decodeRefs(value, this.resolveRef) : value;
    } catch (error) {
      this.countUndecodable(envelope.to, error);
      return;
    }
    const recipient = this.localRefs.resolve(envelope.to);
    try {
      recipient.tell(message);
    } catch (error) {
      this.deliveryFailed(recipient.path, message, error);
    }
  }

  private warnAtMostOncePerSecond(text: string, error?: unknown): void {
    const now = Date.now();
    if (now - this.lastWarnAt < 1000) return;
    this.lastWarnAt = now;
    try {
      this.log.warn(text, error === undefined ? undefined : { error });
    } catch {
      // A logger that throws must not turn a counted problem into a crash.
    }
  }

  private receiveSystem(from: string, envelope: SystemEnvelope): void {
    const relative = this.localRefs.relativePath(envelope.to);
    if (relative === undefined) return;
    const local = this.localRefs.resolve(relative) as ActorRef<never>;
    if (envelope.op === 'stop') {
      if (relative.startsWith(USER_PREFIX)) this.system.stop(local);
      return;
    }
    this.deathWatch.receive(from, envelope.op, envelope.to, envelope.ref, local, this.refFor<never>(envelope.ref));
  }
}
