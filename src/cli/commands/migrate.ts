import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { openDatabase } from '../../storage/database.ts';
import { migrate } from '../../storage/migrate.ts';

export function register(program: Command): void {
  program
    .command('migrate')
    .description('Apply database migrations (also done at every start)')
    .action(async () => {
      const config = loadConfig(process.env);
      const db = await openDatabase(config.database);
      try {
        const report = await migrate(db);
        console.log(
          report.applied.length > 0
            ? `Applied ${report.applied.length} migration(s): ${report.applied.join(', ')}`
            : `Database is up to date (${report.alreadyApplied} migrations applied).`,
        );
      } finally {
        await db.close();
      }
    });
}
