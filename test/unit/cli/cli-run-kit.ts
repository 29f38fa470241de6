/**
 * Runs `sluice serve` / `sluice run` in process (`runCli`) with the real runtime
 * Dispatcher (MiniCluster, worker threads) on a small memory budget, and talks to it
 * over HTTP and through `sluice jobs …`.
 */

import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { SluiceApplication } from '../../../src/cli/sluice-application.ts';
import { type CliIo, runCli } from '../../../src/cli/sluice-cli.ts';

export const TOKEN = 'cli-run-test-token-0123456789';

/** The catalog of fixture jobs: `finite`, `failing`, `nested/endless`. */
export const FIXTURE_CATALOG = fileURLToPath(new URL('./fixtures/catalog/', import.meta.url));

/** `-D` flags of a small process: loopback, any port, 4 MiB network, 8 MiB managed. */
export function smallProcessFlags(extra: Record<string, string | number> = {}): string[] {
  const keys: Record<string, string | number> = {
    'rest.port': 0,
    'rest.address': '127.0.0.1',
    'shutdown.grace-period': '2s',
    'taskmanager.numberOfTaskSlots': 2,
    'taskmanager.memory.network.min': '4mb',
    'taskmanager.memory.network.max': '4mb',
    'taskmanager.memory.managed.size': '8mb',
    ...extra,
  };
  return Object.entries(keys).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
}

/** Output of one CLI invocation. */
export function capture(extra: Partial<CliIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const logs: string[] = [];
  const logDestination = new PassThrough();
  logDestination.on('data', (chunk: Buffer) =>
    logs.push(...chunk.toString().split('\n').filter(Boolean)),
  );
  const io: Partial<CliIo> = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: {},
    logDestination,
    ...extra,
  };
  return {
    io,
    out: () => out.join(''),
    err: () => err.join(''),
    logs,
    /** Parsed log lines. */
    lines: () => logs.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** A server command (`serve`, `run …`) started in process; `stop()` sends SIGTERM. */
export async function startServer(argv: string[]) {
  let fire: (signal: string) => void = () => {};
  let started!: (app: SluiceApplication) => void;
  const ready = new Promise<SluiceApplication>((resolve) => {
    started = resolve;
  });
  const output = capture({
    env: { SLUICE_REST_TOKEN: TOKEN },
    onSignal: (handler) => {
      fire = handler;
      return () => {};
    },
    onStarted: (app) => started(app),
  });
  const exit = runCli(argv, output.io);
  const app = await Promise.race([
    ready,
    exit.then((code) => Promise.reject(new Error(`exited ${code}: ${output.err()}`))),
  ]);
  return {
    app,
    url: app.url,
    output,
    exit,
    stop: async (signal = 'SIGTERM') => {
      fire(signal);
      return exit;
    },
  };
}

/** Runs a client command (`jobs …`). */
export async function cli(argv: string[], env: Record<string, string> = {}) {
  const output = capture({ env });
  const code = await runCli(argv, output.io);
  return { code, out: output.out(), err: output.err() };
}

/** A JSON request to the server. */
export async function request<T = Record<string, unknown>>(
  url: string,
  method = 'GET',
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as T };
}
