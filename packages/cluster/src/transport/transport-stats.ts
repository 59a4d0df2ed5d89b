/** Counters of the transport, for monitoring and tests. Read-only to users. */
export interface TransportStats {
  framesSent: number;
  framesReceived: number;
  envelopesSent: number;
  envelopesReceived: number;
  /** Frames that could not be decoded (bad JSON, not an array, …). */
  malformedFrames: number;
  /** Envelopes of unknown kind or with missing fields. */
  malformedEnvelopes: number;
  /** Payloads the serialization registry could not decode. */
  deserializationErrors: number;
  /**
   * Inbound messages whose delivery to a local actor threw (a full mailbox with the `fail`
   * policy, a router whose routing threw): each went to dead letters, and the rest of its
   * frame was delivered.
   */
  deliveryFailures: number;
  /** Errors thrown by the node's own callbacks run from I/O or timers (socket events, handshakes, flushes): caught, logged, counted. */
  callbackErrors: number;
  /** Connections refused: wrong secret, bad handshake message, timeout. */
  handshakeFailures: number;
  /** Non-WebSocket or broken upgrade requests on the port. */
  protocolErrors: number;
  /** Frames over `maxFrameBytes` (received: connection closed; sent: message dropped). */
  oversizedFrames: number;
  /** Messages dropped because a peer's outbound queue was full. */
  queueOverflowDrops: number;
  /** Envelopes dropped by the test-only partition switch. */
  partitionDrops: number;
  /** Times sending paused because the socket buffer was above the high-water mark. */
  backpressurePauses: number;
}

/** All counters at zero. */
export function emptyTransportStats(): TransportStats {
  return {
    framesSent: 0,
    framesReceived: 0,
    envelopesSent: 0,
    envelopesReceived: 0,
    malformedFrames: 0,
    malformedEnvelopes: 0,
    deserializationErrors: 0,
    deliveryFailures: 0,
    callbackErrors: 0,
    handshakeFailures: 0,
    protocolErrors: 0,
    oversizedFrames: 0,
    queueOverflowDrops: 0,
    partitionDrops: 0,
    backpressurePauses: 0,
  };
}
