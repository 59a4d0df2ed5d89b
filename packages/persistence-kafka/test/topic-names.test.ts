import { describe, expect, it } from 'vitest';
import { tagTopicFor, topicFor } from '../src/topic-names.js';

describe('topicFor', () => {
  it('keeps an id made of Kafka-legal characters as it is, after the prefix', () => {
    expect(topicFor('journal-', 'counter-1.a_B')).toBe('journal-counter-1.a_B');
    expect(topicFor('', 'orders')).toBe('orders');
  });

  it('replaces characters outside [A-Za-z0-9._-] with _ and adds a hash of the id', () => {
    const topic = topicFor('journal-', 'shard/7|émile');
    expect(topic).toMatch(/^journal-shard_7__mile-[0-9a-f]{8}$/);
  });

  it('gives ids that sanitise alike different topics', () => {
    expect(topicFor('j-', 'a/b')).not.toBe(topicFor('j-', 'a_b'));
    expect(topicFor('j-', 'a/b')).not.toBe(topicFor('j-', 'a:b'));
  });

  it('is stable for the same id', () => {
    expect(topicFor('j-', 'x y')).toBe(topicFor('j-', 'x y'));
  });

  it('shortens ids too long for a Kafka topic name to at most 249 characters', () => {
    const topic = topicFor('journal-', 'x'.repeat(400));
    expect(topic.length).toBeLessThanOrEqual(249);
    expect(topic).toMatch(/^journal-x+-[0-9a-f]{8}$/);
    expect(topicFor('journal-', 'x'.repeat(400))).not.toBe(topicFor('journal-', 'x'.repeat(401)));
  });

  it('never yields the illegal names . and ..', () => {
    expect(topicFor('', '.')).toMatch(/^\.-[0-9a-f]{8}$/);
    expect(topicFor('', '..')).toMatch(/^\.\.-[0-9a-f]{8}$/);
  });

  it('refuses an empty persistence id', () => {
    expect(() => topicFor('j-', '')).toThrow(TypeError);
  });
});

describe('tagTopicFor', () => {
  it('keeps a tag made of [A-Za-z0-9-] as it is, after the prefix', () => {
    expect(tagTopicFor('tag-', 'order-Created-1')).toBe('tag-order-Created-1');
  });

  it('hashes a tag holding "." or "_", so tags Kafka would see as colliding get distinct, non-colliding topics', () => {
    const dot = tagTopicFor('tag-', 'order.created');
    const under = tagTopicFor('tag-', 'order_created');
    expect(dot).toMatch(/^tag-order_created-[0-9a-f]{8}$/);
    expect(under).toMatch(/^tag-order_created-[0-9a-f]{8}$/);
    // Kafka compares names with "." read as "_".
    const kafkaForm = (name: string) => name.replace(/\./g, '_');
    expect(kafkaForm(dot)).not.toBe(kafkaForm(under));
    expect(kafkaForm(tagTopicFor('tag-', 'a.b'))).not.toBe(kafkaForm(tagTopicFor('tag-', 'a-b')));
    expect(tagTopicFor('tag-', 'a/b')).not.toBe(tagTopicFor('tag-', 'a_b'));
  });

  it("keeps a long tag within Kafka's 249 characters", () => {
    expect(tagTopicFor('tag-', 'x'.repeat(400)).length).toBeLessThanOrEqual(249);
    expect(tagTopicFor('tag-', 'x'.repeat(400))).not.toBe(tagTopicFor('tag-', 'x'.repeat(401)));
  });

  it('rejects an empty tag', () => {
    expect(() => tagTopicFor('tag-', '')).toThrow(TypeError);
  });
});
