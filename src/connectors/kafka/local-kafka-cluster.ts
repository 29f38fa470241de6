import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SluiceError } from '../../errors.ts';
import { waitForKafka } from './kafka-admin.ts';

const execFileAsync = promisify(execFile);

/** The Apache Kafka version the local broker runs; keep in step with `kafka/pom.xml`. */
export const KAFKA_VERSION = '4.4.0';
/** Image used when a container runtime is available. */
export const KAFKA_IMAGE = `apache/kafka:${KAFKA_VERSION}`;
const CLUSTER_ID = 'c2x1aWNlLXRlc3QtMDAwMQ';

/** The local broker could not be fetched, formatted or started. */
export class KafkaBrokerStartError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_KAFKA_BROKER_START';
}

/** How the cluster was obtained. */
export type KafkaClusterMode = 'external' | 'container' | 'maven';

/** A Kafka cluster that tests or the demo can use, and how to stop it. */
export interface KafkaCluster {
  /** Bootstrap servers, `host:port`. */
  readonly brokers: string[];
  readonly mode: KafkaClusterMode;
  /** One line for logs: mode, version and address. */
  readonly description: string;
  /** Process id of the broker JVM (`maven` mode). */
  readonly pid?: number | undefined;
  /** Directory holding the broker's properties, log and data (`maven` mode). */
  readonly runDir?: string | undefined;
  /** Container id (`container` mode). */
  readonly containerId?: string | undefined;
  /** Stops what this process started and removes its data; a no-op for `external`. */
  stop(): Promise<void>;
  /**
   * Stops the broker process (SIGTERM, a controlled shutdown) but keeps its data
   * directory and ports, so that {@link KafkaCluster.startBroker} brings the same
   * broker back: an outage for failure tests. `maven` mode only (absent otherwise).
   */
  stopBroker?: (() => Promise<void>) | undefined;
  /**
   * Starts a broker stopped by {@link KafkaCluster.stopBroker} again on the same ports
   * with the same data (topics, offsets, consumer groups survive).
   *
   * @throws SLUICE_ERR_KAFKA_BROKER_START when it exits or does not answer in time
   */
  startBroker?: (() => Promise<void>) | undefined;
}

/** Options of {@link startKafkaCluster}. */
export interface KafkaClusterOptions {
  /**
   * Comma-separated bootstrap servers of an existing cluster; when set nothing is started.
   * @defaultValue `process.env.KAFKA_BROKERS`
   */
  externalBrokers?: string | undefined;
  /**
   * Directory for cached broker jars (`<cacheDir>/<version>/libs`).
   * @defaultValue `<repo>/.cache/kafka`
   */
  cacheDir?: string;
  /** Milliseconds to wait for the broker to answer. @defaultValue 60000 */
  startTimeoutMs?: number;
  /** Use a container runtime when one is found. @defaultValue true */
  allowContainer?: boolean;
  /** Keep the broker running after this process exits (for `npm run kafka:start`). @defaultValue false */
  detached?: boolean;
  /** Progress messages (jar download, start-up). @defaultValue none */
  log?: (message: string) => void;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Obtains a real Kafka broker: `KAFKA_BROKERS` if set; else Apache Kafka in a
 * container when a container runtime answers; else Apache Kafka from Maven Central
 * run as a local JVM in KRaft combined mode (broker + controller) on free loopback
 * ports.
 *
 * The Maven mode fetches `kafka_2.13` and a log4j2 binding once with
 * `maven-dependency-plugin:copy-dependencies` into a cache keyed by version, formats
 * a fresh temporary log directory with `kafka.tools.StorageTool`, starts
 * `kafka.Kafka`, and is ready when the admin API lists topics. With jars cached,
 * start-up takes a few seconds.
 *
 * @returns the cluster; call `stop()` to end the broker and remove its data directory
 * @throws SLUICE_ERR_KAFKA_BROKER_START when Java/Maven are missing, the jar download
 *   fails, or the broker exits or does not answer within `startTimeoutMs` (the message
 *   quotes the broker's log)
 */
export async function startKafkaCluster(options: KafkaClusterOptions = {}): Promise<KafkaCluster> {
  const external = options.externalBrokers ?? process.env.KAFKA_BROKERS;
  const log = options.log ?? (() => {});
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  if (external !== undefined && external.trim() !== '') {
    const brokers = external
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    await waitForKafka(brokers, { timeoutMs: startTimeoutMs });
    return {
      brokers,
      mode: 'external',
      description: `external Kafka cluster at ${brokers.join(',')} (KAFKA_BROKERS)`,
      stop: async () => {},
    };
  }
  if ((options.allowContainer ?? true) && (await containerRuntimeAvailable())) {
    return startContainerBroker(startTimeoutMs, options.detached ?? false, log);
  }
  return startMavenBroker(options, startTimeoutMs, log);
}

async function containerRuntimeAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** Finds a free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function startContainerBroker(
  startTimeoutMs: number,
  detached: boolean,
  log: (message: string) => void,
): Promise<KafkaCluster> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const port = await freePort();
  log(`starting ${KAFKA_IMAGE} in a container on 127.0.0.1:${port}`);
  let container = new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: port, host: port })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${port},CONTROLLER://localhost:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_NUM_PARTITIONS: '1',
    })
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(startTimeoutMs);
  if (detached) container = container.withReuse();
  const started = await container.start();
  const brokers = [`127.0.0.1:${port}`];
  await waitForKafka(brokers, { timeoutMs: startTimeoutMs });
  return {
    brokers,
    mode: 'container',
    description: `Apache Kafka ${KAFKA_VERSION} in a container (${KAFKA_IMAGE}, id ${started.getId().slice(0, 12)}) at ${brokers[0]}`,
    containerId: started.getId(),
    stop: async () => {
      await started.stop({ remove: true });
    },
  };
}

