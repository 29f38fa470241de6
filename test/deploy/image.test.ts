/**
 * The container image without a container engine: the Dockerfile's build steps are
 * repeated in a clean directory (a real `npm ci --omit=dev` from the lockfile), then
 * the image's ENTRYPOINT + CMD start Sluice as the image's non-root USER, with the
 * configuration the Helm chart renders, in a tree it cannot write to (the chart mounts
 * the root filesystem read-only). The server must answer /healthz, /readyz and
 * /metrics, write nothing into the image, and stop cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findObject, helmTemplate, parseManifests, ROOT } from './deploy-tools.ts';
import { type BuiltImage, buildStages, imageCommand, parseDockerfile } from './dockerfile.ts';

const NODE_24 = join(ROOT, 'node_modules/node/bin/node');
const work = mkdtempSync(join(tmpdir(), 'sluice-image-'));
chmodSync(work, 0o755); // the image's user must reach the files, as in a real image
let image: BuiltImage;
let server: ChildProcess | undefined;

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(`${relative(dir, path)} ${statSync(path).size}`);
    }
  };
  walk(dir);
  return out.sort();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, deadlineMs: number): Promise<Response> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      return await fetch(url);
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${url} did not answer within ${deadlineMs} ms: ${String(last)}`);
}

beforeAll(() => {
  image = buildStages(join(ROOT, 'Dockerfile'), work, join(ROOT, 'node_modules/node/bin'));
}, 600_000);

afterAll(() => {
  if (server?.exitCode === null) server.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('the Dockerfile', () => {
  it('has a build stage and a final stage on the pinned Node 24 slim image', () => {
    const { stages } = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(stages.map((s) => s.from)).toEqual(['node:24.21.0-slim', 'node:24.21.0-slim']);
    expect(stages[0]!.name).toBe('build');
  });

  it('gives an image with production dependencies only and no tests', () => {
    const app = join(image.root, image.workdir);
    expect(image.workdir).toBe('/app');
    for (const dependency of ['fastify', 'prom-client', 'pino', 'commander', 'typebox']) {
      expect(existsSync(join(app, 'node_modules', dependency)), dependency).toBe(true);
    }
    for (const dev of ['vitest', 'typescript', '@biomejs', 'node']) {
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    }
    expect(existsSync(join(app, 'test'))).toBe(false);
    expect(
      listFiles(app).filter((f) => !f.startsWith('node_modules/') && /\.test\.ts /.test(f)),
    ).toEqual([]);
    expect(existsSync(join(app, 'jobs/examples/throttled.ts'))).toBe(true);
  });

  it('runs as a non-root user, the sluice CLI as ENTRYPOINT, with OCI labels', () => {
    expect(image.user).toBeDefined();
    expect(image.user!.split(':')[0]).not.toMatch(/^(0|root)$/);
    expect(image.entrypoint).toEqual(['node', '--single-threaded-gc', '/app/bin/sluice.js']);
    expect(image.cmd).toEqual(['serve']);
    expect(image.exposed).toEqual(['8081']);
    expect(image.env.NODE_ENV).toBe('production');
    expect(image.labels).toMatchObject({
      'org.opencontainers.image.title': 'sluice',
      'org.opencontainers.image.version': '0.1.0',
      'org.opencontainers.image.licenses': 'Apache-2.0',
    });
  });
});

describe('the image started as the chart starts it', () => {
  it('answers /healthz, /readyz and /metrics as its user, writes nothing, stops on SIGTERM', async () => {
    const rendered = parseManifests(helmTemplate().stdout);
    const config = join(work, 'sluice.yaml');
    writeFileSync(config, findObject(rendered, 'ConfigMap').data!['sluice.yaml']!);
    chmodSync(config, 0o644);
    const port = await freePort();
    const before = listFiles(image.root);
    const argv = imageCommand(image, NODE_24, [
      'serve',
      '--config',
      config,
      '-D',
      `rest.port=${port}`,
      '-D',
      'rest.address=127.0.0.1',
    ]);
    const [uid, gid] = (image.user ?? '').split(':');
    const asUser =
      process.getuid?.() === 0 && uid !== undefined
        ? ['setpriv', `--reuid=${uid}`, `--regid=${gid ?? uid}`, '--clear-groups', '--']
        : [];
    const command = [...asUser, ...argv];
    let output = '';
    server = spawn(command[0]!, command.slice(1), {
      cwd: join(image.root, image.workdir),
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/nonexistent', ...image.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (d) => (output += d));
    server.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) =>
      server!.once('exit', (code) => resolve(code)),
    );

    const base = `http://127.0.0.1:${port}`;
    const health = await waitFor(`${base}/healthz`, 30_000);
    expect(health.status, output).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('# TYPE sluice_task_numRecordsIn_total counter');
    expect(metrics).toMatch(/sluice_worker_eventLoopUtilization\{worker="main"\} /);
    expect(metrics).toContain('sluice_process_cpu_seconds_total');

    server.kill('SIGTERM');
    const code = await exited;
    expect(code, output).toBe(0);
    expect(output).toContain('sluice REST server listening');
    expect(listFiles(image.root)).toEqual(before);
  }, 120_000);
});
