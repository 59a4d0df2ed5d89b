import { ActorRef, type ActorSystem, type Logger, MailboxOverflowError, type SerializationRegistry } from '@troupe/core';
import { type SystemMessage, publishDeadLetter, resolveLocalRef, sendSystemMessage, setRefWrittenHook } from '@troupe/core/spi';
import { addressOfPath } from '../address/node-address.js';
import { type InboundEnvelope, type MessageEnvelope, type SerializedMessageEnvelope, type SystemEnvelope, isJsonMessage } from '../transport/envelope.js';
import { isEncodingForWire } from '../transport/wire-encoding.js';
import type { WsTransport } from '../transport/ws-transport.js';
import { decodeRefs, encodeRefs } from './ref-encoding.js';
import { RemoteActorRef, type RemoteRefProvider } from './remote-actor-ref.js';

const MAX_EXPORTED = 100_000;
const MAX_CACHED_REMOTE_REFS = 10_000;
const MAX_CACHED_LOCAL_REFS = 10_000;
/** Where core puts the temporary refs of asks (`<address>/temp/$<id>`): `resolveLocalRef` finds them while their ask is pending. */
const TEMP_PREFIX = '/temp/';
/** Where actors another node may stop live (never the guardians, `/system` or asks' temporary refs). */
const USER_PREFIX = '/user/';
/** Dead-letter reason of an inbound message whose delivery threw (a full `fail` mailbox is `mailbox-full` instead). */
export const DELIVERY_FAILED = 'delivery-failed';
const SLASH = 47;

type Watchers = Map<string, ActorRef<never>>;

/**
 * Remote messaging for one node: turns refs into wire form and back, sends user and
 * system messages through the transport, delivers inbound ones to local actors, and
 * keeps the remote death-watch bookkeeping so watchers learn when a whole node goes.
 */
export class Remoting implements RemoteRefProvider {
  /**
   * Local refs handed to other nodes that `resolveLocalRef` cannot find by path (probes,
   * routers), by path relative to this node (what frames carry).
   */
  private readonly exported = new Map<string, ActorRef<unknown>>();
  private readonly remoteRefs = new Map<string, RemoteActorRef<unknown>>();
  /** Local actors recently addressed from other nodes, by relative path; an entry leaves when its actor stops. */
  private readonly localCache = new Map<string, ActorRef<unknown>>();
  /** The frame codec writes JSON: messages for the built-in JSON serializer travel as values (see FrameCodec.writesJson). */
  private readonly framesWriteJson: boolean;
  /** node → watched remote path → local watchers. */
  private readonly watchingRemote = new Map<string, Map<string, Watchers>>();
  /** node → "watchee\nwatcher" → local watchee and its remote watcher. */
  private readonly watchedByRemote = new Map<string, Map<string, { watchee: ActorRef<never>; watcher: ActorRef<never> }>>();
  private readonly goneNodes = new Set<string>();
  private readonly exportCleaner: ActorRef<never>;
  /** The one (immutable) watch message the cleaner sends: an export happens per remote ask. */
  private readonly watchByCleaner: SystemMessage;
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private readonly exportRef = (ref: ActorRef<unknown>): void => this.export(ref);
  private readonly resolveRef = (path: string): ActorRef<unknown> => this.refFor(path);

