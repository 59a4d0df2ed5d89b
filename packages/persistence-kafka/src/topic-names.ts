import { createHash } from 'node:crypto';

/** Kafka's longest topic name. */
const MAX_TOPIC_LENGTH = 249;
const LEGAL = /^[A-Za-z0-9._-]+$/;

/**
 * The topic of a persistence id: `prefix` + the id, where every character outside
 * `[A-Za-z0-9._-]` is replaced by `_` (as akka-persistence-kafka did). Unlike that plugin,
 * an id that needed replacing (or is too long for Kafka) also gets `-` and 8 hex digits of
 * its SHA-256, so `a/b` and `a_b` never share a topic.
 *
 * @example topicFor('journal-', 'counter-1') === 'journal-counter-1'
 * @example topicFor('journal-', 'shard/7')  === 'journal-shard_7-' + 8 hex digits
 */
export function topicFor(prefix: string, persistenceId: string): string {
  if (persistenceId === '') throw new TypeError('topicFor: persistenceId must be a non-empty string');
  const plain = prefix + persistenceId;
  if (LEGAL.test(persistenceId) && plain.length <= MAX_TOPIC_LENGTH && plain !== '.' && plain !== '..') return plain;
  const hash = createHash('sha256').update(persistenceId, 'utf8').digest('hex').slice(0, 8);
  const sanitised = persistenceId.replace(/[^A-Za-z0-9._-]/g, '_');
  const room = MAX_TOPIC_LENGTH - prefix.length - hash.length - 1;
  return `${prefix}${sanitised.slice(0, Math.max(0, room))}-${hash}`;
}

/** Checks a topic prefix or name given in options: Kafka's legal characters only. */
export function checkTopicText(owner: string, field: string, value: string, allowEmpty: boolean): string {
  if (typeof value !== 'string' || (!allowEmpty && value === '') || (value !== '' && !LEGAL.test(value)) || value.length > 200) {
    throw new TypeError(`${owner}: ${field} must be ${allowEmpty ? 'empty or ' : ''}at most 200 of [A-Za-z0-9._-], got ${JSON.stringify(value)}`);
  }
  return value;
}