/**
 * Downloads the broker's jars into `<cacheDir>/<version>/libs` unless they are there.
 *
 * @returns the libs directory
 * @throws SLUICE_ERR_KAFKA_BROKER_START when `mvn` is missing or the download fails
 */
export async function ensureKafkaJars(
  cacheDir = join(repoRoot, '.cache/kafka'),
  log: (message: string) => void = () => {},
): Promise<string> {
  const libs = join(cacheDir, KAFKA_VERSION, 'libs');
  const marker = join(cacheDir, KAFKA_VERSION, '.complete');
  if (existsSync(marker)) return libs;
  log(`fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central into ${libs}`);
  await rm(libs, { recursive: true, force: true });
  await mkdir(libs, { recursive: true });
  try {
    await execFileAsync(
      'mvn',
      [
        '-B',
        '-q',
        '-f',
        join(repoRoot, 'kafka/pom.xml'),
        'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
        `-DoutputDirectory=${libs}`,
        '-DincludeScope=runtime',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string; message: string };
    throw new KafkaBrokerStartError(
      `could not fetch Apache Kafka ${KAFKA_VERSION} jars with Maven (is \`mvn\` on PATH and Maven Central reachable?): ${tail(`${output.stdout ?? ''}${output.stderr ?? ''}`) || output.message}`,
      { cause: error },
    );
  }
  const jars = (await readdir(libs)).filter((f) => f.endsWith('.jar'));
  if (!jars.some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
    throw new KafkaBrokerStartError(
      `Maven finished but ${libs} holds no kafka_2.13-${KAFKA_VERSION}.jar (${jars.length} jars)`,
    );
  }
  await writeFile(marker, `${new Date().toISOString()}\n`);
  return libs;
}

function tail(text: string, lines = 30): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function serverProperties(port: number, controllerPort: number, logDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    '',
  ].join('\n');
}

const LOG4J2_PROPERTIES = `status = error
appender.file.type = File
appender.file.name = file
appender.file.fileName = \${sys:sluice.broker.log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = file
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
`;

