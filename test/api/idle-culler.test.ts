// jupyterhub-idle-culler 2.0's calls, replayed against a whole hub with real containers (berth/backend:test):
// GET {url}/ (trailing slash), GET {url}/users?state=ready with the pagination Accept header following next.url,
// DELETE {url}/users/<name>/server — with a service token holding exactly the scopes the culler documents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const CULLER_TOKEN = 'culler-token-0123456789';
const CULLER_SCOPES = ['list:users', 'read:users:activity', 'read:servers', 'delete:servers'];
let t: TestHub;

beforeAll(async () => {
  t = await startTestHub(
    { services: [{ name: 'idle-culler', api_token: CULLER_TOKEN, scopes: CULLER_SCOPES }] },
    { overrides: { serverTiming: { activityFlushMs: 100 } } },
  );
  t.users.ensure('alice');
  t.users.ensure('bob');
  t.users.ensure('carol');
  expect(await t.hub.servers.start('alice')).toBe('started');
  expect(await t.hub.servers.start('bob')).toBe('started');
});
afterAll(() => t?.cleanup());

interface ServerModel { name: string; pending: string | null; ready: boolean; started: string | null; last_activity: string | null; url: string }
interface UserModel { name: string; admin?: boolean; last_activity?: string | null; servers?: Record<string, ServerModel> }

/** The culler's `fetch` wrapper: every request carries `Authorization: token …`. */
function call(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { Authorization: `token ${CULLER_TOKEN}`, ...(init.headers as Record<string, string>) } });
}

/** The culler's fetch_paginated: follows `_pagination.next.url` verbatim; accepts a bare list as "not paginated". */
async function fetchPaginated(url: string): Promise<{ users: UserModel[]; pages: number }> {
  const users: UserModel[] = [];
  let next: string | null = url;
  let pages = 0;
  while (next) {
    const res = await call(next, { headers: { Accept: 'application/jupyterhub-pagination+json' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: UserModel[]; _pagination: { next: { url: string } | null } } | UserModel[];
    pages++;
    if (Array.isArray(body)) return { users: body, pages };
    users.push(...body.items);
    next = body._pagination.next?.url ?? null;
  }
  return { users, pages };
}

/** One culler round (cull_idle with --cull-every, default servers, no user culling). Returns the culled names. */
async function cullRound(apiUrl: string, timeoutSeconds: number, limit = 1): Promise<string[]> {
  const root = await call(`${apiUrl}/`);
  expect(root.status).toBe(200);
  const { version } = (await root.json()) as { version: string };
  expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  const [major, minor] = version.split('.').map(Number) as [number, number];
  expect(major > 1 || (major === 1 && minor >= 3)).toBe(true); // the culler only uses ?state= from 1.3.0 on

  const { users, pages } = await fetchPaginated(`${apiUrl}/users?state=ready&limit=${limit}`);
  if (limit < users.length) expect(pages).toBeGreaterThan(1);
  const culled: string[] = [];
  const now = Date.now();
  for (const user of users) {
    expect(user).toHaveProperty('name');
    expect(user).toHaveProperty('admin');
    for (const server of Object.values(user.servers ?? {})) {
      expect(server).toHaveProperty('url');
      if (server.pending || !server.ready) continue;
      const last = server.last_activity ?? server.started;
      const inactive = (now - Date.parse(last as string)) / 1000;
      if (inactive < timeoutSeconds) continue;
      const res = await call(`${apiUrl}/users/${encodeURIComponent(user.name)}/server`, { method: 'DELETE' });
      expect([204, 202]).toContain(res.status);
      if (res.status === 204) culled.push(user.name);
    }
  }
  return culled;
}

describe('jupyterhub-idle-culler against the hub', () => {
  it('stops an idle server and leaves a recently active one running', async () => {
    const apiUrl = `${t.url}/hub/api`;
    // bob's server reports activity as jupyterhub-singleuser does, with its own token, dated in the near future
    // (up to 59 minutes ahead is accepted): bob is never idle in this test, however slow the machine.
    const env = ((await (await fetch(`${t.hub.servers.target('bob')}/user/bob/echo`)).json()) as { env: Record<string, string> }).env;
    const future = new Date(Date.now() + 30 * 60_000).toISOString().replace('Z', '000Z');
    const reported = await fetch(`${apiUrl}/users/bob/activity`, {
      method: 'POST',
      headers: { Authorization: `token ${env.JUPYTERHUB_API_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ servers: { [env.JUPYTERHUB_SERVER_NAME ?? '']: { last_activity: future } }, last_activity: future }),
    });
    expect(reported.status).toBe(200);
    await expect.poll(async () => ((await (await call(`${apiUrl}/users/bob`)).json()) as UserModel).servers?.['']?.last_activity)
      .toBe(new Date(Date.parse(future)).toISOString());

    // alice has been idle for at least a second: wait until the API says so, then cull with a 1 s timeout.
    await expect.poll(async () => {
      const res = await call(`${apiUrl}/users/alice`);
      const model = (await res.json()) as UserModel;
      const server = model.servers?.[''];
      return server ? (Date.now() - Date.parse((server.last_activity ?? server.started) as string)) / 1000 : 0;
    }, { timeout: 10_000, interval: 200 }).toBeGreaterThan(1.5);

    const culled = await cullRound(apiUrl, 1);
    expect(culled).toEqual(['alice']);
    await expect.poll(() => t.hub.servers.get('alice')?.status, { timeout: 20_000 }).toBe('stopped');
    expect(t.hub.servers.get('bob')?.status).toBe('running');
    expect(t.hub.servers.target('alice')).toBeNull();

    // The next round sees only bob as ready, and leaves him alone.
    expect(await cullRound(apiUrl, 1, 50)).toEqual([]);
    expect(t.hub.servers.get('bob')?.status).toBe('running');
  });

  it('gives the culler token nothing beyond its scopes', async () => {
    const apiUrl = `${t.url}/hub/api`;
    const start = await call(`${apiUrl}/users/carol/server`, { method: 'POST' });
    expect(start.status).toBe(403);
    expect(((await start.json()) as { message: string }).message).toContain('servers');
    expect((await call(`${apiUrl}/users/carol`, { method: 'DELETE' })).status).toBe(403);
    expect((await call(`${apiUrl}/users/carol/tokens`)).status).toBe(403);
    const carol = (await (await call(`${apiUrl}/users/carol`)).json()) as Record<string, unknown>;
    expect(Object.keys(carol).sort()).toEqual(['admin', 'kind', 'last_activity', 'name', 'servers']);
  });
});
