/**
 * The Helm chart: `helm lint` and `helm template` with the default values and with
 * every option on (`helm/sluice/ci/all-options-values.yaml`), each rendering validated
 * offline by tools/manifest-check (strict decoding into the k8s.io/api and
 * monitoring.coreos.com Go types, plus cross-object references), the PrometheusRule's
 * groups checked by promtool, and the rendered Sluice configuration loaded by Sluice's
 * own configuration code so that chart and runtime agree on keys and memory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ShutdownOptions } from '../../src/cli/graceful-shutdown.ts';
import { loadConfiguration } from '../../src/config/configuration.ts';
import { resolveMemoryConfiguration } from '../../src/config/memory-configuration.ts';
import { CoreOptions } from '../../src/config/options.ts';
import '../../src/runtime/logging.ts';
import { RestOptions } from '../../src/server/rest-options.ts';
import {
  ALL_OPTIONS,
  CHART,
  findObject,
  helmTemplate,
  type K8sObject,
  parseManifests,
  ROOT,
  runTool,
} from './deploy-tools.ts';

const work = mkdtempSync(join(tmpdir(), 'sluice-helm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

function render(...args: string[]): { text: string; objects: K8sObject[] } {
  const result = helmTemplate(...args);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return { text: result.stdout, objects: parseManifests(result.stdout) };
}

/** Runs manifest-check on a rendering; returns its output. */
function manifestCheck(text: string, ...flags: string[]): { status: number | null; out: string } {
  const file = join(work, `rendered-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  const result = runTool('manifest-check', [...flags, file]);
  return { status: result.status, out: result.stdout + result.stderr };
}

// biome-ignore lint/suspicious/noExplicitAny: a rendered container
function container(objects: K8sObject[]): any {
  return findObject(objects, 'StatefulSet').spec.template.spec.containers[0];
}

/** Loads the rendered sluice.yaml with Sluice's own loader. */
function sluiceConfiguration(objects: K8sObject[]) {
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.data?.['sluice.yaml']);
  const file = join(work, `sluice-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, configMap!.data!['sluice.yaml']!);
  return loadConfiguration({ file, env: {} });
}

describe.each([
  ['default values', [] as string[]],
  ['every option on', ['-f', ALL_OPTIONS]],
])('the chart with %s', (_name, args) => {
  it('passes helm lint --strict', () => {
    const lint = runTool('helm', ['lint', '--strict', CHART, ...args]);
    expect(lint.stdout + lint.stderr).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(lint.status).toBe(0);
  });

  it('renders manifests that manifest-check accepts, and rules that promtool accepts', () => {
    const { text } = render(...args);
    const rulesDir = mkdtempSync(join(work, 'rules-'));
    const check = manifestCheck(
      text,
      '-rules-out',
      rulesDir,
      '-external-secret',
      'kafka-credentials',
    );
    expect(check.out).toMatch(/manifest-check: \d+ documents, 0 errors/);
    expect(check.status).toBe(0);
    if (args.length > 0) {
      const promtool = runTool('promtool', [
        'check',
        'rules',
        join(rulesDir, 'sluice-stream.rules.yaml'),
      ]);
      expect(promtool.stdout).toContain('SUCCESS: 9 rules found');
      expect(promtool.status).toBe(0);
    }
  });

  it('renders a configuration Sluice loads, whose memory equals the pod limit', () => {
    const { objects } = render(...args);
    const configuration = sluiceConfiguration(objects);
    expect(configuration.unknownKeys()).toEqual([]);
    const memory = resolveMemoryConfiguration(configuration);
    const c = container(objects);
    expect(c.resources.limits.memory).toBe(`${memory.processSizeBytes / 1024 ** 2}Mi`);
    expect(c.resources.requests.memory).toBe(c.resources.limits.memory);
    expect(memory.remainingBytes).toBeGreaterThanOrEqual(128 * 1024 ** 2);
    expect(configuration.get(CoreOptions.REST_PORT)).toBe(c.ports[0].containerPort);
    expect(configuration.get(CoreOptions.CHECKPOINTS_DIR)).toBe(
      c.volumeMounts.find((m: { name: string }) => m.name === 'checkpoints').mountPath,
    );
  });

  it('runs non-root on a read-only root filesystem, probes /healthz and /readyz', () => {
    const { objects } = render(...args);
    const pod = findObject(objects, 'StatefulSet').spec.template.spec;
    const c = container(objects);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.enableServiceLinks).toBe(false);
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.startupProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain('/tmp');
  });

  it('gives Kubernetes more time than stop-with-savepoint takes', () => {
    const { objects } = render(...args);
    const gracePeriodMs = sluiceConfiguration(objects).get(ShutdownOptions.GRACE_PERIOD);
    const termination = findObject(objects, 'StatefulSet').spec.template.spec
      .terminationGracePeriodSeconds;
    expect(gracePeriodMs).toBeGreaterThan(0);
    expect(termination * 1000).toBeGreaterThanOrEqual(gracePeriodMs + 10_000);
  });
});

