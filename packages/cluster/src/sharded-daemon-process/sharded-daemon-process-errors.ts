import { TroupeError } from '@troupe/core';

/** An option of `ShardedDaemonProcess.init` is missing or invalid, or its `name` is already started on this node; `field` names it. */
export class ShardedDaemonProcessOptionError extends TroupeError {
  constructor(
    /** The bad option, e.g. `numberOfInstances`; `options` when they are not an object. */
    readonly field: string,
    message: string,
  ) {
    super('ERR_SHARDED_DAEMON_INVALID_OPTION', `ShardedDaemonProcess.init: ${field} ${message}`);
  }
}
