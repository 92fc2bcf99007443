// Unmodified jupyterhub-singleuser servers of both protocol generations, started by the spawner with nothing but the
// environment the hub passes: JupyterHub 5.2.1 with JupyterLab 4 (berth/singleuser:latest) and Debian's JupyterHub
// 3.0 with notebook 6.4 (berth/singleuser:test). Each comes up on /user/<name>/ and answers the hub's probe; 5.2.1
// finds the hub on its own version (no "could cause failure to authenticate" warning), and 3.0 keeps working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const GENERATIONS = [
  { user: 'alice', label: 'lab', image: 'berth/singleuser:latest', version: '5.2.1' },
  { user: 'bob', label: 'classic', image: 'berth/singleuser:test', version: '3.0' },
];
const MISMATCH = /jupyterhub version \S+ != jupyterhub-singleuser version/;

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub({
    spawner: {
      image: 'berth/singleuser:test', http_timeout: 60, start_timeout: 90,
      images: Object.fromEntries(GENERATIONS.map((g) => [g.label, { image: g.image }])),
      // --debug: 5.x then logs the version check's outcome even when the versions agree.
      cmd: ['jupyterhub-singleuser', '--debug'],
    },
    users: Object.fromEntries(GENERATIONS.map((g) => [g.user, { image: g.label }])),
  });
  for (const g of GENERATIONS) t.users.ensure(g.user);
}, 30_000);
afterAll(() => t?.cleanup());

async function logsOf(user: string): Promise<string> {
  return (await t.docker.getContainer(t.hub.servers.get(user)!.containerId!).logs({ stdout: true, stderr: true })).toString('latin1');
}

describe.each(GENERATIONS)('jupyterhub-singleuser $version ($image)', (g) => {
  it('starts from the environment alone, serving under /user/<name>/', async () => {
    expect(await t.hub.servers.start(g.user)).toBe('started');
    const res = await fetch(`${t.hub.servers.target(g.user)}/user/${g.user}/api`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ version: expect.stringMatching(/^\d+\.\d+/) });
    const logs = await logsOf(g.user);
    expect(logs).not.toMatch(/Failed to connect to my Hub|JUPYTERHUB_API_TOKEN env is required/);
    expect(logs).toContain(g.version);
  }, 120_000);
});

it('gives the JupyterHub 5.2.1 server a hub of its own version: no version-mismatch warning', async () => {
  const logs = await logsOf('alice');
  expect(logs).toContain('jupyterhub and jupyterhub-singleuser both on version 5.2.1');
  expect(logs).not.toMatch(MISMATCH);
});
