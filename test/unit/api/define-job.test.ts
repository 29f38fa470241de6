import { describe, expect, it } from 'vitest';
import { defineJob, isJobDefinition } from '../../../src/api/define-job.ts';
import type { StreamExecutionEnvironment } from '../../../src/api/stream-execution-environment.ts';
import { Configuration } from '../../../src/config/configuration.ts';
import { CollectSink } from '../../../src/connectors/collect/collect-sink.ts';

describe('defineJob', () => {
  const job = defineJob<{ factor: string }>(
    (env, args) => {
      const factor = Number(args.factor ?? '1');
      env
        .fromSequence(1, 10)
        .map((x) => [x % 2, x * factor] as [number, number])
        .uid('scale')
        .keyBy(([parity]) => parity)
        .sum(1)
        .print();
    },
    { name: 'scaler', options: { parallelism: 2 } },
  );

  it('is recognisable as a module default export', () => {
    expect(isJobDefinition(job)).toBe(true);
    expect(isJobDefinition({})).toBe(false);
    expect(job.kind).toBe('sluice.job');
    expect(job.name).toBe('scaler');
  });

  it('builds the same graph every time', () => {
    const a = job.build({ args: { factor: '3' } }).getJobGraph();
    const b = job.build({ args: { factor: '3' } }).getJobGraph();
    expect(a.fingerprint()).toBe(b.fingerprint());
    expect(a.jobId).toBe(b.jobId);
    expect(a.jobName).toBe('scaler');
  });

  it('takes settings from a Flink-style configuration; explicit options win', () => {
    const configuration = new Configuration()
      .setRaw('parallelism.default', '3')
      .setRaw('pipeline.max-parallelism', '64')
      .setRaw('execution.buffer-timeout', '5 ms')
      .setRaw('pipeline.operator-chaining.enabled', 'false')
      .setRaw('pipeline.name', 'from config');
    const env = defineJob((e) => void e.fromElements(1).print()).build({ configuration });
    expect(env.getOptions()).toMatchObject({
      parallelism: 3,
      maxParallelism: 64,
      bufferTimeoutMs: 5,
      chainingEnabled: false,
      jobName: 'from config',
    });
    expect(env.getOptions().numberOfTaskSlots).toBeUndefined();
    const pinned = defineJob((e) => void e.fromElements(1).print(), {
      options: { parallelism: 1 },
    }).build({
      configuration,
    });
    expect(pinned.getParallelism()).toBe(1);
  });

  it('rejects an asynchronous builder', () => {
    const asyncJob = defineJob((async (env: StreamExecutionEnvironment) => {
      env.fromElements(1).print();
    }) as unknown as Parameters<typeof defineJob>[0]);
    expect(() => asyncJob.build()).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_API_INVALID_USE',
        message: expect.stringContaining('synchronously'),
      }),
    );
  });

  it('detects a builder that builds a different graph for another slot', async () => {
    let call = 0;
    const flaky = defineJob(
      (env) => {
        call++;
        env
          .fromSequence(1, 4)
          .map((x) => x)
          .setParallelism(call === 1 ? 2 : 1)
          .print();
      },
      { options: { parallelism: 2 } },
    );
    await expect(flaky.executeLocal()).rejects.toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_GRAPH_NONDETERMINISTIC',
        message: expect.stringContaining('for slot 1'),
      }),
    );
  });

  it('collects from a stream of a built job, every slot with its own build', async () => {
    let builds = 0;
    const env = defineJob(
      (e) => {
        builds++;
        e.fromSequence(1, 6)
          .map((x) => x * 2)
          .name('double')
          .print();
      },
      { options: { parallelism: 3 } },
    ).build();
    const double = env
      .getStreamGraph()
      .getStreamNodes()
      .find((n) => n.name === 'double')!;
    const results = await env.streamOf<number>(double.id).executeAndCollect();
    expect(results.sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(builds).toBe(3); // the build above, and one per extra slot
  });

  it('routes every slot build to the planning build sinks', async () => {
    const sink = new CollectSink<number>();
    await defineJob((e) => void e.fromSequence(1, 100).sinkTo(sink), {
      options: { parallelism: 4 },
    }).executeLocal();
    expect(sink.getResultsBySubtask().map((r) => r.length)).toEqual([25, 25, 25, 25]);
  });
});
