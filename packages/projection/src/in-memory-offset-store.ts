import { type OffsetStore, checkOffset } from './offset-store.js';
import type { ProjectionId } from './projection-id.js';

/**
 * Offsets in a `Map`: for tests, and for projections whose read model is itself in
 * memory (both are lost together, so the projection rebuilds it from the start).
 */
export class InMemoryOffsetStore implements OffsetStore {
  private readonly offsets = new Map<string, number>();

  readOffset(id: ProjectionId): Promise<number | undefined> {
    return Promise.resolve(this.offsets.get(keyOf(id)));
  }

  saveOffset(id: ProjectionId, offset: number): Promise<void> {
    checkOffset('InMemoryOffsetStore.saveOffset', offset);
    this.offsets.set(keyOf(id), offset);
    return Promise.resolve();
  }

  clearOffset(id: ProjectionId): Promise<void> {
    this.offsets.delete(keyOf(id));
    return Promise.resolve();
  }
}

// JSON keeps names and keys containing any separator apart.
const keyOf = (id: ProjectionId): string => JSON.stringify([id.name, id.key]);
