/**
 * `sello sync --context ID`: syncs one course's outcomes now (AGS results, Moodle or
 * Canvas connector) and prints what it found and what it queued; a progress line on a
 * terminal. When a Sello answers at PUBLIC_URL (or `--url`), the sync runs there,
 * through `POST /admin/api/contexts/:id/sync`, so it works while that server holds the
 * embedded database; otherwise it runs here, on the database. Issuing is the running
 * Sello processes' work (their workers claim the queued evaluations within a second);
 * `--wait` waits until the pipeline has finished them.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { hasCode } from '../../errors.ts';
import { openDatabase } from '../../storage/database.ts';
import { migrate } from '../../storage/migrate.ts';
import { createJobRepository } from '../../storage/job-repository.ts';
import { createAwardRepository } from '../../storage/award-repository.ts';
import { resolveSecrets } from '../../storage/secrets.ts';
import { createLti } from '../../lti/provider.ts';
import { createPageRenderer } from '../../web/views.ts';
import { createCourseSync } from '../../issuance/start-issuance.ts';
import { createOutboundFetch } from '../../outbound/outbound-fetch.ts';
import { OutcomeError } from '../../outcomes/outcome-error.ts';
import { resolveCourse } from '../../outcomes/resolve-course.ts';
import type { SyncContextReport } from '../../outcomes/sync-context.ts';
import { callAdminApi } from '../admin-api.ts';

interface SyncOptions {
  context: string;
  wait: boolean;
  json: boolean;
  url?: string;
}

type CourseSummary = { id: string; lmsContextId: string; title: string };

/** Prints the report as JSON or as lines for a person; exit code 1 when a source failed. */
function printReport(options: SyncOptions, context: CourseSummary, report: SyncContextReport, started: number, where: string, pipeline?: Record<string, unknown>): void {
  if (options.json) {
    console.log(JSON.stringify({ context: { id: context.id, lmsContextId: context.lmsContextId, title: context.title }, ...report, pipeline, via: where }));
  } else {
    console.log(`Course ${context.title || context.lmsContextId} (${context.id})${where === 'api' ? ', synced by the running Sello' : ''}`);
    const names = Object.keys(report.sources);
    if (names.length === 0) console.log('  No outcome source: the course has no AGS line items service and its platform no connector.');
    for (const [source, result] of Object.entries(report.sources)) {
      console.log(`  ${source}: ${result.batches} batch(es)${result.error ? `, FAILED: ${result.error}` : ''}`);
    }
    console.log(
      `  ${report.total.received} results read, ${report.total.changed} learners with new results, ${report.total.queued} queued for evaluation (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    if (pipeline) console.log(`  awards in this course: ${JSON.stringify(pipeline.awards)}; failed jobs: ${pipeline.failedJobs}`);
  }
  if (Object.values(report.sources).some((result) => result.error)) process.exitCode = 1;
}

/** Turns a refused admin API call into the CLI's error. */
function failFromApi(answer: { status: number; body: Record<string, unknown> }, baseUrl: string): never {
  if (answer.status === 401) throw new OutcomeError('connector_unauthorized', `The Sello at ${baseUrl} refused the admin token: set ADMIN_TOKEN to its token`);
  const code = String(answer.body.code ?? '');
  const message = String(answer.body.message ?? `HTTP ${answer.status}`);
  throw new OutcomeError(code === 'context_not_found' || code === 'invalid_context' ? code : 'connector_unavailable', message);
}

/** The sync through a running Sello's admin API; null when none answers. */
async function syncThroughApi(options: SyncOptions, baseUrl: string, token: string, started: number): Promise<boolean> {
  const path = `/admin/api/contexts/${encodeURIComponent(options.context)}`;
  // A course's sync reads whole gradebooks: give the server as long as it needs.
  const answer = await callAdminApi({ baseUrl, token, method: 'POST', path: `${path}/sync`, timeoutMs: 10 * 60_000 });
  if (!answer) return false;
  if (!answer.ok) failFromApi(answer, baseUrl);
  const { context, awards: _awards, ...report } = answer.body as unknown as { context: CourseSummary; awards: unknown } & SyncContextReport;
  let pipeline: Record<string, unknown> | undefined;
  if (options.wait) {
    for (;;) {
      const state = await callAdminApi({ baseUrl, token, method: 'GET', path });
      if (!state?.ok) failFromApi(state ?? { status: 503, body: {} }, baseUrl);
      const jobs = state.body.jobs as { queued: number; running: number; failed: number };
      if (jobs.queued + jobs.running === 0) {
        pipeline = { awards: state.body.awards, failedJobs: jobs.failed };
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  printReport(options, context, report, started, 'api', pipeline);
  return true;
}

export function register(program: Command): void {
  program
    .command('sync')
    .description("Sync a course's grades and completions now and queue what they earn")
    .requiredOption('--context <id>', "the course: Sello's context id, or the LMS's context id")
    .option('--wait', 'wait until the queued evaluations and awards are done', false)
    .option('--json', 'print the report as JSON', false)
    .option('--url <url>', 'the running Sello to ask (default PUBLIC_URL)')
    .action(async (options: SyncOptions) => {
      const config = loadConfig(process.env);
      const log = createLogger({ level: 'warn' });
      const secrets = resolveSecrets(config);
      const started = Date.now();
      const baseUrl = (options.url ?? config.publicUrl).replace(/\/+$/, '');
      if (await syncThroughApi(options, baseUrl, config.secrets.adminToken ?? secrets.adminToken, started)) return;
      const db = await openDatabase(config.database).catch((error: unknown) => {
        if (hasCode(error, 'database_locked')) {
          throw new OutcomeError(
            'connector_unavailable',
            `A running Sello holds the embedded database but did not answer at ${baseUrl}. Pass --url with the address it listens on ` +
              '(or set PUBLIC_URL), or stop it and run this command again.',
          );
        }
        throw error;
      });
      const lti = await (async () => {
        await migrate(db);
        return createLti({ db, config, keyEncryptionKey: secrets.keyEncryptionKey, log, pages: createPageRenderer(), purgeIntervalMs: 0 });
      })().catch(async (error: unknown) => {
        await db.close();
        throw error;
      });
      try {
        const context = await resolveCourse(db, options.context);
        const tty = process.stderr.isTTY && !options.json;
        const sync = createCourseSync({
          db,
          kek: secrets.keyEncryptionKey,
          ltiServices: lti.services,
          fetch: createOutboundFetch({ allowPrivate: config.outbound.allowPrivate }),
        });
        const report = await sync(context.id, (progress) => {
          if (!tty) return;
          const width = 20;
          const filled = progress.batches % (width + 1);
          process.stderr.write(
            `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${progress.source}: ${progress.report.received} results read, ${progress.report.queued} learners queued`,
          );
        });
        if (tty) process.stderr.write('\n');
        let pipeline: Record<string, unknown> | undefined;
        if (options.wait) {
          const jobs = createJobRepository(db);
          for (;;) {
            const counts = await jobs.counts();
            if (counts.queued + counts.running === 0) break;
            if (tty) process.stderr.write(`\rwaiting for the pipeline: ${counts.queued} queued, ${counts.running} running   `);
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
          if (tty) process.stderr.write('\n');
          pipeline = { awards: await createAwardRepository(db).countByState({ contextId: context.id }), failedJobs: (await jobs.counts()).failed };
        }
        printReport(options, context, report, started, 'database', pipeline);
      } finally {
        await lti.close();
        await db.close();
      }
    });
}
