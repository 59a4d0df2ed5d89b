import { describe, expect, it } from 'vitest';
import { eventStream } from '../src/event-stream.js';

const brokers = ['127.0.0.1:1'];

describe('eventStream options', () => {
  it('rejects a bufferSize or fetchMaxBytes that is not a positive integer, naming the field', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => eventStream({ brokers, groupId: 'g', bufferSize: bad })).toThrow(/bufferSize must be a positive integer/);
      expect(() => eventStream({ brokers, groupId: 'g', fetchMaxBytes: bad })).toThrow(/fetchMaxBytes must be a positive integer/);
    }
  });

  it('holds nothing before a loop runs', () => {
    expect(eventStream({ brokers, groupId: 'g', bufferSize: 1, fetchMaxBytes: 1 }).buffered).toBe(0);
  });
});
