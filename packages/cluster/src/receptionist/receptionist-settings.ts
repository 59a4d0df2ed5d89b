/** Options of `Receptionist.get`. */
export interface ReceptionistOptions {
  /**
   * How often this node tells each peer receptionist the version of its registrations,
   * so that a peer that missed a delta (a dropped message, a receptionist started late)
   * asks for the full state. Changes themselves are sent at once, not on this tick.
   * @default 1000
   */
  readonly syncIntervalMs?: number;
}

/** Resolved options of a receptionist. */
export interface ReceptionistSettings {
  readonly syncIntervalMs: number;
}

/** The defaults, in one place. */
export const RECEPTIONIST_DEFAULTS: ReceptionistSettings = Object.freeze({ syncIntervalMs: 1000 });

/**
 * Options with their defaults filled in.
 * @throws RangeError naming a bad field
 */
export function resolveReceptionistSettings(options: ReceptionistOptions = {}): ReceptionistSettings {
  const syncIntervalMs = options.syncIntervalMs ?? RECEPTIONIST_DEFAULTS.syncIntervalMs;
  if (!(Number.isFinite(syncIntervalMs) && syncIntervalMs >= 10)) throw new RangeError(`Receptionist: syncIntervalMs must be a finite number >= 10, got ${syncIntervalMs}`);
  return { syncIntervalMs };
}
