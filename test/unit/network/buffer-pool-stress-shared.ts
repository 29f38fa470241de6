/** Types and shared-word positions of the buffer pool stress test and its worker. */
import type { NetworkBufferPoolHandle } from '../../../src/network/network-buffer-pool.ts';

export interface StressWorkerData {
  handle: NetworkBufferPoolHandle;
  /** This worker's number: 0 or 1. */
  me: number;
  /** Request/recycle pairs to complete. */
  operations: number;
  /** Int32Array: stats, done flags, then the holder map (references per segment). */
  shared: SharedArrayBuffer;
  /** Rings: [0] into worker 0, [1] into worker 1. */
  rings: [SharedArrayBuffer, SharedArrayBuffer];
}

export interface StressWorkerResult {
  me: number;
  poolId: number;
  operations: number;
  handedOver: number;
  broadcasts: number;
  received: number;
  waits: number;
  futuresCreated: number;
  futuresResolved: number;
  pendingAfterDestroy: boolean;
  maxUsage: number;
}

// Shared words; the holder map (one word per segment) follows at SHARED_HEADER.
export const S_VIOLATIONS = 0;
export const S_DONE = 1;
export const S_CORRUPTIONS = 2;
/** Progress of worker w at S_PROGRESS + w (for diagnosing a hang). */
export const S_PROGRESS = 4;
/** What worker w is doing at S_PHASE + w: 1 running, 2/3 waiting, 4/5 draining after its part. */
export const S_PHASE = 6;
export const SHARED_HEADER = 8;

export const RING_CAPACITY = 64;
