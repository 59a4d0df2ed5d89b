import type { ActorRef } from '@troupe/core';
import { sendSystemMessage } from '@troupe/core/spi';
import { addressOfPath } from '../address/node-address.js';
import type { Envelope } from '../transport/envelope.js';
import type { RemoteActorRef } from './remote-actor-ref.js';

type Watchers = Map<string, ActorRef<never>>;

/** Where remote death watch sends its system envelopes (the transport). */
export interface SystemEnvelopeSender {
  send(to: string, envelope: Envelope): void;
}

/**
 * Death watch across nodes, both ways: local actors watching actors on other nodes, and
 * actors on other nodes watching local ones. It forwards watch, unwatch and death-watch
 * notifications as `sys` envelopes and keeps, per node, who watches what, so that when a
 * whole node goes (downed or removed) every local watcher of an actor there still gets
 * Terminated, and the watches that node held on local actors are dropped. Apart from the
 * remoting because that per-node bookkeeping is its own protocol, unrelated to delivering
 * messages.
 */
export class RemoteDeathWatch {
  /** node → watched remote path → local watchers. */
  private readonly watchingRemote = new Map<string, Map<string, Watchers>>();
  /** node → "watchee\nwatcher" → local watchee and its remote watcher. */
  private readonly watchedByRemote = new Map<string, Map<string, { watchee: ActorRef<never>; watcher: ActorRef<never> }>>();
  private readonly goneNodes = new Set<string>();

  constructor(
    private readonly transport: SystemEnvelopeSender,
    /** Makes a local watcher reachable by path from the watched actor's node. */
    private readonly exportRef: (ref: ActorRef<unknown>) => void,
  ) {}

  /** Local `watcher` watches the remote `target`; if its node is already gone, it learns so at once. */
  watch(target: RemoteActorRef<unknown>, watcher: ActorRef<never>): void {
    const node = target.nodeAddress;
    if (this.goneNodes.has(node)) {
      watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref: target as ActorRef<never> });
      return;
    }
    const byPath = this.watchingRemote.get(node) ?? new Map<string, Watchers>();
    this.watchingRemote.set(node, byPath);
    const watchers = byPath.get(target.path) ?? new Map<string, ActorRef<never>>();
    byPath.set(target.path, watchers);
    watchers.set(watcher.path, watcher);
    this.exportRef(watcher as ActorRef<unknown>);
    this.transport.send(node, { k: 'sys', to: target.path, op: 'watch', ref: watcher.path });
  }

  /** Local `watcher` no longer watches the remote `target`. */
  unwatch(target: RemoteActorRef<unknown>, watcher: ActorRef<never>): void {
    const node = target.nodeAddress;
    const watchers = this.watchingRemote.get(node)?.get(target.path);
    watchers?.delete(watcher.path);
    if (watchers?.size === 0) this.watchingRemote.get(node)?.delete(target.path);
    this.transport.send(node, { k: 'sys', to: target.path, op: 'unwatch', ref: watcher.path });
  }

  /** The local actor `stopped`, which the remote `watcher` watched, has stopped: tell the watcher's node. */
  notifyRemoteWatcher(watcher: RemoteActorRef<unknown>, stopped: ActorRef<never>): void {
    const node = watcher.nodeAddress;
    this.watchedByRemote.get(node)?.delete(`${stopped.path}\n${watcher.path}`);
    this.transport.send(node, { k: 'sys', to: watcher.path, op: 'dwn', ref: stopped.path });
  }

  /**
   * A `sys` envelope from node `from` about death watch: `op` with `to` (a local path,
   * resolved to `local`) and `ref` (the remote path, resolved to `other`).
   */
  receive(from: string, op: 'watch' | 'unwatch' | 'dwn', to: string, ref: string, local: ActorRef<never>, other: ActorRef<never>): void {
    switch (op) {
      case 'watch': {
        // A node may only register watchers of its own.
        if (addressOfPath(ref) !== from) return;
        const watched = this.watchedByRemote.get(from) ?? new Map();
        this.watchedByRemote.set(from, watched);
        watched.set(`${to}\n${ref}`, { watchee: local, watcher: other });
        local[sendSystemMessage]({ kind: 'watch', watcher: other });
        return;
      }
      case 'unwatch':
        this.watchedByRemote.get(from)?.delete(`${to}\n${ref}`);
        local[sendSystemMessage]({ kind: 'unwatch', watcher: other });
        return;
      case 'dwn': {
        const watchers = this.watchingRemote.get(from)?.get(ref);
        watchers?.delete(to);
        if (watchers?.size === 0) this.watchingRemote.get(from)?.delete(ref);
        local[sendSystemMessage]({ kind: 'death-watch-notification', ref: other });
        return;
      }
    }
  }

  /** Marks `node` gone; false when it already was. Call `nodeGone` after the transport forgot it. */
  markGone(node: string): boolean {
    if (this.goneNodes.has(node)) return false;
    this.goneNodes.add(node);
    return true;
  }

  /**
   * `node` is gone: every local watcher of an actor there gets a death-watch
   * notification (with the ref `refFor` gives for the path), and the watches it held on
   * local actors are dropped.
   */
  nodeGone(node: string, refFor: (path: string) => ActorRef<never>): void {
    const byPath = this.watchingRemote.get(node);
    this.watchingRemote.delete(node);
    for (const [path, watchers] of byPath ?? []) {
      const ref = refFor(path);
      for (const watcher of watchers.values()) watcher[sendSystemMessage]({ kind: 'death-watch-notification', ref });
    }
    const watched = this.watchedByRemote.get(node);
    this.watchedByRemote.delete(node);
    for (const { watchee, watcher } of watched?.values() ?? []) watchee[sendSystemMessage]({ kind: 'unwatch', watcher });
  }
}
