import { TroupeError } from '@troupe/core';

/** An option of `ClusterSingleton.init` is missing or invalid; `field` names it. */
export class SingletonOptionError extends TroupeError {
  constructor(
    /** The bad option, e.g. `name` or `bufferSize`. */
    readonly field: string,
    message: string,
  ) {
    super('ERR_SINGLETON_INVALID_OPTION', `ClusterSingleton.init: ${field} ${message}`);
  }
}

/** `ClusterSingleton.init` was called twice on one node with the same name. */
export class SingletonAlreadyInitializedError extends TroupeError {
  constructor(
    /** The singleton's name. */
    readonly singletonName: string,
  ) {
    super('ERR_SINGLETON_ALREADY_INITIALIZED', `ClusterSingleton.init: singleton "${singletonName}" is already initialized on this node; use the proxy init returned`);
  }
}

/** A singleton name was used on a node where `init` was not called for it. */
export class SingletonNotInitializedError extends TroupeError {
  constructor(
    /** The singleton's name. */
    readonly singletonName: string,
  ) {
    super('ERR_SINGLETON_NOT_INITIALIZED', `ClusterSingleton: singleton "${singletonName}" is not initialized on this node; call init first`);
  }
}
