/**
 * Entry point of the `sluice` command (`bin/sluice.js` runs it with Node 24).
 *
 * Sets the exit code from {@link runCli}; should a stray handle keep the event loop
 * alive after a server command returned, an unref'd timer ends the process.
 *
 * @module
 */
import { runCli } from './sluice-cli.ts';

const exitCode = await runCli(process.argv.slice(2));
process.exitCode = exitCode;
setTimeout(() => process.exit(exitCode), 2000).unref();
