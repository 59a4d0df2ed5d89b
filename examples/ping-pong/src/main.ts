/**
 * Ping-pong: two actors rally typed messages with `tell`, then the program talks to
 * one of them with `ask`, and finally terminates the system.
 *
 *   npm start               100,000 round trips
 *   npm start -- 1000000    as many round trips as you like
 */
import { Actor, type ActorRef, ActorSystem } from '@troupe/core';

/** The ponger's reply. */
type Pong = { readonly type: 'pong'; readonly seq: number };

/** What the ponger understands. Each request carries a ref typed by the reply it expects. */
type PongerMessage = { readonly type: 'ping'; readonly seq: number; readonly replyTo: ActorRef<Pong> } | { readonly type: 'count'; readonly replyTo: ActorRef<number> };

/** What the pinger reports when a rally is over: its lifetime totals and this rally's duration. */
type RallyResult = { readonly pingsSent: number; readonly pongsReceived: number; readonly elapsedMs: number };

type Rally = { readonly type: 'rally'; readonly rounds: number; readonly ponger: ActorRef<PongerMessage>; readonly replyTo: ActorRef<RallyResult> };

/** What the pinger understands: the order to start a rally, and pongs. */
type PingerMessage = Rally | Pong;

/** Answers every ping with a pong and counts them. */
class Ponger extends Actor<PongerMessage> {
  private pings = 0;

  receive(message: PongerMessage): void {
    switch (message.type) {
      case 'ping':
        this.pings++;
        message.replyTo.tell({ type: 'pong', seq: message.seq });
        break;
      case 'count':
        message.replyTo.tell(this.pings);
        break;
    }
  }
}

/** Plays one rally at a time: each pong triggers the next ping until `rounds` is reached. */
class Pinger extends Actor<PingerMessage> {
  private rally: Rally | undefined;
  private pingsSent = 0;
  private pongsReceived = 0;
  private startedAt = 0;

  receive(message: PingerMessage): void {
    switch (message.type) {
      case 'rally':
        this.rally = message;
        this.startedAt = performance.now();
        this.ping(message.ponger, 1);
        break;
      case 'pong': {
        this.pongsReceived++;
        const rally = this.rally;
        if (rally === undefined) return;
        if (message.seq < rally.rounds) {
          this.ping(rally.ponger, message.seq + 1);
        } else {
          rally.replyTo.tell({ pingsSent: this.pingsSent, pongsReceived: this.pongsReceived, elapsedMs: performance.now() - this.startedAt });
          this.rally = undefined;
        }
        break;
      }
    }
  }

  private ping(ponger: ActorRef<PongerMessage>, seq: number): void {
    this.pingsSent++;
    // `self` accepts every PingerMessage, so it is a valid ActorRef<Pong>: the ponger
    // can only ever send us pongs through it.
    ponger.tell({ type: 'ping', seq, replyTo: this.context.self });
  }
}

const rounds = parseRounds(process.argv[2]);
const runs = 3;
const asks = 1_000;

const system = ActorSystem.create({ name: 'ping-pong' });
const ponger = system.spawn(() => new Ponger(), { name: 'ponger' });
const pinger = system.spawn(() => new Pinger(), { name: 'pinger' });

console.log(`Troupe ping-pong: two actors, typed messages, tell and ask (Node ${process.version})`);
console.log(`  ${pinger.path} ⇄ ${ponger.path}`);
console.log();

// 1. tell. The program starts each rally with an ask: the pinger replies only when the
// last pong is in, so the Promise doubles as "the rally is over". Give it time: the
// default ask timeout (5 s) is meant for quick requests, not for a benchmark.
console.log(`1. tell: pinger and ponger rally ${count(rounds)} times, one message in flight (${runs} runs, the first warms up the JIT)`);
let result: RallyResult | undefined;
for (let run = 1; run <= runs; run++) {
  result = await pinger.ask<RallyResult>((replyTo) => ({ type: 'rally', rounds, ponger, replyTo }), { timeoutMs: 120_000 });
  console.log(`   run ${run}: ${count(2 * rounds)} messages in ${ms(result.elapsedMs)} → ${rate(2 * rounds, result.elapsedMs)} msg/s`);
}
console.log(`   pinger sent ${count(result?.pingsSent ?? 0)} pings and received ${count(result?.pongsReceived ?? 0)} pongs`);
console.log();

// 2. ask. The same 'ping' message works from outside the system: ask lends it a
// temporary ActorRef<Pong> as replyTo and resolves with the first reply.
console.log('2. ask: the program talks to the ponger directly');
let started = performance.now();
for (let seq = 1; seq <= asks; seq++) {
  const pong = await ponger.ask<Pong>((replyTo) => ({ type: 'ping', seq, replyTo }));
  if (pong.seq !== seq) throw new Error(`expected pong ${seq}, got ${pong.seq}`);
}
let elapsed = performance.now() - started;
console.log(`   ${count(asks)} sequential asks in ${ms(elapsed)} → ${((elapsed * 1000) / asks).toFixed(1)} µs per round trip`);

// Many asks in flight at once: each has its own temporary ref, so replies never mix up.
started = performance.now();
const pongs = await Promise.all(Array.from({ length: asks }, (_, i) => ponger.ask<Pong>((replyTo) => ({ type: 'ping', seq: i + 1, replyTo }))));
elapsed = performance.now() - started;
if (!pongs.every((pong, i) => pong.seq === i + 1)) throw new Error('a concurrent ask got somebody else’s reply');
console.log(`   ${count(asks)} concurrent asks in ${ms(elapsed)} → ${rate(asks, elapsed)} asks/s`);

const answered = await ponger.ask<number>((replyTo) => ({ type: 'count', replyTo }));
console.log(`   ponger answered ${count(answered)} pings in all (asked with { type: 'count' })`);
console.log();

// 3. terminate. Stops every actor (children before parents) and resolves when all
// have stopped; nothing should have been lost on the way.
started = performance.now();
await system.terminate();
console.log(`3. terminate: every actor stopped in ${ms(performance.now() - started)}; dead letters: ${system.deadLetterCount}`);

if (answered !== runs * rounds + 2 * asks || system.deadLetterCount !== 0) {
  console.error('unexpected counts: see above');
  process.exitCode = 1;
}

function parseRounds(arg: string | undefined): number {
  if (arg === undefined) return 100_000;
  const n = Number(arg.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`usage: npm start -- [rounds]   (rounds must be a positive integer, got ${JSON.stringify(arg)})`);
    process.exit(2);
  }
  return n;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function ms(elapsedMs: number): string {
  return `${elapsedMs.toFixed(1)} ms`;
}

function rate(n: number, elapsedMs: number): string {
  const perSecond = (n * 1000) / elapsedMs;
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M` : count(Math.round(perSecond));
}
