/**
 * `issuance_scaling`: the scale-out deployment (stateless Sello processes on one
 * PostgreSQL, claiming issuance jobs with FOR UPDATE SKIP LOCKED) measured: learners
 * issued per second with 1, 2 and 3 Sello processes sharing one course of learners
 * (bench/issuance-child.ts: the first process also runs the sandbox LMS and the sync).
 * The figure is the 3-process throughput; its baseline the 1-process one, so the ratio
 * is the speed-up. On a 2-core machine the third process has no core of its own: the
 * ratio from 2 to 3 shows what sharing costs, not more cores. Each run first issues,
 * untimed, to 300 other learners of the course through all its processes, so that the
 * timed run meets processes past their start-up as a deployment's are (without it, each
 * added process spent its first second or two of a 4-5 s run warming up); each run's
 * `machineBusyPercent` says whether the machine had a core left to give.
 */
import { figure, type BenchOptions, type Figures } from './figures.ts';
import { issuanceRun, postgresUrl } from './issuance.bench.ts';

export default async function scalingBench({ quick }: BenchOptions): Promise<Figures> {
  const learners = Number(process.env.SELLO_BENCH_LEARNERS ?? (quick ? 100 : 1000));
  const warmLearners = quick ? 30 : 300;
  const perSecond: Record<string, number | null> = {};
  const cpuSeconds: Record<string, number | null> = {};
  const runs: Record<string, unknown> = {};
  for (const processes of [1, 2, 3]) {
    process.stderr.write(`bench: scaling, ${processes} process(es), ${learners} learners\n`);
    const result = await issuanceRun({ databaseUrl: postgresUrl, learners, processes, warmLearners });
    runs[processes] = result;
    perSecond[processes] = 'seconds' in result ? Number((learners / result.seconds).toFixed(1)) : null;
    cpuSeconds[processes] = 'seconds' in result ? result.cpuSeconds : null;
  }
  return {
    issuance_scaling: figure({
      value: perSecond[3],
      unit: 'learners/s at 3 processes',
      better: 'higher',
      baseline: { name: 'issuance at 1 process', value: perSecond[1] },
      target: { op: '>=', value: perSecond[1] ?? Infinity, text: 'grows with processes (≥ the 1-process figure)' },
      cpuSeconds: cpuSeconds[3],
      detail: { learners, warmUpLearners: warmLearners, database: 'postgres', learnersPerSecond: perSecond, cpuSeconds, runs },
    }),
  };
}
