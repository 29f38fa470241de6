/**
 * Pure functions that turn raw back-pressure figures into Flink's back-pressure
 * levels and into Sluice's flow-control verdict: which vertex is the bottleneck.
 *
 * The rule is Flink's advice for reading its web UI, made mechanical: back pressure
 * travels upstream from the slowest operator, so the bottleneck is the vertex that is
 * **busy and not back-pressured while (one of) its upstream vertices is
 * back-pressured**. Per subtask, so that one hot key (skew) is found as well as an
 * evenly overloaded operator.
 *
 * ```
 *   source ──► map ──► window ──► sink
 *   bp 0.9     bp 0.8   busy 0.97   idle 0.9
 *   (waits)    (waits)  bp 0.0      ▲
 *                       └─ bottleneck: busy, not back-pressured, upstream waits
 * ```
 *
 * No I/O, no clocks: the answer depends only on the sample, so it is unit-tested
 * directly and computed the same way for every Dispatcher implementation.
 *
 * @module
 */
import type {
  BackPressureLevel,
  BackPressureSample,
  BottleneckVertex,
  FlowEdge,
  FlowInfo,
  FlowSample,
  FlowSubtaskSample,
  FlowVerdict,
  FlowVertex,
  JobVertexBackPressureInfo,
  VertexRatios,
} from './schemas/flow.ts';

/** Flink's upper bound of the `ok` level (`JobVertexBackPressureHandler`). */
export const BACKPRESSURE_OK_MAX_RATIO = 0.1;
/** Flink's upper bound of the `low` level; above it the level is `high`. */
export const BACKPRESSURE_LOW_MAX_RATIO = 0.5;

/** Thresholds of {@link analyzeFlow}. */
export interface FlowThresholds {
  /**
   * A subtask whose back-pressured ratio exceeds this is back-pressured.
   * @defaultValue 0.1 (Flink's `ok` bound)
   */
  backPressuredRatio: number;
  /**
   * A subtask whose busy ratio is at least this is busy.
   * @defaultValue 0.5
   */
  busyRatio: number;
}

/** Default {@link FlowThresholds}. */
export const defaultFlowThresholds: Readonly<FlowThresholds> = Object.freeze({
  backPressuredRatio: BACKPRESSURE_OK_MAX_RATIO,
  busyRatio: 0.5,
});

/**
 * Flink's back-pressure level of a ratio: `ok` ≤ 0.10 < `low` ≤ 0.50 < `high`.
 *
 * @param ratio - back-pressured time / wall-clock time, in [0, 1]
 * @returns the level; NaN counts as `ok`
 */
export function backpressureLevel(ratio: number): BackPressureLevel {
  if (!(ratio > BACKPRESSURE_OK_MAX_RATIO)) return 'ok';
  return ratio <= BACKPRESSURE_LOW_MAX_RATIO ? 'low' : 'high';
}

/** Clamps a ratio into [0, 1]; NaN and negatives become 0. */
function clampRatio(value: number): number {
  if (!(value > 0)) return 0;
  return value > 1 ? 1 : value;
}

/**
 * Builds Flink's `JobVertexBackPressureInfo` from a sample.
 *
 * The vertex level is the level of its most back-pressured subtask, as in Flink.
 *
 * @param sample - the Dispatcher's figures, or `null` before the first sample
 * @returns `{status: 'deprecated'}` without a sample (Flink's answer while no
 *   figures exist), else `{status: 'ok', backpressure-level, end-timestamp, subtasks}`
 */
export function backPressureInfo(sample: BackPressureSample | null): JobVertexBackPressureInfo {
  if (sample === null) return { status: 'deprecated' };
  let max = 0;
  const subtasks = sample.subtasks.map((s) => {
    const ratio = clampRatio(s.backPressuredRatio);
    if (ratio > max) max = ratio;
    return {
      subtask: s.subtask,
      'attempt-number': 0,
      'backpressure-level': backpressureLevel(ratio),
      ratio,
      idleRatio: clampRatio(s.idleRatio),
      busyRatio: clampRatio(s.busyRatio),
    };
  });
  return {
    status: 'ok',
    'backpressure-level': backpressureLevel(max),
    'end-timestamp': sample.endTimestamp,
    subtasks,
  };
}

