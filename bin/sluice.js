#!/usr/bin/env node
// Launcher of the `sluice` command. Sluice is TypeScript run by Node 24's type
// stripping: on Node >= 24 this imports src/cli/main.ts directly; on older Node it
// re-executes the pinned Node 24 (the `node` npm package) with the same arguments,
// forwarding SIGTERM/SIGINT so that graceful shutdown still works.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const major = Number(process.versions.node.split('.')[0]);

if (major >= 24) {
  await import(entry);
} else {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(
      `sluice needs Node.js >= 24 (this is ${process.version}); install it or run npm install in the Sluice directory\n`,
    );
    process.exit(1);
  }
  // The V8 flags this process was started with (the image's --single-threaded-gc) carry over.
  const child = spawn(pinned, [...process.execArgv, entry, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal ? 128 : 1));
  });
}
