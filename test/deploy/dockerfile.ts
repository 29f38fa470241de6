/**
 * Reads the repository's Dockerfile and repeats its build steps in a directory, for
 * machines without a container engine: each stage gets a root directory, `COPY`
 * copies from the build context (minus `.dockerignore`) or from an earlier stage,
 * `RUN` runs in the stage's `WORKDIR` with the pinned Node 24 first on `PATH`, and the
 * final stage's `ENTRYPOINT` + `CMD` can then be started as its `USER`.
 *
 * ```
 *  Dockerfile ──parseDockerfile──► stages [{ name, from, steps }]
 *             ──buildStages──────► <dir>/stage-0/app, <dir>/stage-1/app   (real npm ci)
 *             ──imageCommand─────► node <dir>/stage-1/app/bin/sluice.js serve
 * ```
 *
 * Only what an image build can do portably is supported (the Dockerfile's header says
 * which instructions); anything else fails loudly rather than being skipped, so the
 * Dockerfile cannot grow a step the check silently ignores.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative } from 'node:path';

/** One instruction of a stage. */
export interface DockerStep {
  instruction: string;
  args: string;
  line: number;
}

/** One build stage. */
export interface DockerStage {
  index: number;
  name: string | undefined;
  /** Base image reference with the build arguments substituted. */
  from: string;
  steps: DockerStep[];
}

const SUPPORTED = new Set([
  'ARG',
  'ENV',
  'WORKDIR',
  'COPY',
  'RUN',
  'USER',
  'EXPOSE',
  'LABEL',
  'ENTRYPOINT',
  'CMD',
]);

/** Replaces `${NAME}` and `$NAME` by their values; unknown names become empty, as in Docker. */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (_m, a: string | undefined, b: string | undefined) => {
      return vars[(a ?? b)!] ?? '';
    },
  );
}

