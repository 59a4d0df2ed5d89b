/**
 * Which active entities to passivate: it keeps entities in order of their last
 * message (least recent first) with the time of it, so idle and over-limit
 * entities are found from the front without scanning the rest. Time is passed in
 * (the region reads its clock), which keeps this a pure data structure.
 */
export class EntityPassivation {
  // A Map keeps insertion order; re-inserting on every touch makes it an LRU list.
  private readonly lastActive = new Map<string, number>();

  constructor(
    /** Idle time after which an entity is passivated (`Infinity`: never). */
    readonly idleTimeoutMs: number,
    /** Most active entities; beyond it the least recently used are passivated. */
    readonly maxActiveEntities: number,
  ) {}

  /** Active entities tracked. */
  get size(): number {
    return this.lastActive.size;
  }

  /** `key` received a message at `now` (and is active). */
  touch(key: string, now: number): void {
    this.lastActive.delete(key);
    this.lastActive.set(key, now);
  }

  /** `key` stopped: forget it. */
  remove(key: string): void {
    this.lastActive.delete(key);
  }

  /** The least recently used entities beyond the limit, least recent first; `exclude` lists ones already stopping. */
  overLimit(exclude: ReadonlySet<string> = new Set()): string[] {
    let excess = this.lastActive.size - this.maxActiveEntities;
    const victims: string[] = [];
    for (const key of this.lastActive.keys()) {
      if (excess <= 0) break;
      if (exclude.has(key)) continue;
      victims.push(key);
      excess--;
    }
    return victims;
  }

  /** Entities whose last message is at least `idleTimeoutMs` before `now`, least recent first. */
  idle(now: number): string[] {
    if (this.idleTimeoutMs === Infinity) return [];
    const idle: string[] = [];
    for (const [key, at] of this.lastActive) {
      if (now - at < this.idleTimeoutMs) break;
      idle.push(key);
    }
    return idle;
  }
}
