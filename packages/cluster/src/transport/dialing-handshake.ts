import { type RawData, WebSocket } from 'ws';
import { parseAddress } from '../address/node-address.js';
import { HandshakeError } from '../errors.js';
import { type HandshakeMessage, PROTOCOL_VERSION, newNonce, parseHandshake, proofFor, verifyProof } from './handshake.js';
import type { TransportStats } from './transport-stats.js';
import { CLOSE_AUTH, CLOSE_WRONG_PEER } from './ws-close-codes.js';
import { bytesOfRawData } from './ws-raw-data.js';

/** What the dialling side of a handshake needs from its transport. */
export interface DialingHandshakeContext {
  /** This node's address. */
  readonly address: string;
  readonly secret: string | Uint8Array;
  /** How long the peer has to accept us before the attempt fails. */
  readonly timeoutMs: number;
  readonly stats: TransportStats;
  /** Counts and reports an error thrown while reading a handshake message. */
  callbackFailed(where: string, error: unknown): void;
}

/**
 * The client side of the challenge–response handshake (see handshake.ts) on one dialled
 * socket: sends `hello` once open, checks the server's challenge and proof (and that it
 * is the node we meant to reach), answers with our proof, and waits to be accepted.
 * Apart from the transport because it is a state machine of its own (expecting the
 * challenge, then accepted) that settles one Promise, once.
 */
export class DialingHandshake {
  private readonly nonce = newNonce();
  /** Known once the challenge arrived: the next message must be `accepted`. */
  private peer: string | undefined = undefined;
  private readonly timer: ReturnType<typeof setTimeout>;

  private constructor(
    private readonly socket: WebSocket,
    private readonly hostPort: string,
    private readonly expected: string | undefined,
    private readonly context: DialingHandshakeContext,
    private readonly adopt: (socket: WebSocket, peer: string) => void,
    private readonly resolve: (peer: string) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.timer = setTimeout(() => this.fail(new HandshakeError(`handshake with ${hostPort} timed out`)), context.timeoutMs);
    socket.on('open', () => this.send({ t: 'hello', v: PROTOCOL_VERSION, from: context.address, nonce: this.nonce }));
    socket.on('message', this.onMessage);
    socket.on('close', (code: number, reason: Buffer) => {
      const why = code === CLOSE_AUTH ? `refused by ${hostPort}: ${reason.toString()}` : `connection to ${hostPort} closed (${code})`;
      this.fail(new HandshakeError(why));
    });
    socket.on('error', (error: Error) => this.fail(new HandshakeError(`cannot connect to ${hostPort}: ${error.message}`, error)));
  }

  /**
   * Runs the handshake on `socket`, just created to dial `hostPort`; `expected` is the
   * node address we mean to reach, if known. `adopt(socket, peer)` runs synchronously in
   * the callback that reads the peer's `accepted`: the peer writes right behind it, and
   * ws emits the frames of the same read before any later callback (a promise
   * continuation) could add a listener, so whoever takes the socket must listen from
   * there. Resolves with the peer's address; rejects with a HandshakeError.
   */
  static run(socket: WebSocket, hostPort: string, expected: string | undefined, context: DialingHandshakeContext, adopt: (socket: WebSocket, peer: string) => void): Promise<string> {
    return new Promise((resolve, reject) => {
      new DialingHandshake(socket, hostPort, expected, context, adopt, resolve, reject);
    });
  }

  private readonly onMessage = (data: RawData): void => {
    try {
      this.read(data);
    } catch (error) {
      this.context.callbackFailed('dialling a handshake', error);
      this.fail(new HandshakeError(`handshake with ${this.hostPort} failed: ${String(error)}`, error));
    }
  };

  private read(data: RawData): void {
    const { context, hostPort } = this;
    const message = parseHandshake(bytesOfRawData(data));
    if (message === undefined) return this.fail(new HandshakeError(`malformed handshake message from ${hostPort}`));
    if (this.peer === undefined) {
      if (message.t !== 'challenge' || parseAddress(message.from) === undefined) return this.fail(new HandshakeError(`expected a challenge from ${hostPort}`));
      if (!verifyProof(context.secret, 'server', this.nonce, message.from, context.address, message.proof)) {
        context.stats.handshakeFailures++;
        return this.fail(new HandshakeError(`${hostPort} does not hold the cluster secret`));
      }
      if (this.expected !== undefined && message.from !== this.expected) {
        this.socket.close(CLOSE_WRONG_PEER, 'unexpected incarnation');
        return this.fail(new HandshakeError(`${hostPort} is ${message.from}, not ${this.expected}`));
      }
      const peer = message.from;
      this.peer = peer;
      this.send({ t: 'proof', proof: proofFor(context.secret, 'client', message.nonce, context.address, peer) });
      return;
    }
    if (message.t !== 'accepted') return this.fail(new HandshakeError(`expected accepted from ${hostPort}`));
    clearTimeout(this.timer);
    this.socket.off('message', this.onMessage);
    const peer = this.peer;
    try {
      this.adopt(this.socket, peer);
    } catch (error) {
      this.context.callbackFailed('installing a connection', error);
      this.socket.terminate();
    }
    this.resolve(peer);
  }

  /** Abandons the attempt: the socket is ended and the Promise rejects (later calls change nothing). */
  private fail(error: Error): void {
    clearTimeout(this.timer);
    this.socket.off('message', this.onMessage);
    const state = this.socket.readyState;
    if (state === WebSocket.OPEN || state === WebSocket.CONNECTING) this.socket.terminate();
    this.reject(error);
  }

  private send(message: HandshakeMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }
}
