import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MiniCluster } from '../../../src/runtime/mini-cluster.ts';
import { fixture, rejectionOf, startCluster } from './cluster-test-kit.ts';
import type { WordCount } from './fixtures/word-count-job.ts';

const TEXT = `To be, or not to be, that is the question:
Whether 'tis nobler in the mind to suffer
The slings and arrows of outrageous fortune,
Or to take arms against a sea of troubles
And by opposing end them. To die-to sleep,
No more; and by a sleep to say we end
The heart-ache and the thousand natural shocks
That flesh is heir to: 'tis a consummation
Devoutly to be wish'd. To die, to sleep;
To sleep, perchance to dream-ay, there's the rub:
For in that sleep of death what dreams may come,
When we have shuffled off this mortal coil,
Must give us pause-there's the respect
That makes calamity of so long life.`;

/** The expected counts, computed without the engine. */
function expectedCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of text.toLowerCase().split(/[^a-z']+/)) {
    if (word !== '') counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** Last rolling count per word; checks that each word's counts go 1, 2, 3, … in order. */
function finalCounts(results: WordCount[]): Map<string, number> {
  const last = new Map<string, number>();
  for (const [word, count] of results) {
    expect(count).toBe((last.get(word) ?? 0) + 1);
    last.set(word, count);
  }
  return last;
}

describe('word count on worker threads', () => {
  let cluster: MiniCluster;
  beforeAll(async () => {
    cluster = await startCluster(4);
  });
  afterAll(async () => {
    await cluster.close();
  });

  for (const parallelism of [1, 2, 4]) {
    it(`gives exact counts at parallelism ${parallelism}, through the network exchange`, async () => {
      const job = await cluster.submit(fixture('word-count-job'), {
        args: { text: TEXT, parallelism },
      });
      const result = await job.result();
      const expected = expectedCounts(TEXT);
      const records = result.records as WordCount[];
      expect(finalCounts(records)).toEqual(expected);
      const total = [...expected.values()].reduce((a, b) => a + b, 0);
      expect(records).toHaveLength(total);
      // Every word crossed the keyBy exchange once.
      const counter = job.plan.json.nodes.find((n) => n.description.startsWith('Count'))!;
      expect(result.numRecordsIn[counter.id]).toBe(total);
      expect(job.getSubtasks()).toHaveLength(parallelism === 1 ? 2 : 1 + 2 * parallelism);
      expect(cluster.getNumberOfRunningWorkers()).toBe(0);
      expect(cluster.networkBufferPool.getNumberOfUsedMemorySegments()).toBe(0);
      expect(cluster.memoryManager.getUsedMemoryBytes()).toBe(0);
    });
  }

  it('a keyed function throwing on record 1,000 fails the job and leaks no segment, page or worker', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => `w${i % 7} x${i % 3} y z`).join('\n');
    const job = await cluster.submit(fixture('word-count-job'), {
      args: { text, parallelism: 2, failOnRecord: 1000 },
    });
    const error = await rejectionOf(job.result());
    expect(error.code).toBe('SLUICE_ERR_OPERATOR_FUNCTION_FAILED');
    expect(error.message).toContain('reduce failed on record 1000');
    expect(error.details).toMatchObject({ vertexName: 'Count -> Sink: Collect', attemptNumber: 0 });
    expect([0, 1]).toContain(error.details?.subtaskIndex);
    expect(job.status).toBe('FAILED');
    expect(cluster.getNumberOfRunningWorkers()).toBe(0);
    expect(cluster.networkBufferPool.getNumberOfUsedMemorySegments()).toBe(0);
    expect(cluster.networkBufferPool.getNumberOfRegisteredBufferPools()).toBe(0);
    expect(cluster.memoryManager.getUsedMemoryBytes()).toBe(0);
  });
});
