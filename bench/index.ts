/**
 * `npm run bench`: runs every `bench/*.bench.ts` module (each default-exports an async
 * function returning named figures) and prints ONE JSON object merging them as the
 * last line. Progress goes to stderr so stdout stays machine-readable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const modules = fs
  .readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => only.length === 0 || only.some((name) => file.startsWith(name)))
  .sort();

const figures: Record<string, unknown> = {};
for (const file of modules) {
  const started = Date.now();
  process.stderr.write(`bench: ${file} ...\n`);
  const run = (await import(pathToFileURL(path.join(benchDir, file)).href)).default as () => Promise<Record<string, unknown>>;
  Object.assign(figures, await run());
  process.stderr.write(`bench: ${file} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
console.log(JSON.stringify(figures));
process.exit(0);
