// WebSocket close codes the transport uses (4000–4999 is the range RFC 6455 leaves to
// applications). Both ends of a handshake read them, so they live apart from either.

/** The handshake failed (wrong secret, malformed message, timeout); the reason says why. */
export const CLOSE_AUTH = 4001;
/** The dialled address answered as another node (an older or newer incarnation). */
export const CLOSE_WRONG_PEER = 4004;
/** Both nodes dialled each other at once; this connection loses to the other one. */
export const CLOSE_DUPLICATE = 4009;
/** A newer connection to the same peer took this one's place. */
export const CLOSE_REPLACED = 4010;
