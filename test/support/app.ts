import { buildApp, type AppDependencies } from '../../src/web/app.ts';
import { createLogger } from '../../src/logger.ts';
import { VERSION } from '../../src/version.ts';
import { openTestDatabase, type TestDatabase } from './database.ts';
import { testConfig, testSecrets } from './config.ts';

/** A real app on a fresh test database; `extra` adds or overrides dependencies. */
export async function makeTestApp(extra: Partial<AppDependencies> & { env?: Record<string, string> } = {}) {
  const config = extra.config ?? testConfig(extra.env);
  const db: TestDatabase = await openTestDatabase();
  const log = createLogger({ level: 'silent' });
  const deps: AppDependencies = { config, db, log, secrets: testSecrets(config), version: VERSION, ...extra };
  return { app: buildApp(deps), db, config, deps, close: () => db.close() };
}
