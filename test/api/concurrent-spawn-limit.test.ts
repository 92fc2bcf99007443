// spawner.concurrent_spawn_limit (JupyterHub's concurrent_spawn_limit), through the hub's app with the fake spawner:
// starts in flight beyond the cap get JupyterHub's 429 with Retry-After from the API (and its `throttled` spawn
// metric), a page saying what to do, and change nothing; the default is JupyterHub's 100 and 0 is no cap.
import { describe, expect, it } from 'vitest';
import { apiAppsForFile, postSpawnForm, type ApiApp } from '../helpers/api-app.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import { waitFor } from '../helpers/wait-for.js';

const app = apiAppsForFile();
const hub = (spawner: Record<string, unknown>): ApiApp => app({ spawner });

const JUPYTERHUB_429 = { status: 429, message: 'Too many users trying to log in right now. Try again in 10 seconds.' };

async function apiStart(t: ApiApp, user: string): Promise<Response> {
  t.deps.users.ensure(user);
  t.spawner.behave(user, 'instant');
  return t.request(`/hub/api/users/${user}/server`, { method: 'POST', token: t.tokenFor(user) });
}

/** Starts `count` servers that stay starting until released; resolves once each is under way. */
async function holdStarts(t: ApiApp, prefix: string, count: number): Promise<string[]> {
  const users = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  for (const user of users) await t.startServer(user, { hold: true });
  return users;
}

describe('spawner.concurrent_spawn_limit', () => {
  it("refuses a start beyond the limit with JupyterHub's 429 and Retry-After, and takes it once a start has finished", async () => {
    const t = hub({ concurrent_spawn_limit: 2 });
    const [first] = await holdStarts(t, 'busy', 2);
    const refused = await apiStart(t, 'late');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(await refused.json()).toEqual(JUPYTERHUB_429);
    expect(t.spawner.containerOf('late')).toBeUndefined();
    expect(t.hub.servers.get('late')?.status).toBe('stopped');

    t.spawner.release(first!);
    await waitFor(() => expect(t.hub.servers.get(first!)?.status).toBe('running'));
    expect((await apiStart(t, 'late')).status).toBe(201);
  });

  it("counts a refused start in jupyterhub_server_spawn_duration_seconds as JupyterHub 5 does, status throttled", async () => {
    const t = hub({ concurrent_spawn_limit: 1 });
    await holdStarts(t, 'slow', 1);
    expect((await apiStart(t, 'next')).status).toBe(429);
    const res = await t.request('/hub/metrics', { token: t.tokenFor('admin', ['inherit'], { admin: true }) });
    const metrics = parsePrometheusText(await res.text());
    const spawns = (status: string) => sampleValue(metrics, 'jupyterhub_server_spawn_duration_seconds_count', { status });
    expect([spawns('throttled'), spawns('too-many-users')]).toEqual([1, 0]);
  });

  it('shows the spawn page\'s user an HTML error that says why and what to do', async () => {
    const t = hub({ concurrent_spawn_limit: 1 });
    await holdStarts(t, 'first', 1);
    const res = await postSpawnForm(t, 'second');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('10');
    const message = /<p class="lead" id="error-message">([^<]*)<\/p>/.exec(await res.text())?.[1];
    expect(message).toBe(
      'This hub starts at most 1 server at a time, and that many are starting now. Try again in 10 seconds; ' +
        'if this keeps happening, ask an administrator of this hub to raise spawner.concurrent_spawn_limit.',
    );
    expect(t.hub.servers.get('second')?.status).toBe('stopped');
  });

  it("defaults to JupyterHub's 100", () => {
    expect(hub({}).config.spawner.concurrent_spawn_limit).toBe(100);
  });

  it('is off at 0: more starts are in flight at once than the old limit of 20 allowed', async () => {
    const t = hub({ concurrent_spawn_limit: 0 });
    const users = await holdStarts(t, 'crowd', 25);
    expect(users.map((u) => t.hub.servers.get(u)?.status)).toEqual(users.map(() => 'spawning'));
    expect((await apiStart(t, 'one-more')).status).toBe(201);
  });
});
