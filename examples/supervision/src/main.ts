/**
 * Supervision: a parent decides what happens when its children fail.
 *
 * - a worker that throws, or returns a rejected Promise, is restarted (fresh state,
 *   mailbox kept, the failing message dropped) or resumed (state kept), and stopped
 *   once it fails more often than `maxRetries` allows;
 * - a connection that cannot start is restarted with exponential backoff;
 * - the parent learns that the worker stopped through death watch.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Actor, type ActorRef, ActorSystem, type DeadLetter, type Logger, SupervisorStrategy } from '@troupe/core';

// ---- The worker -----------------------------------------------------------------

/** A job. Its `input` decides how it goes; the failures are on purpose. */
type Job = { readonly type: 'job'; readonly id: string; readonly input: 'ok' | 'invalid' | 'crash' | 'reject' };

/** What the worker says about itself: which instance this is, and what it remembers. */
type WorkerReport = { readonly incarnation: number; readonly handled: readonly string[] };

type WorkerMessage = Job | { readonly type: 'report'; readonly replyTo: ActorRef<WorkerReport> };

/** Bad input, not a broken worker: the supervisor resumes instead of restarting. */
class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

class Worker extends Actor<WorkerMessage> {
  /** The state a restart throws away. */
  private readonly handled: string[] = [];

  constructor(private readonly incarnation: number) {
    super();
  }

  receive(message: WorkerMessage): void | Promise<void> {
    if (message.type === 'report') {
      message.replyTo.tell({ incarnation: this.incarnation, handled: [...this.handled] });
      return;
    }
    switch (message.input) {
      case 'ok':
        this.handled.push(message.id);
        return;
      case 'invalid':
        throw new InvalidInputError(`${message.id} has invalid input`);
      case 'crash':
        throw new Error(`${message.id} crashed the worker`);
      case 'reject':
        // An async failure: the mailbox waits for this Promise, and its rejection
        // is a failure exactly like a throw.
        return this.save(message.id);
    }
  }

  private async save(id: string): Promise<void> {
    await sleep(5);
    throw new Error(`${id}: saving failed after 5 ms`);
  }
}

/** Restart on failure, resume on bad input; more than 3 restarts in 10 s and the worker is stopped. */
const workerStrategy = SupervisorStrategy.oneForOne({
  maxRetries: 3,
  withinMs: 10_000,
  decider: (error) => (error instanceof InvalidInputError ? 'resume' : 'restart'),
});

// ---- The connection -------------------------------------------------------------

/** Pretends to be a database that refuses the first few connections. */
class FlakyDatabase {
  attempts = 0;
  lastFailureAt: number | undefined;

  constructor(private readonly refusals: number) {}

  async connect(): Promise<void> {
    this.attempts++;
    await sleep(2);
    if (this.attempts <= this.refusals) {
      this.lastFailureAt = performance.now();
      throw new Error('connection refused');
    }
  }
}

type Query = { readonly type: 'query'; readonly sql: string; readonly replyTo: ActorRef<string> };

/** Connects in `preStart`; a failed start is restarted by the parent, with backoff. */
class Connection extends Actor<Query> {
  constructor(private readonly database: FlakyDatabase) {
    super();
  }

  override async preStart(): Promise<void> {
    const last = this.database.lastFailureAt;
    const since = last === undefined ? '' : ` (${Math.round(performance.now() - last)} ms after the last failure)`;
    console.log(`  db-connection: connect attempt ${this.database.attempts + 1}${since}`);
    await this.database.connect();
    console.log(`  db-connection: connected`);
  }

  receive(query: Query): void {
    query.replyTo.tell(`${query.sql} → 1 row, on connect attempt ${this.database.attempts}`);
  }
}

// ---- The parent -----------------------------------------------------------------

type SupervisorMessage =
  | { readonly type: 'get-worker'; readonly replyTo: ActorRef<ActorRef<WorkerMessage>> }
  | { readonly type: 'notify-when-stopped'; readonly replyTo: ActorRef<string> }
  | { readonly type: 'open-connection'; readonly replyTo: ActorRef<ActorRef<Query>> };

class Supervisor extends Actor<SupervisorMessage> {
  private incarnations = 0;
  // The factory runs again on every restart: a new Worker, with a new incarnation number.
  private readonly worker = this.context.spawn(() => new Worker(++this.incarnations), { name: 'worker' });
  private readonly stopListeners: ActorRef<string>[] = [];

  constructor(private readonly database: FlakyDatabase) {
    super();
    this.context.watch(this.worker);
  }

  override supervisorStrategy(): SupervisorStrategy {
    return workerStrategy;
  }

