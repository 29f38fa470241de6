import { describe, expect, it } from 'vitest';
import {
  CheckpointBarrierHandler,
  type CheckpointBarrierListener,
} from '../../../../src/runtime/io/checkpoint-barrier-handler.ts';
import type { StreamTaskNetworkInput } from '../../../../src/runtime/io/stream-task-network-input.ts';
import { CheckpointBarrier } from '../../../../src/types/stream-element.ts';

/** A network input that records which of its channels are blocked. */
function fakeInput(channels: number) {
  const blocked = new Set<number>();
  const input = {
    gate: { numberOfInputChannels: channels },
    blockChannel: (c: number) => blocked.add(c),
    resumeAllChannels: () => blocked.clear(),
  };
  return { input: input as unknown as StreamTaskNetworkInput<unknown>, blocked };
}

function recorder() {
  const events: string[] = [];
  const listener: CheckpointBarrierListener = {
    triggerCheckpointOnBarrier: (barrier, alignmentMs) =>
      events.push(`trigger ${barrier.checkpointId} after ${alignmentMs} ms`),
    abortCheckpointOnBarrier: (id) => events.push(`abort ${id}`),
  };
  return { events, listener };
}

describe('CheckpointBarrierHandler (aligned barriers)', () => {
  it('blocks each channel at its barrier and triggers once every channel of every input delivered it', () => {
    const a = fakeInput(2);
    const b = fakeInput(1);
    const { events, listener } = recorder();
    let now = 1000;
    const handler = new CheckpointBarrierHandler([a.input, b.input], [0, 2], listener, () => now);
    const barrier = new CheckpointBarrier(1, 500);
    handler.processBarrier(barrier, 0, 1);
    expect([...a.blocked]).toEqual([1]);
    expect(handler.alignedCheckpointId).toBe(1);
    now = 1007;
    handler.processBarrier(barrier, 1, 0);
    expect([...b.blocked]).toEqual([0]);
    expect(events).toEqual([]);
    now = 1012;
    handler.processBarrier(barrier, 0, 0);
    expect(events).toEqual(['trigger 1 after 12 ms']);
    expect(a.blocked.size + b.blocked.size).toBe(0);
    expect(handler.lastAlignmentDurationMs).toBe(12);
    expect(handler.alignedCheckpointId).toBe(-1);
  });

  it('a single channel triggers at once, without blocking', () => {
    const a = fakeInput(1);
    const { events, listener } = recorder();
    const handler = new CheckpointBarrierHandler([a.input], [0], listener, () => 0);
    handler.processBarrier(new CheckpointBarrier(3, 0), 0, 0);
    expect(events).toEqual(['trigger 3 after 0 ms']);
    expect(a.blocked.size).toBe(0);
  });

  it('finished channels are not waited for, also when they end during the alignment', () => {
    const a = fakeInput(3);
    const { events, listener } = recorder();
    const handler = new CheckpointBarrierHandler([a.input], [0], listener, () => 0);
    handler.channelEnded(2);
    handler.processBarrier(new CheckpointBarrier(1, 0), 0, 0);
    expect(events).toEqual([]);
    handler.channelEnded(1); // ended instead of sending barrier 1
    expect(events).toEqual(['trigger 1 after 0 ms']);
    expect(a.blocked.size).toBe(0);
  });

  it('a newer barrier aborts the alignment in progress; stragglers of the aborted one are ignored', () => {
    const a = fakeInput(2);
    const { events, listener } = recorder();
    const handler = new CheckpointBarrierHandler([a.input], [0], listener, () => 0);
    handler.processBarrier(new CheckpointBarrier(1, 0), 0, 0);
    handler.processBarrier(new CheckpointBarrier(2, 0), 0, 1);
    expect(events).toEqual(['abort 1']);
    expect([...a.blocked]).toEqual([1]);
    handler.processBarrier(new CheckpointBarrier(1, 0), 0, 0); // late barrier 1: ignored
    expect([...a.blocked]).toEqual([1]);
    handler.processBarrier(new CheckpointBarrier(2, 0), 0, 0);
    expect(events).toEqual(['abort 1', 'trigger 2 after 0 ms']);
    expect(a.blocked.size).toBe(0);
  });

  it('a repeated barrier on a channel counts once', () => {
    const a = fakeInput(2);
    const { events, listener } = recorder();
    const handler = new CheckpointBarrierHandler([a.input], [0], listener, () => 0);
    handler.processBarrier(new CheckpointBarrier(1, 0), 0, 0);
    handler.processBarrier(new CheckpointBarrier(1, 0), 0, 0);
    expect(events).toEqual([]);
    handler.processBarrier(new CheckpointBarrier(1, 0), 0, 1);
    expect(events).toEqual(['trigger 1 after 0 ms']);
  });
});
