/**
 * The *Sluice / Memory* dashboard: managed and network memory, heaps, GC, event loops.
 *
 * @module
 */
import { dashboard, INSTANCE, INSTANCE_VARIABLE } from './dashboard-builder.ts';

/** Managed and network memory, V8 heaps, GC, event-loop utilisation. */
export function memoryDashboard(): Record<string, unknown> {
  const perWorker = '{{instance}} {{worker}}';
  return dashboard(
    'sluice-memory',
    'Sluice / Memory',
    'Managed memory, network buffers, V8 heaps, garbage collection and event loops of Sluice pods.',
    [INSTANCE_VARIABLE],
    [
      [
        'Reserved memory',
        [
          {
            title: 'Managed memory used',
            type: 'gauge',
            unit: 'percentunit',
            w: 6,
            min: 0,
            max: 1,
            description:
              'Managed memory in use (state, windows, sorting) as a fraction of taskmanager.memory.managed.size.',
            targets: [
              {
                expr: `max(sluice_memory_Managed_Used{${INSTANCE}} / sluice_memory_Managed_Total{${INSTANCE}})`,
              },
            ],
          },
          {
            title: 'Managed memory',
            unit: 'bytes',
            w: 9,
            description: 'Managed memory in use and reserved at start-up, per pod.',
            targets: [
              { expr: `sluice_memory_Managed_Used{${INSTANCE}}`, legend: 'used {{instance}}' },
              { expr: `sluice_memory_Managed_Total{${INSTANCE}}`, legend: 'total {{instance}}' },
            ],
          },
          {
            title: 'Network buffers in use',
            unit: 'percentunit',
            w: 9,
            min: 0,
            max: 1,
            description: 'Fraction of the network buffer pool segments in use, per pod.',
            targets: [
              {
                expr: `sluice_network_UsedMemorySegments{${INSTANCE}} / sluice_network_TotalMemorySegments{${INSTANCE}}`,
                legend: '{{instance}}',
              },
            ],
          },
        ],
      ],
      [
        'Threads (main and workers)',
        [
          {
            title: 'V8 heap used per thread',
            unit: 'bytes',
            description:
              'V8 heap in use by the main thread and each worker (task slot). Managed memory and network buffers are outside it.',
            stack: true,
            targets: [{ expr: `sluice_worker_heapUsedBytes{${INSTANCE}}`, legend: perWorker }],
          },
          {
            title: 'Event-loop utilisation per thread',
            unit: 'percentunit',
            min: 0,
            max: 1,
            description:
              'Share of time each thread was running code: a worker near 1 is saturated; the main thread should stay low.',
            targets: [
              { expr: `sluice_worker_eventLoopUtilization{${INSTANCE}}`, legend: perWorker },
            ],
          },
          {
            title: 'GC time per thread',
            unit: 'ms',
            description: 'Milliseconds per second each thread spent in garbage collection.',
            targets: [
              {
                expr: `rate(sluice_worker_gcTimeMs_total{${INSTANCE}}[$__rate_interval])`,
                legend: perWorker,
              },
            ],
          },
          {
            title: 'GC runs per thread',
            unit: 'short',
            description: 'Garbage collections per second of each thread.',
            targets: [
              {
                expr: `rate(sluice_worker_gcCount_total{${INSTANCE}}[$__rate_interval])`,
                legend: perWorker,
              },
            ],
          },
        ],
      ],
      [
        'Process',
        [
          {
            title: 'Resident memory',
            unit: 'bytes',
            description:
              "The process's resident memory (RSS): managed memory, network buffers and heaps together; compare with the pod's memory limit (= taskmanager.memory.process.size in the chart).",
            targets: [
              {
                expr: `sluice_process_resident_memory_bytes{${INSTANCE}}`,
                legend: '{{instance}}',
              },
            ],
          },
          {
            title: 'CPU',
            unit: 'short',
            description: 'Cores used by the process (all threads).',
            targets: [
              {
                expr: `rate(sluice_process_cpu_seconds_total{${INSTANCE}}[$__rate_interval])`,
                legend: '{{instance}}',
              },
            ],
          },
        ],
      ],
    ],
  );
}
