// configurable-http-proxy's worst production bug, as a regression test: WebSocket upgrades to a stopped server
// or to a server that answers plain HTTP must leave no socket behind (CHP#557, http-proxy-3#26).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedUpgradeAt, settledSocketCount, stableSocketCount, startBackend, startProxy, type ProxyHarness } from './helpers/proxy-harness.js';

const UPGRADES = 1000;
const AT_ONCE = 50;

let proxy: ProxyHarness;
let plain: Awaited<ReturnType<typeof startBackend>>;

beforeAll(async () => {
  proxy = await startProxy();
  // No 'upgrade' listener: node answers the upgrade request as an ordinary request.
  plain = await startBackend((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('no websocket here');
  });
  proxy.targets.set('plain', plain.url);
});
afterAll(async () => {
  await proxy.close();
  await plain.close();
});

const refusedUpgrade = (path: string) => refusedUpgradeAt(`ws://127.0.0.1:${proxy.port}${path}`);

async function storm(path: string, expectedStatus: number): Promise<void> {
  for (let done = 0; done < UPGRADES; done += AT_ONCE) {
    const statuses = await Promise.all(Array.from({ length: AT_ONCE }, () => refusedUpgrade(path)));
    expect(new Set(statuses)).toEqual(new Set([expectedStatus]));
  }
}

describe('WebSocket upgrades that cannot be proxied', () => {
  it(`leave the open socket count at its baseline after ${UPGRADES} to a stopped server`, async () => {
    await refusedUpgrade('/user/stopped/api/kernels/k/channels');
    const baseline = await stableSocketCount();
    await storm('/user/stopped/api/kernels/k/channels', 424);
    expect(await settledSocketCount(baseline)).toBe(baseline);
  });

  it(`leave the open socket count at its baseline after ${UPGRADES} to a server that answers plain HTTP`, async () => {
    await refusedUpgrade('/user/plain/api/kernels/k/channels');
    const baseline = await stableSocketCount();
    await storm('/user/plain/api/kernels/k/channels', 404);
    expect(await settledSocketCount(baseline)).toBe(baseline);
  });
});
