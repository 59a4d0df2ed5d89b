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

/**
 * A path without the incarnation (`troupe://sys@host:port/user/x`) named an address that no
 * live member (Joining, Up, Leaving or Exiting, as this node sees the membership) has.
 */
export class NoLiveMemberError extends TroupeError {
  constructor(
    /** The address without incarnation, `troupe://<system>@<host>:<port>`. */
    readonly address: string,
  ) {
    super(
      'ERR_CLUSTER_NO_LIVE_MEMBER',
      `no live cluster member at ${address} (Joining, Up, Leaving or Exiting, as this node sees the membership): a path without "#<incarnation>" resolves to the current incarnation of its address only while one is a member`,
    );
  }
}
