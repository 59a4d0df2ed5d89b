import { TroupeError } from '@troupe/core';

/** A peer failed the handshake (wrong secret, bad message, timeout) or was refused. */
export class HandshakeError extends TroupeError {
  constructor(message: string, cause?: unknown) {
    super('ERR_CLUSTER_HANDSHAKE', message, { cause });
  }
}

/** This node was downed or removed and has shut down. */
export class ClusterShutDownError extends TroupeError {
  constructor(address: string, what: string) {
    super('ERR_CLUSTER_SHUT_DOWN', `cluster node ${address} has shut down: cannot ${what}`);
  }
}
