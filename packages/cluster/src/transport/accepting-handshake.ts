import { type RawData, WebSocket } from 'ws';
import { compareAddresses, parseAddress } from '../address/node-address.js';
import { type HandshakeMessage, PROTOCOL_VERSION, newNonce, parseHandshake, proofFor, verifyProof } from './handshake.js';
import type { TransportStats } from './transport-stats.js';
import { CLOSE_AUTH, CLOSE_DUPLICATE } from './ws-close-codes.js';
import { bytesOfRawData } from './ws-raw-data.js';

/** What the accepting side of a handshake needs from its transport. */
export interface AcceptingHandshakeContext {
  /** This node's address. */
  readonly address: string;
  readonly secret: string | Uint8Array;
  /** How long a peer has to prove itself before the socket is closed. */
  readonly timeoutMs: number;
  readonly stats: TransportStats;
  /** True when the node at `peer` was removed from the cluster: it never gets an association again. */
  isForgotten(peer: string): boolean;
  /** True while this node is dialling `peer` itself (both sides dialled at once). */
  isDialling(peer: string): boolean;
  /** Counts and reports an error thrown while reading a handshake message. */
  callbackFailed(where: string, error: unknown): void;
  /** `peer` proved it holds the secret: `socket` becomes its connection. */
  accepted(peer: string, socket: WebSocket): void;
}

/**
 * The server side of the challenge–response handshake (see handshake.ts) on one inbound
 * socket: waits for `hello`, answers with a challenge and its own proof, checks the
 * client's proof, then hands the socket to the transport. Apart from the transport
 * because it is a state machine of its own (expecting hello, then proof; settled once),
 * with its own timeout, that only runs until the peer is known.
 */
export class AcceptingHandshake {
  private readonly nonce = newNonce();
  /** Known once `hello` arrived: the next message must be the proof. */
  private peer: string | undefined = undefined;
  private settled = false;
  private readonly timer: ReturnType<typeof setTimeout>;

  private constructor(
    private readonly socket: WebSocket,
    private readonly context: AcceptingHandshakeContext,
  ) {
    this.timer = setTimeout(() => this.fail('handshake timed out'), context.timeoutMs);
    // A client that hangs up mid-handshake (e.g. it found our proof wrong) counts as a failure too.
    socket.once('close', () => this.fail('closed during handshake'));
    socket.on('message', this.onMessage);
  }

  /** Runs the handshake on a freshly accepted `socket`; it ends in `context.accepted` or a close. */
  static run(socket: WebSocket, context: AcceptingHandshakeContext): void {
    new AcceptingHandshake(socket, context);
  }

  private readonly onMessage = (data: RawData): void => {
    try {
      this.read(data);
    } catch (error) {
      this.context.callbackFailed('accepting a handshake', error);
      this.fail('internal error');
    }
  };

  private read(data: RawData): void {
    const context = this.context;
    const message = parseHandshake(bytesOfRawData(data));
    if (message === undefined) return this.fail('malformed handshake message');
    if (this.peer === undefined) {
      if (message.t !== 'hello' || parseAddress(message.from) === undefined) return this.fail('expected hello');
      if (message.v !== PROTOCOL_VERSION) return this.fail(`wire protocol ${message.v} not supported (this node speaks ${PROTOCOL_VERSION})`);
      const peer = message.from;
      this.peer = peer;
      if (context.isForgotten(peer)) return this.fail('node was removed from the cluster');
      // Both sides dialled at once: keep the connection opened by the lower address.
      if (context.isDialling(peer) && compareAddresses(context.address, peer) < 0) {
        this.settle();
        this.socket.close(CLOSE_DUPLICATE, 'duplicate');
        return;
      }
      this.send({ t: 'challenge', from: context.address, nonce: this.nonce, proof: proofFor(context.secret, 'server', message.nonce, context.address, peer) });
      return;
    }
    const peer = this.peer;
    if (message.t !== 'proof' || !verifyProof(context.secret, 'client', this.nonce, peer, context.address, message.proof)) return this.fail('wrong cluster secret');
    // The node may have been removed while it was proving itself: never make an association for it again.
    if (context.isForgotten(peer)) return this.fail('node was removed from the cluster');
    this.settle();
    this.send({ t: 'accepted' });
    context.accepted(peer, this.socket);
  }

  /** Ends the handshake: no more timeout, no more handshake messages. */
  private settle(): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.socket.off('message', this.onMessage);
  }

  private fail(why: string): void {
    if (this.settled) return;
    this.settle();
    this.context.stats.handshakeFailures++;
    this.socket.close(CLOSE_AUTH, why.slice(0, 100));
  }

  private send(message: HandshakeMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }
}