describe('the chart with every option on', () => {
  const { objects } = render('-f', ALL_OPTIONS);

  it('passes the job, its arguments and the savepoint to `sluice run`', () => {
    const c = container(objects);
    expect(c.args).toEqual([
      'run',
      '--config',
      '/etc/sluice/conf/sluice.yaml',
      '--parallelism',
      '2',
      '--from-savepoint',
      '/var/lib/sluice/checkpoints/savepoint-1a2b3c',
      '--allow-non-restored-state',
      '--',
      '$(SLUICE_JOB_MODULE)',
      '$(SLUICE_JOB_ARG_0)',
      '$(SLUICE_JOB_ARG_1)',
      '$(SLUICE_JOB_ARG_2)',
    ]);
    const data = findObject(objects, 'ConfigMap', 'sluice-stream').data!;
    expect([data['job-module'], data['job-arg-0'], data['job-arg-1'], data['job-arg-2']]).toEqual([
      'jobs/examples/throttled.ts',
      'rate=50000',
      'throttle=5000',
      '3',
    ]);
  });

  it('mounts the token Secret as rest.token-file and sends it with every scrape', () => {
    const configuration = sluiceConfiguration(objects);
    const secret = findObject(objects, 'Secret');
    expect(configuration.get(RestOptions.TOKEN_FILE)).toBe('/etc/sluice/rest-token/rest-token');
    expect(Buffer.from(secret.data!['rest-token']!, 'base64').toString()).toBe(
      'a-long-enough-test-token-0123456789',
    );
    const monitor = findObject(objects, 'ServiceMonitor');
    expect(monitor.spec.endpoints[0].authorization.credentials).toEqual({
      name: secret.metadata.name,
      key: 'rest-token',
    });
    expect(monitor.spec.selector.matchLabels['app.kubernetes.io/component']).toBe('rest');
  });

  it('ships every dashboard as a ConfigMap for the Grafana sidecar, unchanged', () => {
    const dashboards = objects.filter((o) => o.metadata.labels?.grafana_dashboard === '1');
    expect(dashboards.map((o) => o.metadata.name).sort()).toEqual([
      'sluice-stream-dashboard-memory',
      'sluice-stream-dashboard-network',
      'sluice-stream-dashboard-overview',
    ]);
    for (const o of dashboards) {
      expect(o.metadata.namespace).toBe('monitoring');
      expect(o.metadata.annotations?.grafana_folder).toBe('Streaming');
      const [file, json] = Object.entries(o.data!)[0]!;
      expect(json).toBe(readFileSync(join(ROOT, 'grafana/dashboards', file), 'utf8').trimEnd());
    }
  });

  it('leaves out disabled alerts and labels the others', () => {
    const rule = findObject(objects, 'PrometheusRule');
    const alerts = rule.spec.groups.flatMap((g: { rules: { alert: string }[] }) => g.rules);
    expect(alerts.map((r: { alert: string }) => r.alert)).not.toContain('SluiceCheckpointsStalled');
    expect(alerts).toHaveLength(9);
    for (const r of alerts) expect(r.labels.team).toBe('streaming');
  });
});

describe('the chart refuses', () => {
  it.each([
    [['--set', 'unknownOption=1'], "additional properties 'unknownOption' not allowed"],
    [['--set', 'memory.heapMiB=64'], "at '/memory/heapMiB': minimum: got 64, want 128"],
    [['--set', 'taskSlots=0'], 'taskSlots'],
    [['--set-string', 'config.taskmanager\\.memory\\.process\\.size=2g'], 'is set by the chart'],
    [['--set', 'rest.authRead=true'], 'rest.authRead needs a REST token'],
    [
      ['--set', 'rest.token.create=true', '--set', 'rest.token.value=short'],
      'at least 16 characters',
    ],
  ])('%j', (args, message) => {
    const result = helmTemplate(...args);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});

describe('manifest-check', () => {
  const { text } = render();

  it.each([
    [
      'an unknown field',
      (t: string) => t.replace('serviceName:', 'serviceNam:'),
      'unknown field "serviceNam"',
    ],
    [
      'a wrong type',
      (t: string) => t.replace('replicas: 1', 'replicas: "one"'),
      'StatefulSet schema',
    ],
    [
      'a malformed quantity',
      (t: string) => t.replace('memory: "704Mi"', 'memory: "704 MiB"'),
      'quantities must match',
    ],
    [
      'a probe on an undeclared port',
      (t: string) =>
        t.replace(
          'port: rest\n            periodSeconds: 10',
          'port: http\n            periodSeconds: 10',
        ),
      'uses port "http"',
    ],
    [
      'a mount of an undeclared volume',
      (t: string) =>
        t.replace(
          '- name: tmp\n              mountPath: /tmp',
          '- name: scratch\n              mountPath: /tmp',
        ),
      'mounts volume "scratch"',
    ],
    [
      'a selector matching no pod',
      (t: string) =>
        t.replace(
          /(kind: Service\n[\s\S]*?selector:\n\s+app\.kubernetes\.io\/name:) sluice/,
          '$1 other',
        ),
      'matches no rendered pod template',
    ],
    [
      'an env reference to nowhere',
      (t: string) => t.replace('- $(SLUICE_JOB_MODULE)', '- $(SLUICE_JOB)'),
      'refers to $(SLUICE_JOB)',
    ],
    [
      'an unknown kind',
      (t: string) => `${t}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n`,
      'not one this checker knows',
    ],
  ])('rejects %s', (_name, mutate, message) => {
    const mutated = mutate(text);
    expect(mutated).not.toBe(text);
    const check = manifestCheck(mutated);
    expect(check.status).toBe(1);
    expect(check.out).toContain(message);
  });
});

describe('versions', () => {
  it('the chart deploys the package version, the Dockerfile builds it on the pinned Node', () => {
    const chart = parseYaml(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'));
    expect(chart.appVersion).toBe(packageJson.version);
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`ARG NODE_VERSION=${packageJson.devDependencies.node}`);
    expect(dockerfile).toContain(`ARG SLUICE_VERSION=${packageJson.version}`);
  });
});
