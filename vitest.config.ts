import { defineConfig } from 'vitest/config';

// Results also go to a JSON file so that .ci/run can print its "N passed, N failed" line.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', 'json'],
    outputFile: { json: process.env.SELLO_TEST_RESULTS ?? '.vitest-results.json' },
  },
});
