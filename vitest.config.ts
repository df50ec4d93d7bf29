// Test runner settings in two projects: `unit` (pure, HTTP through app.request(), the Metabase double; no Redis, no
// Superset, no build) for a fast loop, and `integration` (real Redis, real Superset, real processes, helm).
import { defineConfig } from 'vitest/config';

const UNIT = [
  'test/scim/**/*.test.ts',
  'test/http/**/*.test.ts',
  'test/provisioning/**/*.test.ts',
  'test/*.test.ts',
  'test/support/**/*.test.ts',
  'test/store/memory.test.ts',
  'test/store/scoped.test.ts',
  'test/store/redis-url.test.ts',
  'test/operations/**/*.test.ts',
  'test/targets/metabase.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // CI also writes a JSON summary, from which .ci/run prints one plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/results/vitest.json' }]] : ['default'],
    projects: [
      // Threads sharing modules between files: these tiers hold no process-wide state, and loading each file's
      // imports once per file was half of the tier's time.
      { extends: true, test: { name: 'unit', include: UNIT, pool: 'threads', isolate: false } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: UNIT,
          globalSetup: ['test/support/global-setup.ts', 'test/support/superset/global-setup.ts'],
        },
      },
    ],
  },
});
