import { ManualClock } from '@troupe/testkit';
import { describe, expect, it } from 'vitest';
import { heartbeatTargets } from '../src/failure-detector/heartbeat-targets.js';
import { PhiAccrualFailureDetector, phiOf } from '../src/failure-detector/phi-accrual-failure-detector.js';

const settings = { threshold: 8, maxSampleSize: 1000, minStdDeviationMs: 100, acceptableHeartbeatPauseMs: 3000, firstHeartbeatEstimateMs: 1000 };

describe('PhiAccrualFailureDetector', () => {
  it('is available before the first heartbeat and right after regular heartbeats', () => {
    const clock = new ManualClock();
    const fd = new PhiAccrualFailureDetector(settings);
    expect(fd.isAvailable(clock.now())).toBe(true);
    for (let i = 0; i < 10; i++) {
      fd.heartbeat(clock.now());
      clock.advance(1000);
    }
    expect(fd.isAvailable(clock.now())).toBe(true);
    expect(fd.phi(clock.now())).toBeLessThan(1);
  });

  it('suspects a silent node after interval + acceptable pause, as Akka does (~5.5 s with these settings)', () => {
    const clock = new ManualClock();
    const fd = new PhiAccrualFailureDetector(settings);
    for (let i = 0; i < 10; i++) {
      fd.heartbeat(clock.now());
      clock.advance(1000);
    }
    clock.advance(2000); // 3 s of silence
    expect(fd.isAvailable(clock.now())).toBe(true);
    let silentFor = 3000;
    while (fd.isAvailable(clock.now())) {
      clock.advance(100);
      silentFor += 100;
    }
    expect(silentFor).toBeGreaterThan(4000);
    expect(silentFor).toBeLessThan(6000);
  });

  it('grows phi monotonically with silence', () => {
    expect(phiOf(500, 1000, 100)).toBeLessThan(phiOf(1000, 1000, 100));
    expect(phiOf(1000, 1000, 100)).toBeLessThan(phiOf(1500, 1000, 100));
  });
});

describe('heartbeatTargets', () => {
  const nodes = Array.from({ length: 8 }, (_, i) => `troupe://t@127.0.0.1:${2000 + i}#x`);

  it('monitors the next k ring neighbours, so each node watches a bounded set', () => {
    const targets = heartbeatTargets(nodes[6] as string, nodes, new Set(), 3);
    expect(targets).toEqual([nodes[7], nodes[0], nodes[1]]);
  });

  it('keeps an unreachable neighbour and adds one more so k reachable peers stay watched', () => {
    const targets = heartbeatTargets(nodes[0] as string, nodes, new Set([nodes[1] as string]), 2);
    expect(targets).toEqual([nodes[1], nodes[2], nodes[3]]);
  });

  it('each node is monitored by exactly k others', () => {
    const counts = new Map<string, number>();
    for (const self of nodes) for (const t of heartbeatTargets(self, nodes, new Set(), 3)) counts.set(t, (counts.get(t) ?? 0) + 1);
    expect([...counts.values()].every((c) => c === 3)).toBe(true);
  });
});
