/**
 * Samples the calling thread's event-loop utilisation, garbage-collection time and
 * V8 heap, for {@link WorkerMetricsSnapshot}s.
 *
 * Event-loop utilisation (ELU) is `performance.eventLoopUtilization()` between two
 * samples: the fraction of wall-clock time the loop was running code rather than
 * waiting in the poll phase. GC time is the sum of `gc` performance entries
 * observed since the sampler started. Works the same in the main thread and in
 * `worker_threads` workers; each thread creates its own sampler.
 *
 * @remarks Owned by one thread; call {@link ThreadRuntimeSampler.close} when done
 * (it disconnects the GC observer).
 * @module
 */
import { type EventLoopUtilization, PerformanceObserver, performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { WorkerMetricsSnapshot } from './metric-snapshots.ts';

/** Samples one thread's runtime figures; see the module documentation. */
export class ThreadRuntimeSampler {
  private readonly worker: number | string;
  private previous: EventLoopUtilization;
  private gcTimeMs = 0;
  private gcCount = 0;
  private readonly observer: PerformanceObserver;

  /** @param worker - the `worker` label: worker index, or `'main'` */
  constructor(worker: number | string) {
    this.worker = worker;
    this.previous = performance.eventLoopUtilization();
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        this.gcTimeMs += entry.duration;
        this.gcCount++;
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /**
   * Figures since the previous call (ELU) or since construction (GC, cumulative).
   *
   * @returns a snapshot for {@link MetricsSink.updateWorkerSnapshot}
   */
  sample(): WorkerMetricsSnapshot {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, this.previous);
    this.previous = now;
    return {
      worker: this.worker,
      eventLoopUtilization: Number.isFinite(delta.utilization) ? delta.utilization : 0,
      gcTimeMs: this.gcTimeMs,
      gcCount: this.gcCount,
      heapUsedBytes: getHeapStatistics().used_heap_size,
    };
  }

  /** Stops observing garbage collections. */
  close(): void {
    this.observer.disconnect();
  }
}
