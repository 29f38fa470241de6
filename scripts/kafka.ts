/**
 * `npm run kafka:start` / `npm run kafka:stop` / `node scripts/kafka.ts status`:
 * a real Kafka broker for local runs, left running between commands.
 *
 * start: obtains a broker as the tests do (KAFKA_BROKERS, else a container, else
 * Apache Kafka from Maven Central), detached, and records it in
 * `.cache/kafka/run.json`; prints `KAFKA_BROKERS=<host:port>`.
 * stop: ends it and removes its data directory; leaves nothing running.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startKafkaCluster,
  stopDetachedBroker,
  stopDetachedContainer,
} from '../src/connectors/kafka/local-kafka-cluster.ts';

const stateFile = join(dirname(fileURLToPath(import.meta.url)), '../.cache/kafka/run.json');

interface RunState {
  mode: string;
  brokers: string[];
  pid?: number;
  runDir?: string;
  containerId?: string;
  description: string;
}

async function readState(): Promise<RunState | undefined> {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(await readFile(stateFile, 'utf8')) as RunState;
}

async function start(): Promise<void> {
  const existing = await readState();
  if (existing) {
    console.error(
      `a broker is already recorded: ${existing.description}; run \`npm run kafka:stop\` first`,
    );
    console.log(`KAFKA_BROKERS=${existing.brokers.join(',')}`);
    return;
  }
  const cluster = await startKafkaCluster({ detached: true, log: (m) => console.error(m) });
  if (cluster.mode === 'external') {
    console.error(`KAFKA_BROKERS is set; nothing started (${cluster.description})`);
    console.log(`KAFKA_BROKERS=${cluster.brokers.join(',')}`);
    return;
  }
  const state: RunState = {
    mode: cluster.mode,
    brokers: cluster.brokers,
    description: cluster.description,
    ...(cluster.pid !== undefined ? { pid: cluster.pid } : {}),
    ...(cluster.runDir !== undefined ? { runDir: cluster.runDir } : {}),
    ...(cluster.containerId !== undefined ? { containerId: cluster.containerId } : {}),
  };
  await mkdir(dirname(stateFile), { recursive: true });
  await writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`);
  console.error(`started ${cluster.description}`);
  console.log(`KAFKA_BROKERS=${cluster.brokers.join(',')}`);
}

async function stop(): Promise<void> {
  const state = await readState();
  if (!state) {
    console.error('no broker recorded in .cache/kafka/run.json; nothing to stop');
    return;
  }
  if (state.pid !== undefined && state.runDir !== undefined) {
    await stopDetachedBroker(state.pid, state.runDir);
  } else if (state.containerId !== undefined) {
    await stopDetachedContainer(state.containerId);
  }
  await rm(stateFile, { force: true });
  console.error(`stopped ${state.description}`);
}

async function status(): Promise<void> {
  const state = await readState();
  console.log(
    state ? `${state.description}\nKAFKA_BROKERS=${state.brokers.join(',')}` : 'no broker running',
  );
}

const command = process.argv[2];
const commands: Record<string, () => Promise<void>> = { start, stop, status };
const run = command === undefined ? undefined : commands[command];
if (!run) {
  console.error('usage: node scripts/kafka.ts start|stop|status');
  process.exitCode = 2;
} else {
  try {
    await run();
  } catch (error) {
    const e = error as { code?: string; message?: string };
    console.error(`${e.code ?? 'error'}: ${e.message ?? String(error)}`);
    process.exitCode = 1;
  }
}
