// The berth/hub image's entrypoint (this checkout's, mounted over the image's with this checkout's code, as
// images/hub/build.sh would build them): the hub runs as `berth` keeping CAP_NET_BIND_SERVICE and nothing else, so a
// hub.yaml may bind port 80 or 443 where unprivileged processes may not (the host's network, which compose.yaml uses;
// here a network namespace of the container's own with the host's default, ip_unprivileged_port_start=1024).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCheckout } from './helpers/checkout-dist.js';
import { execIn } from './helpers/container-probes.js';
import { waitFor } from './helpers/wait-for.js';

const ROOT = path.join(import.meta.dirname, '..');
const docker = new Docker();
const run = randomBytes(4).toString('hex');
const labels = { 'berth.test': 'true', 'berth.test-run': run };
const work = mkdtempSync(path.join(tmpdir(), 'berth-hub-image-'));
let dist: string;

beforeAll(() => {
  dist = compileCheckout(work);
}, 120_000);

afterAll(async () => {
  for (const c of await docker.listContainers({ all: true, filters: { label: [`berth.test-run=${run}`] } })) {
    await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
  for (const n of await docker.listNetworks({ filters: { label: [`berth.test-run=${run}`] } })) {
    await docker.getNetwork(n.Id).remove().catch(() => undefined);
  }
  rmSync(work, { recursive: true, force: true });
});

/** The capability sets of the process whose /proc/<pid>/status this is, as hex masks. */
function capabilities(status: string): Record<string, string> {
  return Object.fromEntries([...status.matchAll(/^(Cap\w+):\s*([0-9a-f]+)$/gm)].map((m) => [m[1]!, m[2]!]));
}
const NET_BIND_SERVICE_ONLY = '0000000000000400'; // bit 10

describe('the hub image', () => {
  it('listens on port 80 as the unprivileged user berth, holding CAP_NET_BIND_SERVICE and no other capability', async () => {
    const config = path.join(work, 'hub.yaml');
    writeFileSync(config, stringify({
      hub: { bind: '0.0.0.0:80', data_dir: '/srv/berth/data', log_level: 'warn' },
      auth: { admin_users: ['admin'] },
      // The hub on a network of its own joins the user network, which then may not drop traffic between containers.
      spawner: { image: 'berth/backend:test', pull_policy: 'never', network: `berth-test-${run}`, isolate_containers: false, extra_labels: labels },
    }));
    const hub = await docker.createContainer({
      name: `berth-test-${run}-hub`,
      Image: 'berth/hub:latest',
      Cmd: ['--config', '/srv/berth/hub.yaml'],
      Labels: labels,
      HostConfig: {
        NetworkMode: 'bridge',
        // Docker lets any process of a container with its own network namespace bind any port; the host does not.
        Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024' },
        Binds: [
          '/var/run/docker.sock:/var/run/docker.sock',
          `${config}:/srv/berth/hub.yaml:ro`,
          `${dist}:/opt/berth/dist:ro`,
          `${path.join(ROOT, 'images/hub/entrypoint.sh')}:/usr/local/bin/berth-entrypoint:ro`,
        ],
      },
    });
    await hub.start();
    const address = (await hub.inspect()).NetworkSettings.Networks.bridge!.IPAddress;
    await waitFor(async () => {
      const state = (await hub.inspect()).State;
      if (!state.Running) throw new Error(`the hub exited (${state.ExitCode}): ${(await hub.logs({ stdout: true, stderr: true })).toString('utf8')}`);
      expect((await fetch(`http://${address}:80/hub/health`, { signal: AbortSignal.timeout(2000) })).status).toBe(200);
    }, { timeoutMs: 60_000, intervalMs: 250 });

    const status = (await execIn(hub, ['cat', '/proc/1/status'])).output;
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe((await execIn(hub, ['id', '-u', 'berth'])).output.trim());
    expect(/^Name:\s+(\S+)/m.exec(status)?.[1]).toBe('node');
    expect(capabilities(status)).toEqual({
      CapInh: NET_BIND_SERVICE_ONLY, CapPrm: NET_BIND_SERVICE_ONLY, CapEff: NET_BIND_SERVICE_ONLY, CapBnd: NET_BIND_SERVICE_ONLY, CapAmb: NET_BIND_SERVICE_ONLY,
    });
  }, 120_000);
});
