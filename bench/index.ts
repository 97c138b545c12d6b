/**
 * `npm run bench [--quick] [group …] [--out file.json]`: runs the benchmark groups
 * (`bench/<group>.bench.ts`, each default-exporting a `BenchGroup`) and writes ONE JSON
 * object: the machine (cores, model, Node, load average at start and end), the run, and
 * every figure beside its baseline, ratio, target and CPU seconds (see figures.ts). The
 * same object is the last line of stdout; progress and a table go to stderr.
 *
 * Where it is written: a full run of every group to bench/results/latest.json (the
 * figures bench/README.md quotes); a run of some groups, or a `--quick` one, to
 * bench/results/latest-<groups>[-quick].json, so a smoke check never replaces them.
 *
 * Each group runs in a process of its own, started with the same Node flags as
 * `npm start`, so one group's heap (the EDR chain, a course of 10,000 learners) never
 * slows the next. A group that fails is reported under `errors` and the run goes on;
 * the exit code is then 1.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeMachine, meets, type BenchGroup, type Figure, type Figures } from './figures.ts';

const run = promisify(execFile);
const benchDir = path.dirname(fileURLToPath(import.meta.url));
const runTs = path.join(benchDir, '..', 'bin', 'run-ts.js');
const groups = fs
  .readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.slice(0, -'.bench.ts'.length))
  .sort();

interface Arguments {
  quick: boolean;
  inProcess: boolean;
  selected: string[];
  out: string | null;
}

function parseArguments(argv: readonly string[]): Arguments {
  const parsed: Arguments = { quick: false, inProcess: false, selected: [], out: null };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--quick') parsed.quick = true;
    else if (arg === '--in-process') parsed.inProcess = true;
    else if (arg === '--out') parsed.out = argv[(i += 1)] ?? fail('--out needs a file name');
    else if (arg.startsWith('--out=')) parsed.out = arg.slice('--out='.length);
    else if (arg === '--help' || arg === '-h') {
      process.stderr.write(`usage: npm run bench -- [--quick] [--out file.json] [group …]\ngroups: ${groups.join(', ')}\n`);
      process.exit(0);
    } else if (arg.startsWith('-')) fail(`unknown option ${arg}; options: --quick, --out file.json; groups: ${groups.join(', ')}`);
    else if (!groups.includes(arg)) fail(`unknown benchmark group "${arg}"; the groups are: ${groups.join(', ')}`);
    else if (!parsed.selected.includes(arg)) parsed.selected.push(arg);
  }
  return parsed;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

// argv: node, bin/run-ts.js, bench/index.ts, then the arguments.
const args = parseArguments(process.argv.slice(3));

if (args.inProcess) {
  // One group, in this process (the parent below starts one of these per group).
  const group = args.selected[0]!;
  const runGroup = (await import(pathToFileURL(path.join(benchDir, `${group}.bench.ts`)).href)).default as BenchGroup;
  const figures = await runGroup({ quick: args.quick });
  console.log(JSON.stringify(figures));
  process.exit(0);
}

const selected = args.selected.length > 0 ? args.selected : groups;
/** The groups by how long they take at quick sizes, longest first. */
const quickOrder = ['issuance', 'scaling', 'http', 'chain', 'lti', 'credentials'];
const machine = describeMachine();
const startedAt = new Date();
const figures: Figures = {};
const errors: Record<string, string> = {};
const groupSeconds: Record<string, number> = {};
process.stderr.write(`bench: ${selected.join(', ')}${args.quick ? ' (quick)' : ''} on ${machine.cores} × ${machine.model}, load ${machine.loadAverageAtStart.join(' ')}\n`);
async function runGroupProcess(group: string): Promise<void> {
  const started = Date.now();
  process.stderr.write(`bench: ${group} ...\n`);
  try {
    const { stdout } = await run(process.execPath, [...process.execArgv, runTs, fileURLToPath(import.meta.url), '--in-process', ...(args.quick ? ['--quick'] : []), group], {
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, SELLO_BENCH_QUICK: args.quick ? '1' : '' },
    });
    Object.assign(figures, JSON.parse(stdout.trim().split('\n').at(-1)!) as Figures);
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    errors[group] = (stderr?.trim().split('\n').slice(-40).join('\n') || message).slice(0, 2000);
    process.stderr.write(`bench: ${group} FAILED\n${errors[group]}\n`);
  }
  groupSeconds[group] = Number(((Date.now() - started) / 1000).toFixed(1));
  process.stderr.write(`bench: ${group} done in ${groupSeconds[group]} s\n`);
}