/** Splits `A=b C="d e"` into pairs. */
export function parseAssignments(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /(\w[\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const m of text.matchAll(re)) {
    const raw = m[2]!;
    out[m[1]!] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return out;
}

/**
 * Parses a Dockerfile into stages.
 *
 * @param text - the Dockerfile
 * @returns its stages, with `FROM` resolved against the global build arguments
 * @throws Error naming the line of an instruction this reader does not support
 */
export function parseDockerfile(text: string): {
  globalArgs: Record<string, string>;
  stages: DockerStage[];
} {
  const logical: { text: string; line: number }[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (pending === '' && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (pending !== '' && trimmed.startsWith('#')) return;
    if (pending === '') startLine = i + 1;
    if (trimmed.endsWith('\\')) {
      pending += `${trimmed.slice(0, -1)} `;
      return;
    }
    logical.push({ text: pending + trimmed, line: startLine });
    pending = '';
  });
  const globalArgs: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const { text: l, line } of logical) {
    const space = l.search(/\s/);
    const instruction = l.slice(0, space).toUpperCase();
    const args = l.slice(space).trim();
    if (instruction === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (m === null) throw new Error(`Dockerfile line ${line}: cannot read FROM ${args}`);
      stages.push({
        index: stages.length,
        name: m[2],
        from: substitute(m[1]!, globalArgs),
        steps: [],
      });
    } else if (stages.length === 0) {
      if (instruction !== 'ARG')
        throw new Error(`Dockerfile line ${line}: ${instruction} before FROM`);
      Object.assign(globalArgs, parseAssignments(args));
    } else if (SUPPORTED.has(instruction)) {
      stages.at(-1)!.steps.push({ instruction, args, line });
    } else {
      throw new Error(
        `Dockerfile line ${line}: ${instruction} is not reproduced by test/deploy/dockerfile.ts; extend it or keep to the instructions the Dockerfile's header lists`,
      );
    }
  }
  return { globalArgs, stages };
}

/** Simple `.dockerignore` matching: `*`, `**`, and directory prefixes. */
export function dockerIgnore(contextDir: string): (relativePath: string) => boolean {
  const file = join(contextDir, '.dockerignore');
  const patterns = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'))
    : [];
  const regexes = patterns.map((p) => {
    const body = p
      .replace(/^\/+/, '')
      .replace(/[.+^$()|[\]\\]/g, '\\$&')
      .replaceAll('**/', '%ANY_DIRS%')
      .replace(/\*\*/g, '.*')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')
      .replaceAll('%ANY_DIRS%', '(?:.*/)?');
    return new RegExp(`^${body}(?:/.*)?$`);
  });
  return (relativePath) => regexes.some((r) => r.test(relativePath));
}

/** The final image as built: where its files are, and how it starts. */
export interface BuiltImage {
  /** Root directory of the final stage. */
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  entrypoint: string[];
  cmd: string[];
  labels: Record<string, string>;
  exposed: string[];
  /** Seconds each `RUN` took, by line. */
  runSeconds: Record<number, number>;
}

/**
 * Repeats the build steps of every stage under `dir`.
 *
 * @param dockerfile - path of the Dockerfile (its directory is the build context)
 * @param dir - an empty directory for the stages' root directories
 * @param nodeBinDir - directory of the Node 24 binary that stands for the base image's
 * @returns the final stage
 * @throws Error when a step fails (with its output) or does what the check cannot repeat
 */
export function buildStages(dockerfile: string, dir: string, nodeBinDir: string): BuiltImage {
  const context = dirname(dockerfile);
  const ignored = dockerIgnore(context);
  const { globalArgs, stages } = parseDockerfile(readFileSync(dockerfile, 'utf8'));
  const roots = new Map<string, string>();
  let image: BuiltImage | undefined;
  for (const stage of stages) {
    const root = join(dir, `stage-${stage.index}`);
    mkdirSync(root, { recursive: true });
    roots.set(String(stage.index), root);
    if (stage.name !== undefined) roots.set(stage.name, root);
    const state: BuiltImage = {
      root,
      workdir: '/',
      env: {},
      user: undefined,
      entrypoint: [],
      cmd: [],
      labels: {},
      exposed: [],
      runSeconds: {},
    };
    const vars: Record<string, string> = {};
    const inside = (path: string) => join(root, posix.resolve(state.workdir, path));
    for (const step of stage.steps) {
      const args =
        step.instruction === 'RUN' ? step.args : substitute(step.args, { ...vars, ...state.env });
      switch (step.instruction) {
        case 'ARG': {
          const m = /^(\w+)(?:=(.*))?$/.exec(step.args)!;
          vars[m[1]!] = m[2] !== undefined ? substitute(m[2], vars) : (globalArgs[m[1]!] ?? '');
          break;
        }
        case 'ENV':
          Object.assign(state.env, parseAssignments(args));
          break;
        case 'LABEL':
          Object.assign(state.labels, parseAssignments(args));
          break;
        case 'EXPOSE':
          state.exposed.push(...args.split(/\s+/));
          break;
        case 'USER':
          state.user = args;
          break;
        case 'WORKDIR':
          state.workdir = posix.resolve(state.workdir, args);
          mkdirSync(join(root, state.workdir), { recursive: true });
          break;
        case 'ENTRYPOINT':
        case 'CMD': {
          const parsed = JSON.parse(args) as unknown;
          if (!Array.isArray(parsed))
            throw new Error(`Dockerfile line ${step.line}: use the exec form`);
          if (step.instruction === 'CMD') state.cmd = parsed.map(String);
          else state.entrypoint = parsed.map(String);
          break;
        }
        case 'COPY': {
          const words = args.split(/\s+/);
          let from: string | undefined;
          while (words[0]?.startsWith('--')) {
            const flag = words.shift()!;
            if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
            else if (!flag.startsWith('--chown=') && !flag.startsWith('--chmod=')) {
              throw new Error(`Dockerfile line ${step.line}: COPY ${flag} is not reproduced`);
            }
          }
          const dest = words.pop()!;
          const destIsDir = dest.endsWith('/') || words.length > 1;
          for (const src of words) {
            const base = from === undefined ? context : roots.get(from);
            if (base === undefined)
              throw new Error(`Dockerfile line ${step.line}: no stage ${from}`);
            const source = join(base, from === undefined ? src : posix.resolve('/', src));
            if (!existsSync(source))
              throw new Error(`Dockerfile line ${step.line}: ${src} does not exist`);
            const target =
              destIsDir && !statSync(source).isDirectory()
                ? join(inside(dest), posix.basename(src))
                : inside(dest);
            mkdirSync(dirname(target), { recursive: true });
            cpSync(source, target, {
              recursive: true,
              filter: (path) => from !== undefined || !ignored(relative(context, path)),
            });
          }
          break;
        }
        case 'RUN': {
          if (!/^npm\s/.test(step.args)) {
            throw new Error(
              `Dockerfile line ${step.line}: only npm commands are reproduced in RUN: ${step.args}`,
            );
          }
          const started = process.hrtime.bigint();
          const result = spawnSync('sh', ['-c', step.args], {
            cwd: join(root, state.workdir),
            encoding: 'utf8',
            env: { ...process.env, ...state.env, PATH: `${nodeBinDir}:${process.env.PATH}` },
          });
          state.runSeconds[step.line] = Number(process.hrtime.bigint() - started) / 1e9;
          if (result.status !== 0) {
            throw new Error(
              `Dockerfile line ${step.line}: RUN ${step.args} failed:\n${result.stdout}\n${result.stderr}`,
            );
          }
          break;
        }
      }
    }
    image = state;
  }
  if (image === undefined) throw new Error('the Dockerfile has no stage');
  return image;
}

/**
 * The command that starts the image: `ENTRYPOINT` + `CMD` (or `args` instead of `CMD`),
 * with `node` mapped to the given binary and absolute paths that exist in the image
 * mapped into its root directory.
 *
 * @param image - the built image
 * @param node - Node 24 binary standing for the base image's `node`
 * @param args - replaces `CMD` when given, as `docker run IMAGE args…` does
 */
export function imageCommand(image: BuiltImage, node: string, args?: string[]): string[] {
  const argv = [...image.entrypoint, ...(args ?? image.cmd)];
  return argv.map((a, i) => {
    if (i === 0 && a === 'node') return node;
    if (isAbsolute(a) && existsSync(join(image.root, a))) return join(image.root, a);
    return a;
  });
}
