/**
 * Child process of kafka-transactional-id.test.ts: plays a journal process that died inside
 * an index transaction. It opens a transaction under `<transactional-id>`, writes one record
 * to `<topic>`, prints `open`, and waits to be SIGKILLed, so the transaction stays undecided
 * on the broker. Its transaction timeout is ten minutes: only a successor's InitProducerId
 * under the same id can abort it within a test's deadline.
 *
 * Usage: node open-transaction-holder.ts <broker> <transactional-id> <topic>
 * Written with erasable TypeScript syntax only, so Node runs it directly.
 */
import { Producer } from '@platformatic/kafka';

const [broker, transactionalId, topic] = process.argv.slice(2);
if (broker === undefined || transactionalId === undefined || topic === undefined) throw new TypeError('usage: open-transaction-holder.ts <broker> <transactional-id> <topic>');

const producer = new Producer({
  clientId: 'open-transaction-holder',
  bootstrapBrokers: [broker],
  idempotent: true,
  acks: -1,
  autocreateTopics: false,
  transactionalId,
  // The transaction timeout (InitProducerId's) is the client's timeout.
  timeout: 600_000,
  producerId: -1n,
  producerEpoch: -1,
});
const transaction = await producer.beginTransaction();
await transaction.send({ messages: [{ topic, partition: 0, key: Buffer.from('holder'), value: Buffer.from('left open') }] });
process.stdout.write('open\n');
// Keeps the process (and the transaction) alive until the parent kills it.
setInterval(() => {}, 60_000);
