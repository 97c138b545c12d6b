/**
 * The shape of a benchmark figure and the few measuring tools every group shares.
 *
 * Every figure is reported beside what it should be compared with: its baseline,
 * measured in the same run on the same machine (so a busy neighbour slows both), the
 * ratio between the two, the target, and the CPU seconds the measured process
 * spent (on a shared machine, wall time measures the neighbours too; CPU time does not).
 */
import fs from 'node:fs';
import os from 'node:os';

export interface BenchOptions {
  /** `--quick`: reduced sizes, every group in under a minute; a smoke check, not a figure to quote. */
  quick: boolean;
}

export type Better = 'higher' | 'lower';

export interface Target {
  /** `>=` for figures where more is better (per second), `<=` for times, latencies and gas. */
  op: '>=' | '<=';
  value: number;
  /** How the issue words it, e.g. "≥ 1,000/s on 2 cores". */
  text: string;
}

export interface Figure {
  value: number | null;
  unit: string;
  better: Better;
  /** The figure this one is compared with, measured in the same run. */
  baseline?: { name: string; value: number | null };
  /**
   * How many times better than the baseline: value / baseline when higher is better,
   * baseline / value when lower is better (gas, latency). Above 1 means Sello is ahead.
   */
  ratio?: number | null;
  target?: Target & { met: boolean | null };
  /** CPU seconds (user + system, all threads) the measured process spent on this figure. */
  cpuSeconds?: number | null;
  /** Anything else worth keeping beside the figure: runs, sizes, RSS, the database. */
  detail?: Record<string, unknown>;
}

export type Figures = Record<string, Figure>;

export type BenchGroup = (options: BenchOptions) => Promise<Figures>;

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Rounds to a precision that reads well: whole numbers from 100 up, 3 significant digits below. */
export function tidy(value: number | null | undefined): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value);
  if (magnitude >= 10) return round(value, 1);
  if (magnitude >= 1) return round(value, 2);
  return round(value, 3);
}

/** Builds a figure, working out the ratio to its baseline and whether the target is met. */
export function figure(params: {
  value: number | null | undefined;
  unit: string;
  better: Better;
  baseline?: { name: string; value: number | null | undefined };
  target?: Target;
  cpuSeconds?: number | null;
  detail?: Record<string, unknown>;
}): Figure {
  const value = tidy(params.value);
  const result: Figure = { value, unit: params.unit, better: params.better };
  if (params.baseline) {
    const baseline = tidy(params.baseline.value);
    result.baseline = { name: params.baseline.name, value: baseline };
    result.ratio = ratioOf(params.value, params.baseline.value, params.better);
  }
  if (params.target) result.target = { ...params.target, met: meets(params.value, params.target) };
  if (params.cpuSeconds !== undefined) result.cpuSeconds = tidy(params.cpuSeconds);
  if (params.detail) result.detail = params.detail;
  return result;
}

export function ratioOf(value: number | null | undefined, baseline: number | null | undefined, better: Better): number | null {
  if (value == null || baseline == null || value <= 0 || baseline <= 0) return null;
  return round(better === 'higher' ? value / baseline : baseline / value, 3);
}

export function meets(value: number | null | undefined, target: Target): boolean | null {
  if (value == null || !Number.isFinite(value)) return null;
  return target.op === '>=' ? value >= target.value : value <= target.value;
}

/** The p-th percentile (0–100) of the samples, nearest rank. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** CPU seconds (user + system, every thread) a process has used so far, read from /proc. */
export function processCpuSeconds(pid: number): number | null {
  try {
    return readStat(`/proc/${pid}/stat`).seconds;
  } catch {
    return null;
  }
}

/** CPU seconds each thread of a process has used so far, by thread id, with the thread's name. */
export function threadCpuSeconds(pid: number): Map<string, { name: string; seconds: number }> {
  const threads = new Map<string, { name: string; seconds: number }>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(tid, readStat(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return threads;
}

/** A process's or thread's `stat` file: its name and its CPU seconds (user + system). */
function readStat(file: string): { name: string; seconds: number } {
  // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 14th field, stime the 15th.
  const stat = fs.readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), seconds: (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond };
}

/** The machine's CPU time from /proc/stat, in seconds summed over its cores: busy (not idle or waiting for I/O) and all. */
export function machineCpuSeconds(): { busy: number; total: number } | null {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    return { busy: (total - fields[3]! - fields[4]!) / clockTicksPerSecond, total: total / clockTicksPerSecond };
  } catch {
    return null;
  }
}

/**
 * CPU seconds of every PostgreSQL server process on this machine (postmaster, backends,
 * WAL writer, checkpointer...), for a database server that runs here; null without /proc.
 */
export function postgresCpuSeconds(): number | null {
  try {
    let seconds = 0;
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let comm: string;
      try {
        comm = fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      } catch {
        continue; // gone meanwhile
      }
      if (comm === 'postgres') seconds += processCpuSeconds(Number(entry)) ?? 0;
    }
    return seconds;
  } catch {
    return null;
  }
}

/** Linux's USER_HZ: 100 on every x86-64 and arm64 kernel we run on. */
const clockTicksPerSecond = 100;

/** Resident set size of a process in MB, from /proc. */
export function processRssMb(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : null;
  } catch {
    return null;
  }
}

/**
 * Peak resident set of a process since it started (the kernel's high-water mark,
 * VmHWM), in MB of 10^6 bytes like the issuance bench's sampled peaks; null when /proc
 * cannot tell.
 */
export function processPeakRssMb(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round((kb * 1024) / 1e6) : null;
  } catch {
    return null;
  }
}

/** Wall and CPU time of this process around `work`. */
export async function measure<T>(work: () => Promise<T>): Promise<{ result: T; wallSeconds: number; cpuSeconds: number }> {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return { result, wallSeconds: Number(process.hrtime.bigint() - wall) / 1e9, cpuSeconds: (used.user + used.system) / 1e6 };
}

export interface Machine {
  cores: number;
  model: string;
  node: string;
  platform: string;
  memoryGb: number;
  /** 1, 5 and 15 minute load averages when the run started: above the core count, neighbours were busy. */
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cores: os.availableParallelism?.() ?? cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    loadAverageAtStart: os.loadavg().map((load) => round(load, 2)),
  };
}
