import type { ActorRef } from '../actor-ref.js';

/**
 * The temporary refs of pending asks whose path has been handed out, by name (`$<id>`
 * in `<address>/temp/$<id>`), so a reply addressed by path (from another node) finds
 * its ask. A ref is added when its path is first read and removed when its ask settles:
 * a local ask, which never reads its path, costs nothing here.
 */
export class TempRefs {
  private readonly byName = new Map<string, ActorRef<unknown>>();

  add(name: string, ref: ActorRef<unknown>): void {
    this.byName.set(name, ref);
  }

  remove(name: string): void {
    this.byName.delete(name);
  }

  /** The pending temporary ref called `name`, if any. */
  find(name: string): ActorRef<unknown> | undefined {
    return this.byName.get(name);
  }

  /** Number of temporary refs that can be found by path now (for tests). */
  get size(): number {
    return this.byName.size;
  }
}
