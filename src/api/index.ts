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
  AggregatingState,
  ListState,
  MapState,
  ReducingState,
  ValueState,
} from '../runtime/state/keyed-state.ts';
export {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  type StateTtlConfig,
  ValueStateDescriptor,
} from '../runtime/state/state-descriptor.ts';
export { JsonSerializer } from '../types/json-serializer.ts';
export {
  BooleanSerializer,
  Float64Serializer,
  Int32Serializer,
  Int64Serializer,
  StringSerializer,
} from '../types/primitive-serializers.ts';
export { RowSerializer } from '../types/row-serializer.ts';
export { type TupleOf, TupleSerializer } from '../types/tuple-serializer.ts';
export { TypeInformation } from '../types/type-information.ts';
export { type FieldTypeInformation, Types } from '../types/types.ts';
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
export { OutputTag } from './output-tag.ts';
export {
  type LocalExecutionOptions,
  StreamExecutionEnvironment,
  type StreamExecutionEnvironmentOptions,
} from './stream-execution-environment.ts';
export {
  type TimestampAssigner,
  type TimestampAssignerLike,
  type WatermarkGenerator,
  type WatermarkGeneratorContext,
  type WatermarkOutput,
  WatermarkStrategy,
} from './watermark-strategy.ts';
export {
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
} from './windowing/session-windows.ts';
export {
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
} from './windowing/sliding-windows.ts';
export { TimeWindow, TimeWindowSerializer, type Window } from './windowing/time-window.ts';
export {
  EventTimeTrigger,
  ProcessingTimeTrigger,
  type Trigger,
  type TriggerContext,
  TriggerResult,
} from './windowing/trigger.ts';
export {
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
} from './windowing/tumbling-windows.ts';
export {
  MergingWindowAssigner,
  WindowAssigner,
  type WindowAssignerContext,
} from './windowing/window-assigner.ts';
export type {
  ProcessWindowFunction,
  ProcessWindowFunctionContext,
  ProcessWindowFunctionLike,
} from './windowing/window-functions.ts';
export { type WindowAggregateFunction, WindowedStream } from './windowing/windowed-stream.ts';
