// An unmodified jupyterhub-singleuser (Debian's jupyterhub 3.0 + notebook 6.4, berth/singleuser:test) started by the
// spawner with nothing but the environment the hub passes: it comes up on /user/<name>/ and answers the hub's probe.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub({ spawner: { image: 'berth/singleuser:test', http_timeout: 60, start_timeout: 90 } });
  t.users.ensure('alice');
});
afterAll(() => t?.cleanup());

it('starts jupyterhub-singleuser from the environment alone, serving under /user/<name>/', async () => {
  expect(await t.hub.servers.start('alice')).toBe('started');
  const res = await fetch(`${t.hub.servers.target('alice')}/user/alice/api`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ version: expect.stringMatching(/^\d+\.\d+/) });
  const logs = (await t.docker.getContainer(t.hub.servers.get('alice')!.containerId!).logs({ stdout: true, stderr: true })).toString('latin1');
  expect(logs).not.toMatch(/Failed to connect to my Hub|JUPYTERHUB_API_TOKEN env is required/);
}, 120_000);
