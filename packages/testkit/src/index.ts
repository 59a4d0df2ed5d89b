export { type AwaitConditionOptions, awaitCondition } from './await-condition.js';
export { ManualClock } from './manual-clock.js';
export { TestProbe, type TestProbeOptions } from './test-probe.js';
export { MultiNodeHarness, type MultiNodeHarnessOptions, type NodeHandle } from './multi-node-harness.js';
export { type ProgramResult, type RunNodeProgramOptions, runNodeProgram } from './run-node-program.js';
