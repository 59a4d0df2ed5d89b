export { OffsetStoreError, ProjectionError, ProjectionRestartsExhaustedError, UndecodableEventError } from './errors.js';
export { EventsByTagSource } from './events-by-tag-source.js';
export { InMemoryOffsetStore } from './in-memory-offset-store.js';
export { IterableSource } from './iterable-source.js';
export type { OffsetStore, TransactionalOffsetStore } from './offset-store.js';
export { Projection } from './projection.js';
export { ProjectionActor, type ProjectionActorMessage } from './projection-actor.js';
export type { ProjectionId } from './projection-id.js';
export {
  type AtLeastOnceOptions,
  type ExactlyOnceOptions,
  type GroupedOptions,
  type ProjectionOptions,
  ProjectionDefaults,
  type RestartBackoffOptions,
  type UndecodablePolicy,
} from './projection-settings.js';
export type { ProjectionLag, ProjectionState, ProjectionStatus } from './projection-status.js';
export { SlicedSource } from './sliced-source.js';
export { DEFAULT_NUMBER_OF_SLICES, type SliceRange, sliceOf, sliceRanges } from './slices.js';
export type { SourceProvider } from './source-provider.js';
export { SqliteOffsetStore, type SqliteOffsetStoreOptions } from './sqlite-offset-store.js';
