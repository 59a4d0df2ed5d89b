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

/** Tag names kept as they are in a tag topic: no `.` and no `_`, so no two plain tag topics collide. */
const PLAIN_TAG = /^[A-Za-z0-9-]+$/;

/**
 * The topic of a tag: `prefix` + the tag when it is made of `[A-Za-z0-9-]` only; otherwise
 * every character outside `[A-Za-z0-9-]` (`.` and `_` included) becomes `_` and `-` plus 8
 * hex digits of the tag's SHA-256 is appended. Kafka refuses to create a topic whose name
 * equals an existing one once `.` is read as `_` ("collides with existing topic"), so tags
 * `a.b` and `a_b` must not be kept as they are: with this rule they get `a_b-<hash of a.b>`
 * and `a_b-<hash of a_b>`, and a plain name holds neither `.` nor `_`.
 *
 * @example tagTopicFor('tag-', 'order-created') === 'tag-order-created'
 * @example tagTopicFor('tag-', 'order.created') === 'tag-order_created-' + 8 hex digits
 */
export function tagTopicFor(prefix: string, tag: string): string {
  if (tag === '') throw new TypeError('tagTopicFor: tag must be a non-empty string');
  const plain = prefix + tag;
  if (PLAIN_TAG.test(tag) && plain.length <= MAX_TOPIC_LENGTH) return plain;
  const hash = createHash('sha256').update(tag, 'utf8').digest('hex').slice(0, 8);
  const sanitised = tag.replace(/[^A-Za-z0-9-]/g, '_');
  const room = MAX_TOPIC_LENGTH - prefix.length - hash.length - 1;
  return `${prefix}${sanitised.slice(0, Math.max(0, room))}-${hash}`;
}

/** The name Kafka compares topics by: `.` and `_` are the same to it (they collide in metric names). */
export function collisionForm(name: string): string {
  return name.replace(/\./g, '_');
}

/** Checks a topic prefix or name given in options: Kafka's legal characters only. */
export function checkTopicText(owner: string, field: string, value: string, allowEmpty: boolean): string {
  if (typeof value !== 'string' || (!allowEmpty && value === '') || (value !== '' && !LEGAL.test(value)) || value.length > 200) {
    throw new TypeError(`${owner}: ${field} must be ${allowEmpty ? 'empty or ' : ''}at most 200 of [A-Za-z0-9._-], got ${JSON.stringify(value)}`);
  }
  return value;
}
