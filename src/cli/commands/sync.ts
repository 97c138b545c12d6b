/**
 * `sello sync --context ID`: syncs one course's outcomes now (AGS results, Moodle or
 * Canvas connector) and prints what it found and what it queued; a progress line on a
 * terminal. Issuing is the running Sello processes' work (their workers claim the queued
 * evaluations within a second); `--wait` waits until the pipeline has finished them.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { openDatabase } from '../../storage/database.ts';
import { migrate } from '../../storage/migrate.ts';
import { createOutcomeRepository, findContextsByLmsId, type OutcomeContext } from '../../storage/outcome-repository.ts';
import { createJobRepository } from '../../storage/job-repository.ts';
import { createAwardRepository } from '../../storage/award-repository.ts';
import { resolveSecrets } from '../../storage/secrets.ts';
import { createLti } from '../../lti/provider.ts';
import { createPageRenderer } from '../../web/views.ts';
import { createCourseSync } from '../../issuance/start-issuance.ts';
import { createOutboundFetch } from '../../outbound/outbound-fetch.ts';
import { OutcomeError } from '../../outcomes/outcome-error.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function register(program: Command): void {
  program
    .command('sync')
    .description("Sync a course's grades and completions now and queue what they earn")
    .requiredOption('--context <id>', "the course: Sello's context id, or the LMS's context id")
    .option('--wait', 'wait until the queued evaluations and awards are done', false)
    .option('--json', 'print the report as JSON', false)
    .action(async (options: { context: string; wait: boolean; json: boolean }) => {
      const config = loadConfig(process.env);
      const log = createLogger({ level: 'warn' });
      const secrets = resolveSecrets(config);
      const db = await openDatabase(config.database);
      const lti = await (async () => {
        await migrate(db);
        return createLti({ db, config, keyEncryptionKey: secrets.keyEncryptionKey, log, pages: createPageRenderer(), purgeIntervalMs: 0 });
      })().catch(async (error: unknown) => {
        await db.close();
        throw error;
      });
      try {
        const context = await resolveContext(db, options.context);
        const tty = process.stderr.isTTY && !options.json;
        const sync = createCourseSync({
          db,
          kek: secrets.keyEncryptionKey,
          ltiServices: lti.services,
          fetch: createOutboundFetch({ allowPrivate: config.outbound.allowPrivate }),
        });
        const started = Date.now();
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
        if (options.json) {
          console.log(JSON.stringify({ context: { id: context.id, lmsContextId: context.lmsContextId, title: context.title }, ...report, pipeline }));
          return;
        }
        console.log(`Course ${context.title || context.lmsContextId} (${context.id})`);
        const names = Object.keys(report.sources);
        if (names.length === 0) console.log('  No outcome source: the course has no AGS line items service and its platform no connector.');
        for (const [source, result] of Object.entries(report.sources)) {
          console.log(`  ${source}: ${result.batches} batch(es)${result.error ? `, FAILED: ${result.error}` : ''}`);
        }
        console.log(
          `  ${report.total.received} results read, ${report.total.changed} learners with new results, ${report.total.queued} queued for evaluation (${((Date.now() - started) / 1000).toFixed(1)} s)`,
        );
        if (pipeline) console.log(`  awards in this course: ${JSON.stringify(pipeline.awards)}; failed jobs: ${pipeline.failedJobs}`);
        if (Object.values(report.sources).some((result) => result.error)) process.exitCode = 1;
      } finally {
        await lti.close();
        await db.close();
      }
    });
}

/**
 * @throws OutcomeError `context_not_found`, `invalid_context` (an LMS id on several platforms).
 */
async function resolveContext(db: Parameters<typeof createOutcomeRepository>[0], id: string): Promise<OutcomeContext> {
  if (UUID.test(id)) {
    const found = await createOutcomeRepository(db).findContext(id);
    if (found) return found;
  }
  const matches = await findContextsByLmsId(db, id);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new OutcomeError('invalid_context', `Several courses have the LMS id ${id}; give Sello's id: ${matches.map((m) => m.id).join(', ')}`);
  }
  throw new OutcomeError('context_not_found', `No course ${id} (Sello learns a course at its first launch)`);
}
