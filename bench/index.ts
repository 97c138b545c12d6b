/**
 * `npm run bench [group …]`: runs every `bench/*.bench.ts` module (each default-exports
 * an async function returning named figures) and prints ONE JSON object merging them as
 * the last line. Progress goes to stderr so stdout stays machine-readable.
 *
 * Each group runs in a process of its own, started with the same Node flags, so one
 * group's heap (the EDR chain, a course of 1,000 learners) never slows the next.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';

const run = promisify(execFile);
const benchDir = path.dirname(fileURLToPath(import.meta.url));
const runTs = path.join(benchDir, '..', 'bin', 'run-ts.js');
// argv: node, bin/run-ts.js, bench/index.ts, then `--in-process` or the groups asked for (none = all).
const args = process.argv.slice(3);
const inProcess = args[0] === '--in-process';
const only = inProcess ? args.slice(1) : args;
const modules = fs
  .readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => only.length === 0 || only.some((name) => file.startsWith(name)))
  .sort();

const figures: Record<string, unknown> = {};
for (const file of modules) {
  const started = Date.now();
  process.stderr.write(`bench: ${file} ...\n`);
  if (inProcess) {
    const runBench = (await import(pathToFileURL(path.join(benchDir, file)).href)).default as () => Promise<Record<string, unknown>>;
    Object.assign(figures, await runBench());
  } else {
    const { stdout } = await run(process.execPath, [...process.execArgv, runTs, fileURLToPath(import.meta.url), '--in-process', file], {
      maxBuffer: 64 * 1024 * 1024,
    });
    Object.assign(figures, JSON.parse(stdout.trim().split('\n').at(-1)!));
  }
  process.stderr.write(`bench: ${file} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
console.log(JSON.stringify(figures));
process.exit(0);
