import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Docker-backed suites share one engine on a 2-core machine: run files two at a time.
    maxWorkers: 2,
    env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
  },
});
