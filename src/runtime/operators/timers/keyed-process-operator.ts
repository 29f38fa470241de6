import type {
  Key,
  KeyedProcessFunction,
  KeySelector,
  OnTimerContext,
  TimeDomain,
  TimerService,
} from '../../../api/functions.ts';
import { createKeyedRuntimeContext } from '../../state/keyed-runtime-context.ts';
import { ManagedKeyedStateBackend } from '../../state/managed-keyed-state-backend.ts';
import { AbstractUdfStreamOperator } from '../abstract-udf-stream-operator.ts';
import type { OperatorMetrics, StreamOperatorParameters } from '../stream-operator.ts';
import { InternalTimerService, type Triggerable } from './internal-timer-service.ts';
import { VoidNamespaceSerializer } from './void-namespace-serializer.ts';

/**
 * Runs a {@link KeyedProcessFunction} (Flink's `KeyedProcessOperator`): per record it sets
 * the record's key as the current key of the keyed state backend, then calls
 * `processElement`; timers registered through `ctx.timerService()` live in an
 * {@link InternalTimerService} and call `onTimer` with their key current, event-time
 * timers when the watermark passes them (before the watermark is forwarded),
 * processing-time timers when the wall clock does.
 *
 * Output timestamps: records emitted by `processElement` keep the input record's;
 * from an event-time timer they carry the timer's timestamp; from a processing-time
 * timer none (as Flink).
 *
 * @throws SLUICE_ERR_OPERATOR_FUNCTION_FAILED when the key selector or user function throws
 * @throws SLUICE_ERR_STATE_MEMORY_EXHAUSTED when state or timers exceed managed memory
 * @remarks One instance per subtask, owned by its task thread.
 */
export class KeyedProcessOperator<K extends Key, I, O>
  extends AbstractUdfStreamOperator<I, O, KeyedProcessFunction<K, I, O>>
  implements Triggerable<undefined>
{
  private readonly keySelector: KeySelector<I, K>;
  private backend!: ManagedKeyedStateBackend;
  private timers!: InternalTimerService<undefined>;
  private context!: OnTimerContext<K>;
  private timeDomain: TimeDomain = 'EVENT_TIME';

  /**
   * @param operatorName - name for plans and errors
   * @param processFunction - the user function
   * @param keySelector - the key selector of the `keyBy` before this operator
   */
  constructor(
    operatorName: string,
    processFunction: KeyedProcessFunction<K, I, O>,
    keySelector: KeySelector<I, K>,
  ) {
    super(operatorName, processFunction);
    this.keySelector = keySelector;
  }

  override setup(parameters: StreamOperatorParameters<O>): void {
    super.setup(parameters);
    const element = parameters.elementContext;
    const timerService: TimerService = {
      currentProcessingTime: () => this.timers.currentProcessingTime(),
      currentWatermark: () => this.timers.currentWatermark,
      registerEventTimeTimer: (time) => this.timers.registerEventTimeTimer(undefined, time),
      registerProcessingTimeTimer: (time) =>
        this.timers.registerProcessingTimeTimer(undefined, time),
      deleteEventTimeTimer: (time) => this.timers.deleteEventTimeTimer(undefined, time),
      deleteProcessingTimeTimer: (time) => this.timers.deleteProcessingTimeTimer(undefined, time),
    };
    this.context = {
      timestamp: () => (element.hasTimestamp ? element.timestamp : undefined),
      timerService: () => timerService,
      output: (tag, value) => this.sideOutputs.get(tag.id)?.collect(value),
      getCurrentKey: () => this.backend.getCurrentKey() as K,
      timeDomain: () => this.timeDomain,
    };
  }

  override async open(): Promise<void> {
    this.backend = requireManagedBackend(this.keyedStateBackend, this.operatorName);
    this.timers = new InternalTimerService(
      'user-timers',
      this.backend,
      VoidNamespaceSerializer.INSTANCE,
      this.processingTimeService,
      this,
    );
    const fn = this.userFunction;
    if (typeof fn.open !== 'function') return;
    try {
      await fn.open(createKeyedRuntimeContext(this.runtimeContext, this.backend));
    } catch (error) {
      throw this.failed(error, 'open');
    }
  }

  processElement(record: I): void {
    try {
      this.backend.setCurrentKey(this.keySelector.getKey(record));
      this.userFunction.processElement(record, this.context, this.output);
    } catch (error) {
      throw this.failed(error, 'processElement');
    }
  }

  override processWatermark(watermark: number): void {
    this.timers.advanceWatermark(watermark);
    this.output.emitWatermark(watermark);
  }

  onEventTime(timestamp: number): void {
    const element = this.elementContext;
    element.timestamp = timestamp;
    element.hasTimestamp = true;
    this.timeDomain = 'EVENT_TIME';
    this.fire(timestamp);
  }

  onProcessingTime(timestamp: number): void {
    this.elementContext.hasTimestamp = false;
    this.timeDomain = 'PROCESSING_TIME';
    this.fire(timestamp);
  }

  override async close(): Promise<void> {
    this.timers?.close();
    await super.close();
  }

  getMetrics(): OperatorMetrics {
    return {
      currentInputWatermark: this.timers?.currentWatermark,
      stateSizeBytes: this.backend?.stateSizeBytes(),
      managedMemoryBytes: this.backend?.managedMemoryBytes(),
      stateEntries: this.backend?.numEntries(),
    };
  }

  private fire(timestamp: number): void {
    const onTimer = this.userFunction.onTimer;
    if (onTimer === undefined) return;
    try {
      onTimer.call(this.userFunction, timestamp, this.context, this.output);
    } catch (error) {
      throw this.failed(error, 'onTimer');
    }
  }
}

/**
 * The operator's keyed state backend as the managed backend that timers and namespaced
 * state need.
 *
 * @throws TypeError when the operator is not keyed or got another backend
 */
export function requireManagedBackend(
  backend: unknown,
  operatorName: string,
): ManagedKeyedStateBackend {
  if (backend instanceof ManagedKeyedStateBackend) return backend;
  throw new TypeError(
    `operator "${operatorName}" needs keyed state in managed memory but got ${backend === undefined ? 'no keyed state backend; it must follow keyBy()' : 'another backend'}`,
  );
}