/** Worst-subtask figures: maximum back pressure and busyness, minimum idleness. */
function vertexRatios(subtasks: readonly FlowSubtaskSample[]): VertexRatios {
  if (subtasks.length === 0) return { backPressuredRatio: 0, busyRatio: 0, idleRatio: 1 };
  let bp = 0;
  let busy = 0;
  let idle = 1;
  for (const s of subtasks) {
    bp = Math.max(bp, clampRatio(s.backPressuredRatio));
    busy = Math.max(busy, clampRatio(s.busyRatio));
    idle = Math.min(idle, clampRatio(s.idleRatio));
  }
  return { backPressuredRatio: bp, busyRatio: busy, idleRatio: idle };
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)} %`;
}

/**
 * Analyses a flow sample: per-vertex levels, channels enriched with the pool usage
 * at both ends, and the bottleneck verdict.
 *
 * A vertex is a bottleneck candidate when at least one of its subtasks is busy
 * (`busyRatio ≥ thresholds.busyRatio`) and not back-pressured
 * (`backPressuredRatio ≤ thresholds.backPressuredRatio`), and at least one upstream
 * vertex is back-pressured (its worst subtask above the threshold). Candidates are
 * ranked by the busy ratio of their hottest such subtask, then by blocked input
 * channels (credit 0, backlog > 0); the first is the bottleneck.
 *
 * @param sample - the Dispatcher's figures for one job
 * @param thresholds - see {@link FlowThresholds}
 * @returns the body of `GET /jobs/{jobid}/flow`
 */
export function analyzeFlow(
  sample: FlowSample,
  thresholds: FlowThresholds = defaultFlowThresholds,
): FlowInfo {
  const subtasksByVertex = new Map<string, Map<number, FlowSubtaskSample>>();
  const ratiosByVertex = new Map<string, VertexRatios>();
  const vertices: FlowVertex[] = sample.vertices.map((v) => {
    subtasksByVertex.set(v.id, new Map(v.subtasks.map((s) => [s.subtask, s])));
    const ratios = vertexRatios(v.subtasks);
    ratiosByVertex.set(v.id, ratios);
    return {
      id: v.id,
      name: v.name,
      parallelism: v.parallelism,
      ...ratios,
      'backpressure-level': backpressureLevel(ratios.backPressuredRatio),
      subtasks: v.subtasks.map((s) => ({
        ...s,
        backPressuredRatio: clampRatio(s.backPressuredRatio),
        idleRatio: clampRatio(s.idleRatio),
        busyRatio: clampRatio(s.busyRatio),
        'backpressure-level': backpressureLevel(clampRatio(s.backPressuredRatio)),
      })),
    };
  });
  const none: VertexRatios = { backPressuredRatio: 0, busyRatio: 0, idleRatio: 1 };
  const blockedInputs = new Map<string, number>();
  const edges: FlowEdge[] = sample.edges.map((e) => {
    const senders = subtasksByVertex.get(e.source);
    const receivers = subtasksByVertex.get(e.target);
    let blockedChannels = 0;
    const channels = e.channels.map((c) => {
      const blocked = c.credit <= 0 && c.backlog > 0;
      if (blocked) blockedChannels++;
      return {
        ...c,
        senderOutPoolUsage: senders?.get(c.sourceSubtask)?.outPoolUsage ?? 0,
        receiverInPoolUsage: receivers?.get(c.targetSubtask)?.inPoolUsage ?? 0,
        blocked,
      };
    });
    blockedInputs.set(e.target, (blockedInputs.get(e.target) ?? 0) + blockedChannels);
    return {
      source: e.source,
      target: e.target,
      shipStrategy: e.shipStrategy,
      sourceRatios: ratiosByVertex.get(e.source) ?? none,
      targetRatios: ratiosByVertex.get(e.target) ?? none,
      blockedChannels,
      channels,
    };
  });
  const verdict = decide(sample, vertices, ratiosByVertex, blockedInputs, thresholds);
  return { jid: sample.jid, timestamp: sample.timestamp, vertices, edges, verdict };
}

function decide(
  sample: FlowSample,
  vertices: readonly FlowVertex[],
  ratiosByVertex: ReadonlyMap<string, VertexRatios>,
  blockedInputs: ReadonlyMap<string, number>,
  thresholds: FlowThresholds,
): FlowVerdict {
  const isBackPressured = (id: string): boolean =>
    (ratiosByVertex.get(id)?.backPressuredRatio ?? 0) > thresholds.backPressuredRatio;
  const candidates: BottleneckVertex[] = [];
  for (const v of vertices) {
    const upstream = [
      ...new Set(sample.edges.filter((e) => e.target === v.id).map((e) => e.source)),
    ].filter(isBackPressured);
    if (upstream.length === 0) continue;
    const hot = v.subtasks.filter(
      (s) =>
        s.busyRatio >= thresholds.busyRatio &&
        s.backPressuredRatio <= thresholds.backPressuredRatio,
    );
    if (hot.length === 0) continue;
    candidates.push({
      vertexId: v.id,
      name: v.name,
      busyRatio: Math.max(...hot.map((s) => s.busyRatio)),
      backPressuredRatio: v.backPressuredRatio,
      subtasks: hot.map((s) => s.subtask).sort((a, b) => a - b),
      backPressuredUpstream: upstream,
      blockedInputChannels: blockedInputs.get(v.id) ?? 0,
    });
  }
  candidates.sort(
    (a, b) => b.busyRatio - a.busyRatio || b.blockedInputChannels - a.blockedInputChannels,
  );
  const bottleneck = candidates[0] ?? null;
  const nameOf = (id: string): string => vertices.find((v) => v.id === id)?.name ?? id;
  let reason: string;
  if (bottleneck !== null) {
    const upstream = bottleneck.backPressuredUpstream
      .map((id) => `${nameOf(id)} (${percent(ratiosByVertex.get(id)?.backPressuredRatio ?? 0)})`)
      .join(', ');
    const vertex = vertices.find((v) => v.id === bottleneck.vertexId)!;
    const skew =
      vertex.parallelism > 1 && bottleneck.subtasks.length < vertex.parallelism
        ? `; only subtask${bottleneck.subtasks.length > 1 ? 's' : ''} ${bottleneck.subtasks.join(', ')} of ${vertex.parallelism} busy: the load is skewed (hot keys)`
        : '';
    reason =
      `${bottleneck.name} is busy ${percent(bottleneck.busyRatio)} and not back-pressured ` +
      `while its upstream ${upstream} is back-pressured: it limits the job's throughput${skew}`;
  } else {
    const pressured = vertices.filter((v) => isBackPressured(v.id));
    reason =
      pressured.length === 0
        ? 'no vertex is back-pressured: the job keeps up with its input (or its sources limit it)'
        : `${pressured.map((v) => v.name).join(', ')} ${pressured.length > 1 ? 'are' : 'is'} ` +
          'back-pressured but no downstream vertex is busy without being back-pressured: ' +
          'the limit is outside the job (a sink waiting on its external system) or the job is changing state';
  }
  return { bottleneck, candidates, reason, thresholds: { ...thresholds } };
}
