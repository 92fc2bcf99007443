// Issue 3's socket-leak criterion on a whole hub (in this process): 1,000 WebSocket upgrades to a stopped server
// and 1,000 to a running server that answers plain HTTP (nginx) leave the process's open socket count at its baseline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedUpgradeAt, settledSocketCount, stableSocketCount } from './helpers/proxy-harness.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

const UPGRADES = 1000;
const AT_ONCE = 50;

let t: TestHub;

beforeAll(async () => {
  t = await startTestHub(
    { spawner: { images: { nginx: { image: 'berth/nginx:test', description: 'answers plain HTTP to everything' } } } },
    // No periodic container checks during the count: they open Docker API sockets of their own.
    { overrides: { serverTiming: { pollIntervalMs: 3_600_000 } } },
  );
  t.users.ensure('alice');
  t.users.ensure('plain');
  expect(await t.hub.servers.start('plain', { image: 'nginx' })).toBe('started');
});
afterAll(() => t?.cleanup());

const refusedUpgrade = (path: string) => refusedUpgradeAt(`${t.url.replace('http', 'ws')}${path}`);

async function storm(path: string, expectedStatus: number): Promise<void> {
  await refusedUpgrade(path);
  // Five quiet seconds: keep-alive connections from the start (readiness polls) close after about four.
  const baseline = await stableSocketCount(5000);
  for (let done = 0; done < UPGRADES; done += AT_ONCE) {
    const statuses = await Promise.all(Array.from({ length: AT_ONCE }, () => refusedUpgrade(path)));
    expect(new Set(statuses)).toEqual(new Set([expectedStatus]));
  }
  expect(await settledSocketCount(baseline)).toBe(baseline);
}

describe('a whole hub after WebSocket upgrades that cannot be proxied', () => {
  it(`has as many open sockets as before ${UPGRADES} upgrades to a stopped server`, async () => {
    expect(t.hub.servers.target('alice')).toBeNull();
    await storm('/user/alice/api/kernels/k/channels', 424);
  });

  it(`has as many open sockets as before ${UPGRADES} upgrades to a server that answers plain HTTP`, async () => {
    expect(t.hub.servers.target('plain')).not.toBeNull();
    await storm('/user/plain/api/kernels/k/channels', 200);
  });
});