async function startMavenBroker(
  options: KafkaClusterOptions,
  startTimeoutMs: number,
  log: (message: string) => void,
): Promise<KafkaCluster> {
  const libs = await ensureKafkaJars(options.cacheDir, log);
  const classpath = `${libs}/*`;
  const runDir = await mkdtemp(join(tmpdir(), 'sluice-kafka-'));
  const dataDir = join(runDir, 'data');
  const brokerLog = join(runDir, 'broker.log');
  const [port, controllerPort] = [await freePort(), await freePort()];
  const propertiesFile = join(runDir, 'server.properties');
  const log4jFile = join(runDir, 'log4j2.properties');
  await writeFile(propertiesFile, serverProperties(port, controllerPort, dataDir));
  await writeFile(log4jFile, LOG4J2_PROPERTIES);
  const jvmLogging = [
    `-Dlog4j2.configurationFile=${log4jFile}`,
    `-Dsluice.broker.log=${brokerLog}`,
  ];
  try {
    await execFileAsync('java', [
      ...jvmLogging,
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      CLUSTER_ID,
      '-c',
      propertiesFile,
    ]);
  } catch (error) {
    await rm(runDir, { recursive: true, force: true });
    const output = error as { stdout?: string; stderr?: string; message: string };
    throw new KafkaBrokerStartError(
      `kafka.tools.StorageTool format failed (is Java 17+ on PATH?): ${tail(`${output.stdout ?? ''}${output.stderr ?? ''}`) || output.message}`,
      { cause: error },
    );
  }
  log(`starting Apache Kafka ${KAFKA_VERSION} (KRaft, Maven Central jars) on 127.0.0.1:${port}`);
  const detached = options.detached ?? false;
  const brokers = [`127.0.0.1:${port}`];
  const launch = async (): Promise<{ child: ChildProcess; exited: Promise<number | null> }> => {
    const child = spawn(
      'java',
      [
        '-Xms256m',
        '-Xmx1g',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-Djava.awt.headless=true',
        ...jvmLogging,
        '-cp',
        classpath,
        'kafka.Kafka',
        propertiesFile,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], detached },
    );
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-8192);
    });
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
    try {
      await Promise.race([
        waitForKafka(brokers, { timeoutMs: startTimeoutMs }),
        exited.then(async (code) => {
          throw new KafkaBrokerStartError(
            `Kafka broker exited with code ${code} before it answered: ${stderr || (await readTail(brokerLog))}`,
          );
        }),
      ]);
    } catch (error) {
      const brokerTail = await readTail(brokerLog);
      await killAndWait(child, exited);
      if (error instanceof KafkaBrokerStartError) throw error;
      throw new KafkaBrokerStartError(
        `Kafka broker on 127.0.0.1:${port} did not answer within ${startTimeoutMs} ms: ${brokerTail}`,
        { cause: error },
      );
    }
    return { child, exited };
  };
  let broker: { child: ChildProcess; exited: Promise<number | null> } | undefined;
  try {
    broker = await launch();
  } catch (error) {
    await rm(runDir, { recursive: true, force: true });
    throw error;
  }
  const { child } = broker;
  if (detached) {
    child.stderr?.destroy();
    child.unref();
  }
  const description = `Apache Kafka ${KAFKA_VERSION} from Maven Central (KRaft, pid ${child.pid}) at ${brokers[0]}`;
  return {
    brokers,
    mode: 'maven',
    description,
    /** The running JVM's pid (a new one after {@link KafkaCluster.startBroker}). */
    get pid() {
      return broker?.child.pid;
    },
    runDir,
    stop: async () => {
      if (broker !== undefined) await killAndWait(broker.child, broker.exited);
      broker = undefined;
      await rm(runDir, { recursive: true, force: true });
    },
    stopBroker: async () => {
      if (broker !== undefined) await killAndWait(broker.child, broker.exited);
      broker = undefined;
      log(`Apache Kafka on ${brokers[0]} stopped (data kept in ${dataDir})`);
    },
    startBroker: async () => {
      if (broker !== undefined) return;
      log(`starting Apache Kafka ${KAFKA_VERSION} again on ${brokers[0]} with its data`);
      broker = await launch();
    },
  };
}

async function readTail(file: string): Promise<string> {
  try {
    return tail(await readFile(file, 'utf8'));
  } catch {
    return '(no broker log)';
  }
}

async function killAndWait(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Stops a broker started detached by another process (`npm run kafka:stop`): SIGTERM,
 * then SIGKILL after `graceMs`, then removes its run directory.
 *
 * @param pid - the broker's process id
 * @param runDir - its run directory (data, logs, properties), removed afterwards
 */
export async function stopDetachedBroker(
  pid: number,
  runDir: string,
  graceMs = 15_000,
): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive()) process.kill(pid, 'SIGKILL');
    while (alive()) await new Promise((r) => setTimeout(r, 50));
  }
  await rm(runDir, { recursive: true, force: true });
}

/**
 * Stops and removes a container started detached by another process
 * (`npm run kafka:stop` in container mode).
 */
export async function stopDetachedContainer(containerId: string): Promise<void> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const container = client.container.getById(containerId);
  await client.container.stop(container, { timeout: 15_000 });
  await client.container.remove(container, { removeVolumes: true });
}
