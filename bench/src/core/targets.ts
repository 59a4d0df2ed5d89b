/** A goal Troupe's figure is held to. */
export interface Target {
  readonly scenario: string;
  readonly comparison: 'at-least' | 'at-most';
  readonly value: number;
}

/** The core targets (set by the project lead); each applies to the Troupe figure of its scenario. */
export const TARGETS: readonly Target[] = [
  { scenario: 'ping-pong', comparison: 'at-least', value: 10_000_000 },
  { scenario: 'ping-pong-1000-children-vs-none', comparison: 'at-least', value: 90 },
  { scenario: 'fan-out-1000-routees', comparison: 'at-least', value: 10_000_000 },
  { scenario: 'ask-sequential', comparison: 'at-least', value: 500_000 },
  { scenario: 'ask-sequential-p99', comparison: 'at-most', value: 10 },
  { scenario: 'ask-100-in-flight', comparison: 'at-least', value: 800_000 },
  { scenario: 'spawn', comparison: 'at-least', value: 1_000_000 },
  { scenario: 'spawn-retained-heap', comparison: 'at-most', value: 400 },
];

/** The target for `scenario`, if it has one. */
export function targetOf(scenario: string): Target | undefined {
  return TARGETS.find((target) => target.scenario === scenario);
}

/** Whether `value` meets `target`. */
export function meets(target: Target, value: number): boolean {
  return target.comparison === 'at-least' ? value >= target.value : value <= target.value;
}
