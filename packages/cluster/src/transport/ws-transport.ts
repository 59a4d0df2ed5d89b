import { type Server as HttpServer, createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { hostPortOf, parseAddress } from '../address/node-address.js';
import { HandshakeError } from '../errors.js';
import { AcceptingHandshake, type AcceptingHandshakeContext } from './accepting-handshake.js';
import { DialingHandshake, type DialingHandshakeContext } from './dialing-handshake.js';
import type { Envelope } from './envelope.js';
import { type EnvelopeListener, InboundFrameDelivery, type InboundDeliveryBrackets, type MessageRunListener } from './inbound-frame-delivery.js';
import { type AssociationHost, type DropListener, PeerAssociation } from './peer-association.js';
import { ReadWindow } from './read-window.js';
import type { TransportSettings } from './transport-settings.js';
import { type TransportStats, emptyTransportStats } from './transport-stats.js';
import { CLOSE_DUPLICATE, CLOSE_REPLACED } from './ws-close-codes.js';

/**
 * The cluster transport over `ws`: one authenticated connection per pair of nodes,
 * per-connection outbound queues batched into one frame per microtask checkpoint (or, for
 * what actors send while an inbound frame is delivered, at its end), frame-size limits
 * enforced by ws before buffering, and a test-only partition switch.
 */
export class WsTransport implements AssociationHost {
  readonly stats: TransportStats = emptyTransportStats();
  private readonly associations = new Map<string, PeerAssociation>();
  private readonly forgotten = new Set<string>();
  private readonly blocked = new Set<string>();
  private readonly sockets = new Set<WebSocket>();
  private closed = false;
  /** The association `send` used last, and its address (cleared when an association goes). */
  private lastTo: string | undefined;
  private lastAssociation: PeerAssociation | undefined;
  /** Set by the owner: told about dropped envelopes (user messages become dead letters). */
  onDrop: DropListener = () => {};
  /**
   * Set by the owner: told about an error thrown by a callback the transport runs from
   * I/O or a timer (already counted in `stats`), for its log. The transport never lets
   * such an error escape to the event loop, where it would end the process.
   */
  onCallbackError: (where: string, error: unknown) => void = () => {};
  /**
   * Set by the owner: applied to the value of a JSON message that leaves alone in its
   * frame (an ask, a reply), just before the frame is written. The cluster writes the refs
   * in it as `{ $ref }` there, in JS: cheaper than `JSON.stringify` calling
   * `ActorRef.toJSON` from C++, which an ask would always pay. (In a batch, most messages
   * hold no ref: `toJSON` costs only those that do, a walk would cost them all.)
   */
  writeLoneMessage: (value: unknown) => unknown = (value) => value;
  /** Delivers the frames every connection reads; holds the owner's inbound listeners. */
  private readonly inbound: InboundFrameDelivery;
  /** What both ends of a handshake ask of this transport (made once, not per connection). */
  private readonly handshakeContext: AcceptingHandshakeContext & DialingHandshakeContext;

  private constructor(
    private readonly server: HttpServer,
    private readonly wss: WebSocketServer,
    readonly address: string,
    private readonly secret: string | Uint8Array,
    private readonly settings: TransportSettings,
  ) {
    this.inbound = new InboundFrameDelivery(this.stats, settings.codec, this.blocked, (where, error) => this.reportCallbackError(where, error));
    this.handshakeContext = {
      address,
      secret,
      timeoutMs: settings.handshakeTimeoutMs,
      stats: this.stats,
      isForgotten: (peer) => this.forgotten.has(peer),
      isDialling: (peer) => this.associations.get(peer)?.connecting === true,
      callbackFailed: (where, error) => this.callbackFailed(where, error),
      accepted: (peer, socket) => this.install(this.associationFor(peer), socket),
    };
    wss.on('connection', (socket) => {
      try {
        this.acceptInbound(socket);
      } catch (error) {
        this.callbackFailed('accepting a connection', error);
        socket.terminate();
      }
    });
    wss.on('wsClientError', (_error, socket) => {
      this.stats.protocolErrors++;
      socket.destroy();
    });
    server.on('clientError', (_error, socket) => {
      this.stats.protocolErrors++;
      socket.destroy();
    });
  }

  /**
   * Listens on `host:port` (0 = any free port), then builds the node address from the
   * bound port with `addressFor`.
   */
  static async listen(host: string, port: number, secret: string | Uint8Array, settings: TransportSettings, addressFor: (port: number) => string): Promise<WsTransport> {
    const tls = settings.tls;
    const server = tls === undefined ? createHttpServer() : createHttpsServer({ cert: tls.cert, key: tls.key, ...(tls.ca === undefined ? {} : { ca: tls.ca }) });
    server.maxHeadersCount = 64;
    server.headersTimeout = settings.handshakeTimeoutMs;
    server.requestTimeout = settings.handshakeTimeoutMs;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = (server.address() as AddressInfo).port;
    const wss = new WebSocketServer({ server, maxPayload: settings.maxFrameBytes, perMessageDeflate: false, clientTracking: false });
    return new WsTransport(server, wss, addressFor(bound), secret, settings);
  }

  /** Set by the owner: where valid inbound envelopes go. */
  get onEnvelope(): EnvelopeListener {
    return this.inbound.onEnvelope;
  }
  set onEnvelope(listener: EnvelopeListener) {
    this.inbound.onEnvelope = listener;
  }

  /** Set by the owner: receives each run of JSON messages to one recipient, `frame[start, end)` (see frame-layout.ts), in order with the envelopes. */
  get onMessageRun(): MessageRunListener {
    return this.inbound.onMessageRun;
  }
  set onMessageRun(listener: MessageRunListener) {
    this.inbound.onMessageRun = listener;
  }

  /** Set by the owner: brackets the delivery of each inbound frame (the cluster runs the actors it woke at the end). */
  get inboundDelivery(): InboundDeliveryBrackets {
    return this.inbound.brackets;
  }
  set inboundDelivery(brackets: InboundDeliveryBrackets) {
    this.inbound.brackets = brackets;
  }

  /** The codec writes JSON, so JSON messages can be handed to it as values (see `FrameCodec.writesJson`). */
  get writesJson(): boolean {
    return this.settings.codec.writesJson === true;
  }

  /** The port the server is bound to. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Sends `envelope` to the node at `to` (queued, batched, in order). */
  send(to: string, envelope: Envelope): void {
    // Fast path (per remote message): a connected peer that is not cut off. Forgotten peers
    // have no association; the last one used is remembered (refs to one node pass the same string).
    const known = to === this.lastTo ? this.lastAssociation : this.associations.get(to);
    if (known?.isConnected === true && this.blocked.size === 0 && !this.closed) {
      this.lastTo = to;
      this.lastAssociation = known;
      known.enqueue(envelope);
      return;
    }
    if (this.closed) {
      this.onDrop(to, envelope, 'transport-closed');
      return;
    }
    if (this.forgotten.has(to)) {
      this.onDrop(to, envelope, 'node-removed');
      return;
    }
    if (this.blocked.has(to)) {
      this.stats.partitionDrops++;
      this.onDrop(to, envelope, 'partitioned');
      return;
    }
    // A path that only looks remote (e.g. a peer's `{ $ref }` naming no real node) has nowhere to connect to.
    if (!this.associations.has(to) && parseAddress(to) === undefined) {
      this.onDrop(to, envelope, 'invalid-address');
      return;
    }
    const association = this.associationFor(to);
    if (association.enqueue(envelope) && !association.isConnected) this.connect(association);
  }

  /** Connects to a seed at `host:port` and resolves with its node address once authenticated. */
  async handshakeWith(hostPort: string): Promise<string> {
    let removed = false;
    const peer = await this.dial(hostPort, undefined, (socket, peer) => {
      if (this.forgotten.has(peer)) {
        removed = true;
        socket.close(1000, 'node removed');
        return;
      }
      const association = this.associationFor(peer);
      if (association.isConnected) this.closeDuplicate(peer, socket, 1000, 'already connected');
      else this.install(association, socket);
    });
    if (removed) throw new HandshakeError(`${hostPort} is ${peer}, which was removed from the cluster`);
    return peer;
  }

  /** Envelopes waiting in the outbound queue to `address` (0 when there is no connection state). */
  queuedTo(address: string): number {
    return this.associations.get(address)?.queued ?? 0;
  }

  /** Test-only partition switch: drop everything to and from `addresses`. */
  block(addresses: Iterable<string>): void {
    for (const address of addresses) {
      this.blocked.add(address);
      this.associations.get(address)?.dropAll('partitioned');
    }
  }

  /** Undoes `block` for every address. */
  unblockAll(): void {
    this.blocked.clear();
  }

  /** The node at `address` is gone for good: drop its queue, close its connection, refuse it from now on. */
  forget(address: string): void {
    this.forgotten.add(address);
    const association = this.associations.get(address);
    if (association === undefined) return;
    this.associations.delete(address);
    this.lastTo = undefined;
    this.lastAssociation = undefined;
    clearTimeout(association.reconnectTimer);
    const finish = () => {
      try {
        association.dropAll('node-removed');
        association.socket?.close(1000, 'node removed');
      } catch (error) {
        this.callbackFailed('forgetting a node', error);
      }
    };
    // Let what is already queued (e.g. the gossip telling the node it was removed) leave first.
    if (association.isConnected && association.queued > 0) setTimeout(finish, 200).unref();
    else finish();
  }

  /** Flushes what is queued (briefly), then closes every connection and the server. */
  async close(): Promise<void> {
    if (this.closed) return;
    const deadline = Date.now() + 500;
    while (Date.now() < deadline && [...this.associations.values()].some((a) => a.isConnected && a.queued > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.closed = true;
    for (const association of this.associations.values()) {
      clearTimeout(association.reconnectTimer);
      association.dropAll('transport-closed');
    }
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private associationFor(address: string): PeerAssociation {
    let association = this.associations.get(address);
    if (association === undefined) {
      association = new PeerAssociation(address, this.settings, this.stats, this);
      this.associations.set(address, association);
    }
    return association;
  }

  private connect(association: PeerAssociation): void {
    if (association.connecting || association.isConnected || association.reconnectTimer !== undefined || this.closed) return;
    association.connecting = true;
    this.dial(hostPortOf(association.address), association.address, (socket, peer) => {
      if (this.associations.get(association.address) !== association || this.closed) socket.close(1000, 'not needed');
      else if (association.isConnected) this.closeDuplicate(peer, socket, CLOSE_DUPLICATE, 'duplicate');
      else this.install(association, socket);
    }).then(
      () => {},
      () => {
        association.connecting = false;
        try {
          if (!association.isConnected) this.retryLater(association);
        } catch (error) {
          this.callbackFailed('scheduling a reconnect', error);
        }
      },
    );
  }

  private retryLater(association: PeerAssociation): void {
    if (this.closed || this.associations.get(association.address) !== association || association.reconnectTimer !== undefined) return;
    const delay = association.backoffMs;
    association.backoffMs = Math.min(association.backoffMs * 2, this.settings.reconnectBackoffMs.max);
    association.reconnectTimer = setTimeout(() => {
      association.reconnectTimer = undefined;
      try {
        if (association.queued > 0) this.connect(association);
      } catch (error) {
        this.callbackFailed('reconnecting', error);
      }
    }, delay);
    association.reconnectTimer.unref();
  }

  /**
   * Closes an authenticated `socket` this node does not keep, still delivering what
   * arrives on it until the peer's close frame: the peer adopted it when it accepted us
   * and may have written to it already.
   */
  private closeDuplicate(peer: string, socket: WebSocket, code: number, reason: string): void {
    this.readFrames(peer, socket);
    socket.close(code, reason);
  }

  /** Makes `socket` the association's connection and routes its frames. */
  private install(association: PeerAssociation, socket: WebSocket): void {
    const previous = association.socket;
    if (previous !== undefined && previous !== socket) previous.close(CLOSE_REPLACED, 'replaced');
    this.readFrames(association.address, socket);
    socket.on('close', () => {
      if (association.socket !== socket) return;
      association.socket = undefined;
      try {
        if (association.queued > 0) this.retryLater(association);
      } catch (error) {
        this.callbackFailed('scheduling a reconnect', error);
      }
    });
    association.attach(socket);
  }

  /**
   * Routes every frame `socket` receives from `peer` from now on. Called in the same
   * callback that completes the handshake: the peer writes as soon as it has accepted, and
   * ws emits the frames that came in the same read right after the handshake's last message,
   * before any later callback (a promise continuation) could add a listener.
   */
  private readFrames(peer: string, socket: WebSocket): void {
    // Reading pauses for one event-loop turn when a peer keeps us busy (see ReadWindow).
    const reading = new ReadWindow();
    let paused = false;
    const resume = () => {
      paused = false;
      reading.reset();
      if (socket.readyState === WebSocket.OPEN) socket.resume();
    };
    socket.on('message', (data: RawData) => {
      const start = performance.now();
      try {
        this.inbound.receiveFrame(peer, data);
      } catch (error) {
        // What a frame's delivery throws is caught per run and envelope; this is what is left (running the woken actors, flushing).
        this.callbackFailed('reading a frame', error);
      }
      if (reading.frameRead(start, performance.now()) && !paused && socket.readyState === WebSocket.OPEN) {
        paused = true;
        socket.pause();
        setImmediate(resume);
      }
    });
  }

  /**
   * How associations ask for a flush: on a microtask (everything queued before it leaves
   * in one frame), or, while an inbound frame is being delivered, at the end of it.
   */
  requestFlush(association: PeerAssociation): void {
    this.inbound.requestFlush(association);
  }

  /** Counts and reports an error a callback run from I/O or a timer threw; never throws. */
  callbackFailed(where: string, error: unknown): void {
    this.stats.callbackErrors++;
    this.reportCallbackError(where, error);
  }

  private reportCallbackError(where: string, error: unknown): void {
    try {
      this.onCallbackError(where, error);
    } catch {
      // The owner's report (a log) failed too: the count is all that is left.
    }
  }

  /** Tracks a socket so `close` can end it, and counts oversized frames and errors. */
  private track(socket: WebSocket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.stats.oversizedFrames++;
      else this.stats.protocolErrors++;
    });
  }

  /** Server side of the handshake: on success the socket becomes the peer's connection. */
  private acceptInbound(socket: WebSocket): void {
    if (this.closed) {
      socket.terminate();
      return;
    }
    this.track(socket);
    AcceptingHandshake.run(socket, this.handshakeContext);
  }

  /**
   * Client side: connects and authenticates; `expected` is the node address we mean to
   * reach, if known. `adopt` runs synchronously in the callback that reads the peer's
   * `accepted` (see `readFrames`: frames right behind it would otherwise have no listener
   * and be lost); the promise then resolves with the peer's address.
   */
  private dial(hostPort: string, expected: string | undefined, adopt: (socket: WebSocket, peer: string) => void): Promise<string> {
    const scheme = this.settings.tls === undefined ? 'ws' : 'wss';
    const tls = this.settings.tls;
    const socket = new WebSocket(`${scheme}://${hostPort}/`, {
      maxPayload: this.settings.maxFrameBytes,
      perMessageDeflate: false,
      handshakeTimeout: this.settings.handshakeTimeoutMs,
      ...(tls === undefined ? {} : { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized ?? true }),
    });
    this.track(socket);
    return DialingHandshake.run(socket, hostPort, expected, this.handshakeContext, adopt);
  }
}
