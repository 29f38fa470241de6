import { describe, expect, it } from 'vitest';
import { defineJob } from '../../../src/api/define-job.ts';
import type {
  Collector,
  ProcessFunction,
  ProcessFunctionContext,
  RuntimeContext,
} from '../../../src/api/functions.ts';
import { StreamExecutionEnvironment } from '../../../src/api/stream-execution-environment.ts';
import { CollectSink } from '../../../src/connectors/collect/collect-sink.ts';
import { assignKeyToParallelOperator } from '../../../src/types/key-group-range-assignment.ts';

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

const LINES = TEXT.split('\n');

/** The expected counts, computed without the engine. */
function expectedCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of TEXT.toLowerCase().split(/[^a-z']+/)) {
    if (word !== '') counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

type WordCount = [word: string, count: number];

function wordCount(env: StreamExecutionEnvironment) {
  return env
    .fromElements(...LINES)
    .flatMap<WordCount>({
      flatMap(line, out) {
        for (const word of line.toLowerCase().split(/[^a-z']+/))
          if (word !== '') out.collect([word, 1]);
      },
    })
    .keyBy(([word]) => word)
    .sum(1);
}

/** Last rolling count per word, and how many updates each word got. */
function finalCounts(results: WordCount[]): {
  last: Map<string, number>;
  updates: Map<string, number>;
} {
  const last = new Map<string, number>();
  const updates = new Map<string, number>();
  for (const [word, count] of results) {
    expect(count).toBe((last.get(word) ?? 0) + 1); // rolling: 1, 2, 3, ... per word, in order
    last.set(word, count);
    updates.set(word, (updates.get(word) ?? 0) + 1);
  }
  return { last, updates };
}

describe('word count in the local executor', () => {
  for (const parallelism of [1, 2, 4]) {
    it(`gives exact counts at parallelism ${parallelism}`, async () => {
      const env = new StreamExecutionEnvironment({ parallelism });
      const results = await wordCount(env).executeAndCollect();
      const expected = expectedCounts();
      const { last, updates } = finalCounts(results);
      expect(last).toEqual(expected);
      expect(updates).toEqual(expected);
      expect(results).toHaveLength([...expected.values()].reduce((a, b) => a + b, 0));
    });
  }

  it('runs as a job definition with one build per slot, and agrees with the plain run', async () => {
    let builds = 0;
    const results = new CollectSink<WordCount>();
    const job = defineJob(
      (env) => {
        builds++;
        wordCount(env).sinkTo(results);
      },
      { name: 'word count', options: { parallelism: 4 } },
    );
    const result = await job.executeLocal();
    // 4 slots: the planning build runs slot 0; slots 1 to 3 each build the job again, as
    // every worker will. Every build's collect writers report to the planning build's sink.
    expect(builds).toBe(4);
    expect(result.state).toBe('FINISHED');
    expect(finalCounts(results.getResults()).last).toEqual(expectedCounts());
    expect(job.explain().json.name).toBe('word count');
  });

  it('places every word on the subtask of its key group', async () => {
    const results = new CollectSink<[string, number]>();
    // A rich function keeping per-subtask state in `this`: fine with defineJob, where each
    // slot builds its own function objects (as each worker will).
    const job = defineJob(
      (env) => {
        wordCount(env)
          .process<[string, number]>({
            subtask: -1,
            open(ctx: RuntimeContext) {
              this.subtask = ctx.subtaskIndex;
            },
            processElement(
              [word]: WordCount,
              _ctx: ProcessFunctionContext,
              out: Collector<[string, number]>,
            ) {
              out.collect([word, this.subtask]);
            },
          } as ProcessFunction<WordCount, [string, number]> & { subtask: number })
          .sinkTo(results);
      },
      { options: { parallelism: 4 } },
    );
    await job.executeLocal();
    const bySubtask = results.getResults();
    expect(bySubtask.length).toBeGreaterThan(100);
    for (const [word, subtask] of bySubtask)
      expect(subtask).toBe(assignKeyToParallelOperator(word, 128, 4));
  });
});