// A measuring run takes the groups one at a time, each alone on the machine. A quick run
// is a smoke check whose figures are not quoted: it runs two groups at a time, the longest
// first (each group has its own processes, databases and ports), to stay within a minute.
const lanes = args.quick ? 2 : 1;
const pending = args.quick ? [...selected].sort((a, b) => quickOrder.indexOf(a) - quickOrder.indexOf(b)) : [...selected];
await Promise.all(
  Array.from({ length: lanes }, async () => {
    for (let group = pending.shift(); group; group = pending.shift()) await runGroupProcess(group);
  }),
);

applyCrossGroupTargets(figures, machine.cores);
machine.loadAverageAtEnd = os.loadavg().map((load) => Number(load.toFixed(2)));
const result = {
  machine,
  run: {
    startedAt: startedAt.toISOString(),
    seconds: Number(((Date.now() - startedAt.getTime()) / 1000).toFixed(1)),
    quick: args.quick,
    groups: selected,
    groupSeconds,
  },
  figures,
  ...(Object.keys(errors).length > 0 ? { errors } : {}),
};

const resultsDir = path.join(benchDir, 'results');
const fullRun = !args.quick && selected.length === groups.length;
const outFile = args.out ?? path.join(resultsDir, fullRun ? 'latest.json' : `latest-${selected.join('+')}${args.quick ? '-quick' : ''}.json`);
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
process.stderr.write(`${table(figures)}\nbench: written to ${path.relative(process.cwd(), outFile)}\n`);
console.log(JSON.stringify(result));
process.exit(Object.keys(errors).length > 0 ? 1 : 0);

/**
 * Targets that depend on a figure of another group: `verify_http_per_s` must reach 70 %
 * of `verify_per_s` (one core, credentials group) times the cores Sello was given.
 */
function applyCrossGroupTargets(all: Figures, cores: number): void {
  const http = all.verify_http_per_s;
  const perCore = all.verify_per_s?.value;
  if (http && perCore) {
    const target = { op: '>=' as const, value: Math.round(0.7 * perCore * cores), text: `≥ 70 % of verify_per_s × ${cores} cores` };
    http.target = { ...target, met: meets(http.value, target) };
    const ceiling = verifyHttpCeiling(all, perCore, cores);
    if (ceiling) http.detail = { ...http.detail, ceiling: { ...ceiling, targetAboveCeiling: target.value > ceiling.allCoresPerS } };
  }
}

/**
 * The most any server could answer `POST /credentials/verify` per second on this machine
 * if each answer cost only what the same run's bare express route spent per request
 * (`baseline_http_per_s`: CPU seconds over requests served) plus one verification at
 * `verify_per_s`: with every core given to it, and with the CPU Sello had in its run
 * (autocannon runs on the same cores). A target above the first is out of any
 * implementation's reach here, however lean its own code.
 */
function verifyHttpCeiling(all: Figures, verifyPerCore: number, cores: number): { cpuMsPerAnswerAtLeast: number; allCoresPerS: number; withSellosCpuPerS: number | null } | null {
  const baseline = all.baseline_http_per_s;
  const served = baseline?.detail?.served;
  const baselineCpu = baseline?.cpuSeconds;
  if (typeof served !== 'number' || served <= 0 || baselineCpu == null) return null;
  const cpuMsPerAnswer = (baselineCpu * 1000) / served + 1000 / verifyPerCore;
  const http = all.verify_http_per_s!;
  const seconds = http.detail?.seconds;
  const selloCores = http.cpuSeconds != null && typeof seconds === 'number' && seconds > 0 ? http.cpuSeconds / seconds : null;
  return {
    cpuMsPerAnswerAtLeast: Number(cpuMsPerAnswer.toFixed(3)),
    allCoresPerS: Math.round((cores * 1000) / cpuMsPerAnswer),
    withSellosCpuPerS: selloCores === null ? null : Math.round((selloCores * 1000) / cpuMsPerAnswer),
  };
}

/** A table for people: figure, value, baseline, ratio, target. */
function table(all: Figures): string {
  const rows = Object.entries(all).map(([name, f]: [string, Figure]) => [
    name,
    `${f.value ?? '–'} ${f.unit}`,
    f.baseline ? `${f.baseline.value ?? '–'} (${f.baseline.name})` : '',
    f.ratio != null ? `${f.ratio}×` : '',
    f.target ? `${f.target.text} ${f.target.met === null ? '?' : f.target.met ? 'met' : 'NOT met'}` : '',
    f.cpuSeconds != null ? `${f.cpuSeconds} cpu-s` : '',
  ]);
  const widths = rows.reduce((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), [] as number[]);
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
