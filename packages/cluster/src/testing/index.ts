/**
 * `@troupe/cluster/testing`: switches for tests that a production node never needs,
 * kept off the public `Cluster` class.
 */
export { healPartitions, partitionFrom } from './network-partition.js';
export { QUICK_FAILURE_DETECTION } from './quick-failure-detection.js';