  constructor(
    readonly system: ActorSystem,
    private readonly transport: WsTransport,
    private readonly registry: SerializationRegistry,
    private readonly log: Logger,
  ) {
    this.framesWriteJson = transport.writesJson;
    // Local refs written into frames by JSON.stringify (ActorRef.toJSON) are exported as they
    // are written; refs written as JSON elsewhere (logs, journals) are not being sent.
    setRefWrittenHook(system, (ref) => {
      if (isEncodingForWire()) this.export(ref);
    });
    this.exportCleaner = new ExportCleanerRef(system, `${system.address}/system/remoting-exports`, (path) => {
      const relative = this.relativeToSelf(path);
      if (relative === undefined) return;
      this.exported.delete(relative);
      this.localCache.delete(relative);
    });
    this.watchByCleaner = { kind: 'watch', watcher: this.exportCleaner };
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

  /** The ref for `path`: local (when the path is on this node) or remote. */
  refFor<M>(path: string): ActorRef<M> {
    const node = addressOfPath(path);
    if (node === this.system.address) return this.resolveLocal(path.slice(node.length)) as ActorRef<M>;
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
    const node = target.nodeAddress;
    switch (message.kind) {
      case 'watch': {
        if (this.goneNodes.has(node)) {
          message.watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: target as ActorRef<never> });
          return;
        }
        const byPath = this.watchingRemote.get(node) ?? new Map<string, Watchers>();
        this.watchingRemote.set(node, byPath);
        const watchers = byPath.get(target.path) ?? new Map<string, ActorRef<never>>();
        byPath.set(target.path, watchers);
        watchers.set(message.watcher.path, message.watcher);
        this.export(message.watcher as ActorRef<unknown>);
        this.transport.send(node, { k: 'sys', to: target.path, op: 'watch', ref: message.watcher.path });
        return;
      }
      case 'unwatch': {
        const watchers = this.watchingRemote.get(node)?.get(target.path);
        watchers?.delete(message.watcher.path);
        if (watchers?.size === 0) this.watchingRemote.get(node)?.delete(target.path);
        this.transport.send(node, { k: 'sys', to: target.path, op: 'unwatch', ref: message.watcher.path });
        return;
      }
      case 'stop':
        // The actor's parent (on its node) is told as for a local stop; its watchers here learn through remote death watch.
        this.transport.send(node, { k: 'sys', to: target.path, op: 'stop' });
        return;
      case 'death-watch-notification':
        // A local actor that `target` (a remote watcher) watched has stopped.
        this.watchedByRemote.get(node)?.delete(`${message.ref.path}\n${target.path}`);
        this.transport.send(node, { k: 'sys', to: target.path, op: 'dwn', ref: message.ref.path });
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
    if (this.goneNodes.has(address) || address === this.system.address) return;
    this.goneNodes.add(address);
    this.transport.forget(address);
    const byPath = this.watchingRemote.get(address);
    this.watchingRemote.delete(address);
    for (const [path, watchers] of byPath ?? []) {
      const ref = this.refFor<never>(path);
      for (const watcher of watchers.values()) watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref });
    }
    const watched = this.watchedByRemote.get(address);
    this.watchedByRemote.delete(address);
    for (const { watchee, watcher } of watched?.values() ?? []) watchee[sendSystemMessage]({ kind: 'unwatch', watcher });
  }

  /** Number of local refs currently exported for replies (for tests and monitoring). */
  get exportedRefCount(): number {
    return this.exported.size;
  }

  /**
   * Delivers a run of JSON messages, `frame[start, end)`, to the local actor at `to`, a
   * path relative to this node: the recipient is looked up once per run.
   */
  receiveRun(to: string, frame: readonly unknown[], start: number, end: number): void {
    const recipient = this.resolveLocal(to);
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
      const value = envelope.t !== undefined ? this.registry.deserializeText(envelope.s, envelope.m, envelope.t) : this.registry.deserialize({ serializerId: envelope.s, manifest: envelope.m, bytes: Buffer.from(envelope.b as string, 'base64') });
      message = envelope.r ? decodeRefs(value, this.resolveRef) : value;
    } catch (error) {
      this.countUndecodable(envelope.to, error);
      return;
    }
    const recipient = this.resolveLocal(envelope.to);
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
    const relative = this.relativeToSelf(envelope.to);
    if (relative === undefined) return;
    const local = this.resolveLocal(relative) as ActorRef<never>;
    if (envelope.op === 'stop') {
      if (relative.startsWith(USER_PREFIX)) this.system.stop(local);
      return;
    }
    const other = this.refFor<never>(envelope.ref);
    switch (envelope.op) {
      case 'watch': {
        if (addressOfPath(envelope.ref) !== from) return;
        const watched = this.watchedByRemote.get(from) ?? new Map();
        this.watchedByRemote.set(from, watched);
        watched.set(`${envelope.to}\n${envelope.ref}`, { watchee: local, watcher: other });
        local[sendSystemMessage]({ kind: 'watch', watcher: other });
        return;
      }
      case 'unwatch':
        this.watchedByRemote.get(from)?.delete(`${envelope.to}\n${envelope.ref}`);
        local[sendSystemMessage]({ kind: 'unwatch', watcher: other });
        return;
      case 'dwn': {
        const watchers = this.watchingRemote.get(from)?.get(envelope.ref);
        watchers?.delete(envelope.to);
        if (watchers?.size === 0) this.watchingRemote.get(from)?.delete(envelope.ref);
        local[sendSystemMessage]({ kind: 'death-watch-notification', ref: other });
        return;
      }
    }
  }

  /** `path` without this node's address, or undefined when it is not a path on this node. */
  private relativeToSelf(path: string): string | undefined {
    const address = this.system.address;
    return path.startsWith(address) && path.charCodeAt(address.length) === SLASH ? path.slice(address.length) : undefined;
  }

  /** The local actor at `relative` (a path relative to this node). */
  private resolveLocal(relative: string): ActorRef<unknown> {
    // An ask's temporary ref is answered once: core finds it while the ask is pending, and caching it would only churn the cache.
    if (relative.startsWith(TEMP_PREFIX)) return this.resolveUncached(relative);
    // Named actors (the common recipients) first: one lookup per message on the hot path.
    const known = this.localCache.get(relative) ?? this.exported.get(relative);
    if (known !== undefined) return known;
    const ref = this.resolveUncached(relative);
    if (ref instanceof MissingLocalRef) return ref;
    // Walking the actor tree per inbound message is costly: cache the ref until the actor stops.
    if (this.localCache.size >= MAX_CACHED_LOCAL_REFS) this.localCache.clear();
    this.localCache.set(relative, ref);
    ref[sendSystemMessage](this.watchByCleaner);
    return ref;
  }

  private resolveUncached(relative: string): ActorRef<unknown> {
    const path = `${this.system.address}${relative}`;
    return resolveLocalRef(this.system, path) ?? new MissingLocalRef(this.system, path);
  }

  /** Remembers a local ref sent to another node so replies to its path reach it. */
  private export(ref: ActorRef<unknown>): void {
    if (ref instanceof RemoteActorRef) return;
    const relative = this.relativeToSelf(ref.path);
    // Temporary refs of asks need no export: core finds them by path (reading it above made sure).
    if (relative === undefined || relative.startsWith(TEMP_PREFIX) || this.exported.has(relative)) return;
    if (resolveLocalRef(this.system, ref.path) === ref) return;
    if (this.exported.size >= MAX_EXPORTED) this.exported.delete(this.exported.keys().next().value as string);
    this.exported.set(relative, ref);
    // Forget it once it terminates.
    ref[sendSystemMessage](this.watchByCleaner);
  }
}

/** Watches exported and cached local refs and forgets each one when it terminates. */
class ExportCleanerRef extends ActorRef<never> {
  constructor(
    readonly system: ActorSystem,
    readonly path: string,
    private readonly forget: (path: string) => void,
  ) {
    super();
  }

  tell(): void {}

  [sendSystemMessage](message: SystemMessage): void {
    if (message.kind === 'death-watch-notification') this.forget(message.ref.path);
  }
}

/** A local path with no live actor: messages become dead letters, watchers learn at once. */
class MissingLocalRef extends ActorRef<unknown> {
  constructor(
    readonly system: ActorSystem,
    readonly path: string,
  ) {
    super();
  }

  tell(message: unknown): void {
    publishDeadLetter(this.system, message, this.path, 'recipient-stopped');
  }

  [sendSystemMessage](message: SystemMessage): void {
    if (message.kind === 'watch') message.watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: this as ActorRef<never> });
  }
}
