// Two projects. `unit` needs no Docker engine and no browser (only loopback servers a test starts itself) and is
// quick; `integration` is everything else, behind a global setup that fails loudly without the engine and the
// test images. `npm test` runs both, unit first; `npm run test:unit` runs on a machine without Docker.
import { configDefaults, defineConfig } from 'vitest/config';

// The swarm tests add bridges, namespaces and FORWARD rules to this host and run extra dockerds: they run after the
// integration project, not beside its browser tests (a run where they overlapped lost two of those to network errors).
const swarmFiles = ['test/swarm/swarm-hub.test.ts', 'test/swarm/swarm-multinode.test.ts'];
// Files under test/ that need no Docker and no browser. A new test/ file is integration until it is listed here,
// so a test that needs the engine can never land in the project that runs without it.
const unitFilesUnderTest = [
  'test/api/active-server-limit.test.ts',
  'test/api/concurrent-spawn-limit.test.ts',
  'test/api/admin-culled.test.ts',
  'test/api/body-limits.test.ts',
  'test/api/config-reload.test.ts',
  'test/api/escalation.test.ts',
  'test/api/groups.test.ts',
  'test/api/metrics.test.ts',
  'test/api/oauth2.test.ts',
  'test/api/profiles.test.ts',
  'test/api/proxy.test.ts',
  'test/api/root-and-self.test.ts',
  'test/api/shares.test.ts',
  'test/api/share-oauth.test.ts',
  'test/api/services.test.ts',
  'test/api/token-handling.test.ts',
  'test/api/usage.test.ts',
  'test/api/tokens.test.ts',
  'test/api/users.test.ts',
  'test/auth/setup-notices.test.ts',
  'test/http-request.test.ts',
  'test/pages/frame.test.ts',
  'test/pages/server-pages.test.ts',
  'test/proxy-fast-lane.test.ts',
  'test/proxy-leaks.test.ts',
  'test/proxy-limits.test.ts',
  'test/proxy-local.test.ts',
  'test/proxy-services.test.ts',
  'test/proxy-thread.test.ts',
  'test/proxy-threads.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Docker-backed suites share one engine on a 2-core machine: run files two at a time.
    maxWorkers: 2,
    env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', ...unitFilesUnderTest],
          // An engine nobody can reach: a unit test that talks to Docker fails here, not only on a machine without one.
          env: { DOCKER_HOST: 'unix:///nonexistent/unit-tests-use-no-docker.sock' },
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...unitFilesUnderTest, ...swarmFiles],
          globalSetup: ['test/helpers/global-setup.ts'],
          sequence: { groupOrder: 1 },
        },
      },
      {
        // One- and three-node swarms of dockerd processes (about two minutes): last, and alone with `npm run test:swarm`.
        extends: true,
        test: {
          name: 'swarm',
          include: swarmFiles,
          globalSetup: ['test/helpers/global-setup.ts'],
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
