/**
 * The public DataStream API: what a job module imports.
 *
 * ```ts
 * import { defineJob, WatermarkStrategy, DataGeneratorSource } from '<sluice>/src/api/index.ts';
 * ```
 */

export { CollectSink } from '../connectors/collect/collect-sink.ts';
export { CollectionSource } from '../connectors/collection/collection-source.ts';
export {
  DataGeneratorSource,
  type DataGeneratorSourceOptions,
  type GeneratorFunction,
} from '../connectors/datagen/data-generator-source.ts';
export { DiscardingSink } from '../connectors/discard/discarding-sink.ts';
export { PrintSink, type PrintSinkOptions } from '../connectors/print/print-sink.ts';
export type { Explanation, JobPlanJson } from '../graph/json-plan-generator.ts';
export type {
  Sink,
  SinkWriter,
  SinkWriterContext,
  SinkWriterElementContext,
} from './connector/sink.ts';
export {
  type Boundedness,
  InputStatus,
  type ReaderOutput,
  type Source,
  type SourceReader,
  type SourceReaderContext,
} from './connector/source.ts';
export {
  DataStream,
  DataStreamSource,
  KeyedStream,
  SingleOutputStreamOperator,
} from './data-stream.ts';
export { DataStreamSink } from './data-stream-sink.ts';
export {
  defineJob,
  isJobDefinition,
  type JobArguments,
  type JobBuilder,
  type JobBuildOptions,
  type JobDefinition,
} from './define-job.ts';
export type * from './functions.ts';
export { InvalidApiUseError } from './invalid-api-use-error.ts';
export {
  type JobExecutionResult,
  LocalExecutor,
  type LocalExecutorOptions,
} from './local/local-executor.ts';
export {
  type LocalExecutionOptions,
  StreamExecutionEnvironment,
  type StreamExecutionEnvironmentOptions,
} from './stream-execution-environment.ts';
export { WatermarkStrategy } from './watermark-strategy.ts';
