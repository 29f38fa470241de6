/**
 * A source of Nexmark events generated in the job itself, without Kafka (Flink nexmark's
 * `NexmarkSource`): bounded to a number of events, or endless; optionally paced.
 *
 * ```ts
 * env.fromSource(
 *   new NexmarkSource({ events: 1_000_000, generator: { seed: 7 } }),
 *   WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(4000)
 *     .withTimestampAssigner(eventTimestamp),
 *   'nexmark',
 * );
 * ```
 *
 * Subtask i of p generates the event numbers `i, i + p, i + 2p, …` (the
 * {@link DataGeneratorSource} split): together the subtasks emit exactly the events a
 * loader writes to Kafka for the same seed and options. Records carry no timestamp of
 * their own: assign `eventTimestamp` in the watermark strategy.
 *
 * @remarks Declared on every thread that builds the job; the generator (and its text
 * pools) is made in each reader's `open`, on the worker that owns the subtask.
 * @module
 */
import { Type } from 'typebox';
import type {
  Boundedness,
  Source,
  SourceReader,
  SourceReaderContext,
} from '../../api/connector/source.ts';
import { compileOptions } from '../../config/validate.ts';
import { DataGeneratorSource } from '../datagen/data-generator-source.ts';
import { NexmarkGenerator } from './nexmark-generator.ts';
import {
  type NexmarkGeneratorOptions,
  resolveNexmarkGeneratorOptions,
} from './nexmark-generator-options.ts';
import type { NexmarkEvent } from './nexmark-model.ts';

/** Options of {@link NexmarkSource}. */
export interface NexmarkSourceOptions {
  /**
   * Number of events over all subtasks; `Infinity` for an endless source.
   * @defaultValue 1000000 events
   */
  events: number;
  /**
   * Events emitted per second of wall-clock time over all subtasks; unset = as fast as
   * downstream takes them. Independent of the generator's `firstEventRate`, which spaces
   * the event timestamps.
   * @defaultValue `undefined` (unlimited), events/s
   */
  eventsPerSecond?: number | undefined;
  /** Generator options (seed, rate of event time, proportions, …). @defaultValue Beam's */
  generator?: Partial<NexmarkGeneratorOptions> | undefined;
}

/** Defaults of {@link NexmarkSourceOptions}. */
export const defaultNexmarkSourceOptions: Readonly<NexmarkSourceOptions> = Object.freeze({
  events: 1_000_000,
});

const validate = compileOptions(
  Type.Object({
    events: Type.Integer({ minimum: 0 }),
    eventsPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    generator: Type.Optional(Type.Object({})),
  }),
  'NexmarkSource',
);

/** See the module documentation. */
export class NexmarkSource implements Source<NexmarkEvent> {
  readonly boundedness: Boundedness;
  readonly options: Readonly<NexmarkSourceOptions>;
  private readonly inner: DataGeneratorSource<NexmarkEvent>;

  /**
   * @param options - event count, pacing, generator options
   * @throws SLUICE_ERR_CONFIG_INVALID naming an invalid option (also of the generator)
   */
  constructor(options: Partial<NexmarkSourceOptions> = {}) {
    const merged = { ...defaultNexmarkSourceOptions, ...options };
    validate(merged.events === Number.POSITIVE_INFINITY ? { ...merged, events: 0 } : merged);
    const generatorOptions = resolveNexmarkGeneratorOptions(merged.generator);
    this.options = Object.freeze({ ...merged, generator: generatorOptions });
    let generator: NexmarkGenerator | undefined;
    this.inner = new DataGeneratorSource<NexmarkEvent>(
      {
        open: () => {
          generator = new NexmarkGenerator(generatorOptions);
        },
        map: (index) => (generator as NexmarkGenerator).event(index),
      },
      merged.events,
      merged.eventsPerSecond === undefined ? {} : { recordsPerSecond: merged.eventsPerSecond },
    );
    this.boundedness = this.inner.boundedness;
  }

  createReader(context: SourceReaderContext): SourceReader<NexmarkEvent> {
    return this.inner.createReader(context);
  }
}
