/**
 * `issuance_scaling`: the scale-out deployment (stateless Sello processes on one
 * PostgreSQL, claiming issuance jobs with FOR UPDATE SKIP LOCKED) measured: learners
 * issued per second with 1, 2 and 3 Sello processes sharing one course of learners
 * (bench/issuance-child.ts: the first process also runs the sandbox LMS and the sync).
 *
 * Scale-out means a process on a machine of its own, so each Sello process gets the CPU
 * such a machine would give it: `SELLO_BENCH_SCALING_CPU` cores' worth (0.4 by default;
 * bench/cpu-share.ts), from the warm-up on. Three processes then have 1.2 cores between
 * them and PostgreSQL the rest, and the figure asks the question scale-out answers: does
 * a process with CPU of its own add throughput, or do the processes wait on one another
 * (locks, the database, one signer)? The figure is the 3-process throughput, its baseline
 * the 1-process one, and the target that each added process adds to it.
 *
 * Beside it (not in `--quick`), `issuance_scaling_shared_machine`: the same runs with the processes sharing
 * the machine's cores as they please. On 2 cores two processes already keep the machine
 * busy, so from 2 to 3 it shows what sharing costs, not what another machine adds; each
 * run's `machineBusyPercent` says whether the machine had a core left to give.
 *
 * Each run first issues, untimed, to 300 other learners of the course through all its
 * processes, so that the timed run meets processes past their start-up as a deployment's
 * are (without it, each added process spent its first second or two of a 4-5 s run warming up).
 */
import { figure, type BenchOptions, type Figures } from './figures.ts';
import { issuanceRun, postgresUrl } from './issuance.bench.ts';

export default async function scalingBench({ quick }: BenchOptions): Promise<Figures> {
  const learners = Number(process.env.SELLO_BENCH_LEARNERS ?? (quick ? 100 : 1000));
  const warmLearners = quick ? 30 : 300;
  const cpuPerProcess = Number(process.env.SELLO_BENCH_SCALING_CPU ?? 0.4);
  // `--quick` leaves out the middle run: it checks that the runs work, in under a minute.
  const processCounts = quick ? [1, 3] : [1, 2, 3];
  const series = async (cpu: number | null) => {
    const perSecond: Record<string, number | null> = {};
    const cpuSeconds: Record<string, number | null> = {};
    const runs: Record<string, unknown> = {};
    for (const processes of processCounts) {
      process.stderr.write(`bench: scaling, ${processes} process(es)${cpu === null ? ' sharing the machine' : `, ${cpu} cores each`}, ${learners} learners\n`);
      const result = await issuanceRun({ databaseUrl: postgresUrl, learners, processes, warmLearners, cpuPerProcess: cpu });
      runs[processes] = result;
      perSecond[processes] = 'seconds' in result ? Number((learners / result.seconds).toFixed(1)) : null;
      cpuSeconds[processes] = 'seconds' in result ? result.cpuSeconds : null;
    }
    return { perSecond, cpuSeconds, runs };
  };
  const own = await series(cpuPerProcess);
  // `--quick` keeps to the figure with the target, to stay under a minute.
  const shared = quick ? null : await series(null);
  // Each run faster than the one with a process fewer (than the one before it, in `--quick`).
  const grows = (perSecond: Record<string, number | null>) => processCounts.slice(1).every((n, i) => (perSecond[n] ?? 0) > (perSecond[processCounts[i]!] ?? Infinity));
  const fewerProcesses = processCounts.slice(0, -1).map((n) => own.perSecond[n] ?? Infinity);
  return {
    issuance_scaling: figure({
      value: own.perSecond[3],
      unit: `learners/s at 3 processes, ${cpuPerProcess} cores each`,
      better: 'higher',
      baseline: { name: 'issuance at 1 process', value: own.perSecond[1] },
      // More than the 1- and the 2-process figures: the third process added to the second's.
      target: { op: '>=', value: Math.max(...fewerProcesses), text: `grows with each process (${[...processCounts].reverse().join(' > ')})` },
      cpuSeconds: own.cpuSeconds[3],
      detail: { learners, warmUpLearners: warmLearners, database: 'postgres', cpuPerProcess, growsAtEachStep: grows(own.perSecond), learnersPerSecond: own.perSecond, cpuSeconds: own.cpuSeconds, runs: own.runs },
    }),
    ...(shared && {
      issuance_scaling_shared_machine: figure({
        value: shared.perSecond[3],
        unit: 'learners/s at 3 processes sharing the cores',
        better: 'higher',
        baseline: { name: 'issuance at 1 process', value: shared.perSecond[1] },
        cpuSeconds: shared.cpuSeconds[3],
        detail: { learners, warmUpLearners: warmLearners, database: 'postgres', growsAtEachStep: grows(shared.perSecond), learnersPerSecond: shared.perSecond, cpuSeconds: shared.cpuSeconds, runs: shared.runs },
      }),
    }),
  };
}
