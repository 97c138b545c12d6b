import { defineConfig } from 'vitest/config';

// Results also go to a JSON file so that .ci/run can print its "N passed, N failed" line.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    pool: 'forks',
    // Two test files at a time: vitest's default (cores - 1) is one on the 2-core CI
    // machines, and the suite, run once per database, had grown past 30 minutes that way.
    // Every file has its own schema (PostgreSQL) or in-memory database, chain and ports.
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', 'json'],
    outputFile: { json: process.env.SELLO_TEST_RESULTS ?? '.vitest-results.json' },
  },
});
