/**
 * Schemas of the back-pressure endpoints: Flink's
 * `GET /jobs/{jobid}/vertices/{vertexid}/backpressure` and Sluice's own
 * `GET /jobs/{jobid}/flow` (the live flow-control graph and its bottleneck verdict).
 *
 * The Dispatcher supplies raw figures ({@link BackPressureSample}, {@link FlowSample});
 * `flow-analysis.ts` turns them into the answers ({@link JobVertexBackPressureInfo},
 * {@link FlowInfo}), so levels and the verdict are computed in one place.
 *
 * All ratios are fractions of wall-clock time in [0, 1]: Flink's
 * `backPressuredTimeMsPerSecond / 1000`, `idleTimeMsPerSecond / 1000`,
 * `busyTimeMsPerSecond / 1000`.
 *
 * @module
 */
import { type Static, Type } from 'typebox';

const Ratio = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });
const Fraction = (description: string) => Type.Number({ minimum: 0, description });

/** Flink's back-pressure level: `ok` ≤ 0.10 < `low` ≤ 0.50 < `high`. */
export const BackPressureLevel = Type.Enum(['ok', 'low', 'high']);
export type BackPressureLevel = 'ok' | 'low' | 'high';

/** Time breakdown of one subtask over the last second. */
export const SubtaskRatios = Type.Object({
  subtask: Type.Integer({ minimum: 0, description: 'Subtask index.' }),
  backPressuredRatio: Ratio('backPressuredTimeMsPerSecond / 1000'),
  idleRatio: Ratio('idleTimeMsPerSecond / 1000'),
  busyRatio: Ratio('busyTimeMsPerSecond / 1000'),
});
export type SubtaskRatios = Static<typeof SubtaskRatios>;

/** What a Dispatcher returns for one vertex's back pressure; `null` before the first sample. */
export const BackPressureSample = Type.Object({
  endTimestamp: Type.Number({ description: 'Epoch ms of the sample.' }),
  subtasks: Type.Array(SubtaskRatios),
});
export type BackPressureSample = Static<typeof BackPressureSample>;

/** `GET /jobs/{jobid}/vertices/{vertexid}/backpressure` (Flink's `JobVertexBackPressureInfo`). */
export const JobVertexBackPressureInfo = Type.Object({
  status: Type.Enum(['ok', 'deprecated'], {
    description: "`ok` with figures; `deprecated` (Flink's word) while no sample exists yet.",
  }),
  'backpressure-level': Type.Optional(BackPressureLevel),
  'end-timestamp': Type.Optional(Type.Number()),
  subtasks: Type.Optional(
    Type.Array(
      Type.Object({
        subtask: Type.Integer(),
        'attempt-number': Type.Integer(),
        'backpressure-level': BackPressureLevel,
        ratio: Ratio('backPressuredTimeMsPerSecond / 1000'),
        idleRatio: Ratio('idleTimeMsPerSecond / 1000'),
        busyRatio: Ratio('busyTimeMsPerSecond / 1000'),
      }),
    ),
  ),
});
export type JobVertexBackPressureInfo = Static<typeof JobVertexBackPressureInfo>;

/** One subtask in a flow sample: time ratios and its buffer pools. */
export const FlowSubtaskSample = Type.Object({
  subtask: Type.Integer({ minimum: 0 }),
  backPressuredRatio: Ratio('backPressuredTimeMsPerSecond / 1000'),
  idleRatio: Ratio('idleTimeMsPerSecond / 1000'),
  busyRatio: Ratio('busyTimeMsPerSecond / 1000'),
  inPoolUsage: Fraction('Fraction of the input buffer pool in use (Flink `inPoolUsage`).'),
  outPoolUsage: Fraction('Fraction of the output buffer pool in use (Flink `outPoolUsage`).'),
});
export type FlowSubtaskSample = Static<typeof FlowSubtaskSample>;

/** One vertex in a flow sample. */
export const FlowVertexSample = Type.Object({
  id: Type.String(),
  name: Type.String(),
  parallelism: Type.Integer({ minimum: 1 }),
  subtasks: Type.Array(FlowSubtaskSample),
});
export type FlowVertexSample = Static<typeof FlowVertexSample>;

/** One channel of an edge: sender subpartition → receiver input channel. */
export const FlowChannelSample = Type.Object({
  sourceSubtask: Type.Integer({ minimum: 0 }),
  targetSubtask: Type.Integer({ minimum: 0 }),
  credit: Type.Integer({ description: 'Buffers the receiver has announced it can take.' }),
  backlog: Type.Integer({ description: 'Buffers queued at the sender for this channel.' }),
  queuedBuffers: Type.Integer({ description: 'Buffers received and not yet consumed.' }),
});
export type FlowChannelSample = Static<typeof FlowChannelSample>;