  receive(message: SupervisorMessage): void {
    switch (message.type) {
      case 'get-worker':
        message.replyTo.tell(this.worker);
        break;
      case 'notify-when-stopped':
        this.stopListeners.push(message.replyTo);
        break;
      case 'open-connection': {
        // `supervision` overrides supervisorStrategy() for this one child.
        const connection = this.context.spawn(() => new Connection(this.database), {
          name: 'db-connection',
          supervision: SupervisorStrategy.restartWithBackoff({ minBackoffMs: 100, maxBackoffMs: 2_000, randomFactor: 0.2 }),
        });
        message.replyTo.tell(connection);
        break;
      }
    }
  }

  override onTerminated(ref: ActorRef<never>): void {
    console.log(`  supervisor: death watch: ${short(ref.path)} has terminated`);
    for (const listener of this.stopListeners.splice(0)) listener.tell(ref.path);
  }
}

// ---- The program ----------------------------------------------------------------

/** Prints the runtime's warnings and errors (supervision decisions) in line with the story. */
const logger: Logger = {
  debug() {},
  info() {},
  warn: (message) => console.log(`  [troupe] ${short(message)}`),
  error: (message) => console.log(`  [troupe] ${short(message)}`),
};

const system = ActorSystem.create({ name: 'supervision', logger });
system.eventStream.subscribe('dead-letter', (letter: DeadLetter) => {
  const message = letter.message as Partial<Job>;
  console.log(`  dead letter: ${message.id ?? JSON.stringify(letter.message)} to ${short(letter.recipient)} (${letter.reason})`);
});

const database = new FlakyDatabase(4);
const supervisor = system.spawn(() => new Supervisor(database), { name: 'supervisor' });
const worker = await supervisor.ask<ActorRef<WorkerMessage>>((replyTo) => ({ type: 'get-worker', replyTo }));

/** Tells the worker some jobs, then asks for its report: the ask queues behind them. */
async function run(...jobs: readonly [id: string, input: Job['input']][]): Promise<void> {
  for (const [id, input] of jobs) worker.tell({ type: 'job', id, input });
  const report = await worker.ask<WorkerReport>((replyTo) => ({ type: 'report', replyTo }));
  console.log(`  report: incarnation #${report.incarnation}, remembers [${report.handled.join(', ')}]`);
}

console.log('Troupe supervision: oneForOne({ maxRetries: 3, withinMs: 10_000 }), restartWithBackoff, death watch');
console.log();

console.log('1. A throw → restart: state reset, mailbox kept, the failing message dropped');
await run(['job-1', 'ok'], ['job-2', 'ok'], ['job-3', 'crash'], ['job-4', 'ok'], ['job-5', 'ok']);
console.log('  (job-1 and job-2 were forgotten with the old instance; job-3 was dropped; job-4 and job-5 waited in the mailbox)');
console.log();

console.log('2. Invalid input → resume: same instance, state kept');
await run(['job-6', 'invalid'], ['job-7', 'ok']);
console.log();

console.log('3. A rejected Promise → restart, like a throw');
await run(['job-8', 'reject'], ['job-9', 'ok']);
console.log();

console.log('4. Another crash → restart #3, the last one the strategy allows');
await run(['job-10', 'crash'], ['job-11', 'ok']);
console.log();

console.log('5. One crash too many → stop; the supervisor learns it through death watch');
const stopped = supervisor.ask<string>((replyTo) => ({ type: 'notify-when-stopped', replyTo }), { timeoutMs: 10_000 });
worker.tell({ type: 'job', id: 'job-12', input: 'crash' });
worker.tell({ type: 'job', id: 'job-13', input: 'ok' });
console.log(`  program: notified that ${short(await stopped)} stopped`);
console.log();

console.log('6. restartWithBackoff({ minBackoffMs: 100, maxBackoffMs: 2_000, randomFactor: 0.2 }): a database refuses 4 connections');
const startedAt = performance.now();
const connection = await supervisor.ask<ActorRef<Query>>((replyTo) => ({ type: 'open-connection', replyTo }));
// Sent at once, answered after the last restart: the mailbox survives every restart.
const answer = await connection.ask<string>((replyTo) => ({ type: 'query', sql: 'SELECT 1', replyTo }), { timeoutMs: 10_000 });
console.log(`  query answered after ${Math.round(performance.now() - startedAt)} ms: ${answer}`);
console.log();

await system.terminate();
console.log(`Terminated. Dead letters: ${system.deadLetterCount}.`);

/** Actor paths without the `troupe://supervision/user/` prefix, to keep lines short. */
function short(text: string): string {
  return text.replaceAll(`${system.address}/user/`, '');
}
