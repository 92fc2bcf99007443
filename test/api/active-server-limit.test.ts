// spawner.active_server_limit (JupyterHub's active_server_limit), through the hub's app with the fake spawner: a
// server counts from its start until it has completely stopped, named servers too; a start beyond the cap gets
// JupyterHub's 429 from the API (and its too-many-users spawn metric) and a page saying what to do, and changes
// nothing; 0 is no cap.
import { describe, expect, it } from 'vitest';
import { apiAppsForFile, postSpawnForm, type ApiApp } from '../helpers/api-app.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';

const app = apiAppsForFile();
const hub = (spawner: Record<string, unknown>): ApiApp => app({ spawner });

const JUPYTERHUB_429 = { status: 429, message: 'Active user limit exceeded. Try again in a few minutes.' };

async function apiStart(t: ApiApp, user: string, server = ''): Promise<Response> {
  const token = t.tokenFor(user);
  return t.request(`/hub/api/users/${user}/${server === '' ? 'server' : `servers/${server}`}`, { method: 'POST', token });
}

describe('spawner.active_server_limit', () => {
  it('refuses a start once that many servers are running or starting, with JupyterHub\'s 429, and takes it again once one has stopped', async () => {
    const t = hub({ active_server_limit: 2 });
    await t.startServer('alice');
    await t.startServer('bob', { hold: true });
    t.deps.users.ensure('carol');
    t.spawner.behave('carol', 'instant');
    const refused = await apiStart(t, 'carol');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual(JUPYTERHUB_429);
    expect(t.spawner.containerOf('carol')).toBeUndefined();
    expect(t.hub.servers.get('carol')?.status).toBe('stopped');

    // A pending stop still counts: the server is active until it has completely stopped.
    const releaseStops = t.spawner.holdStops();
    const stopping = t.hub.servers.stop('alice');
    expect(t.hub.servers.get('alice')?.status).toBe('stopping');
    expect((await apiStart(t, 'carol')).status).toBe(429);
    releaseStops();
    expect(await stopping).toBe('stopped');

    const taken = await apiStart(t, 'carol');
    expect(taken.status).toBe(201);
    t.spawner.release('bob');
  });

  it('counts named servers, and a refused new named server leaves no record', async () => {
    const t = hub({ active_server_limit: 2, allow_named_servers: true });
    t.deps.users.ensure('dora');
    t.spawner.behave('dora', 'instant');
    expect((await apiStart(t, 'dora', 'one')).status).toBe(201);
    expect((await apiStart(t, 'dora', 'two')).status).toBe(201);
    const refused = await apiStart(t, 'dora', 'three');
    expect(await refused.json()).toEqual(JUPYTERHUB_429);
    expect(t.hub.servers.named('dora').map((s) => s.name)).toEqual(['one', 'two']);
    // The default server is one more server, refused the same way.
    expect((await apiStart(t, 'dora')).status).toBe(429);
  });

  it('shows the spawn page\'s user an HTML error that says why and what to do', async () => {
    const t = hub({ active_server_limit: 1 });
    await t.startServer('erin');
    const res = await postSpawnForm(t, 'frank');
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const message = /<p class="lead" id="error-message">([^<]*)<\/p>/.exec(await res.text())?.[1];
    expect(message).toBe(
      'This hub runs at most 1 server at once, and that many are starting, running or stopping now. Try again in a few minutes, ' +
        'once another server has stopped; if you need one now, ask an administrator of this hub (who can stop idle servers or raise spawner.active_server_limit).',
    );
    expect(t.hub.servers.get('frank')?.status).toBe('stopped');
  });

  it("counts a refused start in jupyterhub_server_spawn_duration_seconds as JupyterHub 5 does, status too-many-users", async () => {
    const t = hub({ active_server_limit: 1 });
    await t.startServer('jan');
    t.deps.users.ensure('kim');
    expect((await apiStart(t, 'kim')).status).toBe(429);
    const res = await t.request('/hub/metrics', { token: t.tokenFor('admin', ['inherit'], { admin: true }) });
    const metrics = parsePrometheusText(await res.text());
    const spawns = (status: string) => sampleValue(metrics, 'jupyterhub_server_spawn_duration_seconds_count', { status });
    expect([spawns('success'), spawns('too-many-users'), spawns('throttled')]).toEqual([1, 1, 0]);
  });

  it('is off at 0, the default', async () => {
    const t = hub({});
    expect(t.config.spawner.active_server_limit).toBe(0);
    for (const user of ['gus', 'hal', 'ivy']) await t.startServer(user);
    expect(t.hub.servers.running()).toHaveLength(3);
  });
});