/** One edge (a network exchange between two vertices) in a flow sample. */
export const FlowEdgeSample = Type.Object({
  source: Type.String({ description: 'Upstream vertex id.' }),
  target: Type.String({ description: 'Downstream vertex id.' }),
  shipStrategy: Type.String({ description: 'FORWARD, HASH, REBALANCE, BROADCAST, …' }),
  channels: Type.Array(FlowChannelSample),
});
export type FlowEdgeSample = Static<typeof FlowEdgeSample>;

/** What a Dispatcher returns for `GET /jobs/{jobid}/flow`. */
export const FlowSample = Type.Object({
  jid: Type.String(),
  timestamp: Type.Number({ description: 'Epoch ms of the sample.' }),
  vertices: Type.Array(FlowVertexSample),
  edges: Type.Array(FlowEdgeSample),
});
export type FlowSample = Static<typeof FlowSample>;

/** Worst-subtask figures of a vertex. */
export const VertexRatios = Type.Object({
  backPressuredRatio: Ratio('Maximum over subtasks.'),
  busyRatio: Ratio('Maximum over subtasks.'),
  idleRatio: Ratio('Minimum over subtasks.'),
});
export type VertexRatios = Static<typeof VertexRatios>;

/** A vertex of the flow answer. */
export const FlowVertex = Type.Object({
  id: Type.String(),
  name: Type.String(),
  parallelism: Type.Integer(),
  ...VertexRatios.properties,
  'backpressure-level': BackPressureLevel,
  subtasks: Type.Array(
    Type.Object({ ...FlowSubtaskSample.properties, 'backpressure-level': BackPressureLevel }),
  ),
});
export type FlowVertex = Static<typeof FlowVertex>;

/** A channel of the flow answer, with the pool usage at both ends. */
export const FlowChannel = Type.Object({
  ...FlowChannelSample.properties,
  senderOutPoolUsage: Fraction('outPoolUsage of the sending subtask.'),
  receiverInPoolUsage: Fraction('inPoolUsage of the receiving subtask.'),
  blocked: Type.Boolean({ description: 'credit = 0 while backlog > 0: the sender must wait.' }),
});
export type FlowChannel = Static<typeof FlowChannel>;

/** An edge of the flow answer. */
export const FlowEdge = Type.Object({
  source: Type.String(),
  target: Type.String(),
  shipStrategy: Type.String(),
  sourceRatios: VertexRatios,
  targetRatios: VertexRatios,
  blockedChannels: Type.Integer({ description: 'Channels with credit 0 and backlog > 0.' }),
  channels: Type.Array(FlowChannel),
});
export type FlowEdge = Static<typeof FlowEdge>;

/** A vertex named by the verdict. */
export const BottleneckVertex = Type.Object({
  vertexId: Type.String(),
  name: Type.String(),
  busyRatio: Type.Number(),
  backPressuredRatio: Type.Number(),
  subtasks: Type.Array(Type.Integer(), {
    description: 'Subtasks that are busy and not back-pressured (several = even load; one = skew).',
  }),
  backPressuredUpstream: Type.Array(Type.String(), {
    description: 'Ids of the upstream vertices that are back-pressured.',
  }),
  blockedInputChannels: Type.Integer({
    description: 'Input channels of this vertex with credit 0 and backlog > 0.',
  }),
});
export type BottleneckVertex = Static<typeof BottleneckVertex>;

/** The verdict: which vertex limits the job's throughput, and why. */
export const FlowVerdict = Type.Object({
  bottleneck: Type.Union([BottleneckVertex, Type.Null()]),
  candidates: Type.Array(BottleneckVertex, {
    description: 'Every vertex that qualifies, busiest first (the first is `bottleneck`).',
  }),
  reason: Type.String({ description: 'One sentence explaining the verdict.' }),
  thresholds: Type.Object({
    backPressuredRatio: Type.Number({ description: 'Above this a vertex is back-pressured.' }),
    busyRatio: Type.Number({ description: 'At or above this a subtask is busy.' }),
  }),
});
export type FlowVerdict = Static<typeof FlowVerdict>;

/** `GET /jobs/{jobid}/flow`. */
export const FlowInfo = Type.Object({
  jid: Type.String(),
  timestamp: Type.Number(),
  vertices: Type.Array(FlowVertex),
  edges: Type.Array(FlowEdge),
  verdict: FlowVerdict,
});
export type FlowInfo = Static<typeof FlowInfo>;
