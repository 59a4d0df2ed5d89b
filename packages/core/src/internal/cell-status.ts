/**
 * Lifecycle status of an actor cell. Plain numbers, not an enum or strings, because the
 * `tell` path compares them on every message and the order is meaningful
 * (`status >= STOPPING` means "stopping or stopped").
 */
export type CellStatus = typeof CREATED | typeof ACTIVE | typeof FAILED | typeof RESTARTING | typeof STOPPING | typeof STOPPED;

/** Spawned; the instance is not built yet. */
export const CREATED = 0;
/** Processing messages. */
export const ACTIVE = 1;
/** Waiting for the supervisor's directive. */
export const FAILED = 2;
/** Old instance gone, waiting for children to stop. */
export const RESTARTING = 3;
/** Waiting for children to stop. */
export const STOPPING = 4;
/** Fully stopped; messages go to dead letters. */
export const STOPPED = 5;

// Bit flags a cell keeps beside its status; the `tell` path schedules only when none is set.

/** In the dispatcher's run queue. */
export const SCHEDULED = 1;
/** A handler's Promise is pending. */
export const AWAITING = 2;
/** A stop is on its way (lets a restarting parent know what to wait for). */
export const STOP_REQUESTED = 4;
/** The parent has ordered a restart; later failures are already covered. */
export const RESTART_PENDING = 8;
