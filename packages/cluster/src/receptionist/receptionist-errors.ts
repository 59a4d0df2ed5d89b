import { TroupeError } from '@troupe/core';

/** A service key name that is not 1–200 letters, digits, `-`, `_`, `.` or `:` (starting with a letter or digit). */
export class InvalidServiceKeyError extends TroupeError {
  constructor(
    /** What was given as the name. */
    readonly given: unknown,
  ) {
    super('ERR_RECEPTIONIST_INVALID_KEY', `ServiceKey: name must be 1-200 letters, digits, '-', '_', '.' or ':' starting with a letter or digit, got ${describe(given)}`);
  }
}

/** `register` was given a ref on another node or of another actor system: only the node that hosts an actor registers it. */
export class NonLocalRegistrantError extends TroupeError {
  constructor(
    /** The refused ref's path. */
    readonly path: string,
    /** This node's address. */
    readonly node: string,
  ) {
    super(
      'ERR_RECEPTIONIST_NOT_LOCAL',
      `Receptionist.register: ${path} is not an actor of this node (${node}); register an actor on the node that hosts it, which watches it and withdraws the registration when it stops`,
    );
  }
}

/** `register` was given a ref whose actor has already stopped. */
export class RegistrantStoppedError extends TroupeError {
  constructor(
    /** The stopped actor's path. */
    readonly path: string,
  ) {
    super('ERR_RECEPTIONIST_REGISTRANT_STOPPED', `Receptionist.register: ${path} has stopped; a stopped actor cannot be registered`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return typeof value === 'object' && value !== null ? 'an object' : String(value);
}
