// /hub/api/groups: list (paginated), bulk create, one group's GET/POST/DELETE, membership and properties,
// and group-filtered scopes reaching the group's members.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
let admin: string;
const body = (method: string, payload: unknown) => ({ method, body: JSON.stringify(payload), headers: { 'Content-Type': 'application/json' }, token: admin });

// A fresh app per test, so no test sees the groups another made; one that needs groups creates them (createTeams).
beforeEach(() => {
  t = createApiApp({ services: [{ name: 'teamlead', api_token: 'teamlead-token', scopes: ['read:users!group=team', 'list:users!group=team'] }] });
  admin = t.tokenFor('admin', ['inherit'], { admin: true });
  for (const n of ['alice', 'bob', 'carol']) t.deps.users.ensure(n);
});
afterEach(() => t.close());

const createTeams = async () => expect((await t.request('/hub/api/groups', body('POST', { groups: ['team', 'other'], users: ['alice'] }))).status).toBe(201);

describe('groups', () => {
  it('creates groups in bulk (201) with members, and 409 when one exists', async () => {
    const res = await t.request('/hub/api/groups', body('POST', { groups: ['team', 'other'], users: ['alice'] }));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual([
      { kind: 'group', name: 'team', roles: [], users: ['alice'], properties: {} },
      { kind: 'group', name: 'other', roles: [], users: ['alice'], properties: {} },
    ]);
    expect((await t.request('/hub/api/groups', body('POST', { groups: ['team'] }))).status).toBe(409);
    expect((await t.request('/hub/api/groups', body('POST', { groups: ['x'], users: ['ghost'] }))).status).toBe(400);
  });

  it('lists groups as a bare list or a page', async () => {
    await createTeams();
    const bare = await (await t.request('/hub/api/groups', { token: admin })).json();
    expect(bare.map((g: { name: string }) => g.name)).toEqual(['team', 'other']);
    const page = await (await t.request('/hub/api/groups?limit=1', { token: admin, headers: { Accept: 'application/jupyterhub-pagination+json' } })).json();
    expect(page._pagination).toMatchObject({ offset: 0, limit: 1, total: 2, next: { offset: 1, limit: 1, url: 'http://127.0.0.1:8000/hub/api/groups?limit=1&offset=1' } });
  });

  it('creates one group (201/409), adds and removes members, replaces properties, deletes (204/404)', async () => {
    expect((await t.request('/hub/api/groups/solo', body('POST', {}))).status).toBe(201);
    expect((await t.request('/hub/api/groups/solo', body('POST', {}))).status).toBe(409);
    const added = await t.request('/hub/api/groups/solo/users', body('POST', { users: ['bob', 'carol'] }));
    expect(added.status).toBe(200);
    expect((await added.json()).users).toEqual(['bob', 'carol']);
    const removed = await t.request('/hub/api/groups/solo/users', body('DELETE', { users: ['bob'] }));
    expect((await removed.json()).users).toEqual(['carol']);
    const props = await t.request('/hub/api/groups/solo/properties', body('PUT', { course: 'ml101' }));
    expect((await props.json()).properties).toEqual({ course: 'ml101' });
    expect((await t.request('/hub/api/groups/solo/properties', body('PUT', [1]))).status).toBe(400);
    expect((await t.request('/hub/api/groups/solo', { token: admin })).status).toBe(200);
    expect((await t.request('/hub/api/groups/solo', { method: 'DELETE', token: admin })).status).toBe(204);
    expect((await t.request('/hub/api/groups/solo', { method: 'DELETE', token: admin })).status).toBe(404);
    expect((await t.request('/hub/api/groups/solo', { token: admin })).status).toBe(404);
  });

  it('refuses group administration to a plain user (403 naming the scope)', async () => {
    const res = await t.request('/hub/api/groups', { method: 'POST', body: JSON.stringify({ groups: ['mine'] }), token: t.tokenFor('bob') });
    expect(res.status).toBe(403);
    expect((await res.json()).message).toContain('admin:groups');
  });

  it('resolves !group= scopes to the group\'s members', async () => {
    await createTeams();
    expect((await t.request('/hub/api/users/alice', { token: 'teamlead-token' })).status).toBe(200);
    expect((await t.request('/hub/api/users/bob', { token: 'teamlead-token' })).status).toBe(404);
    const listed = await (await t.request('/hub/api/users', { token: 'teamlead-token' })).json();
    expect(listed.map((u: { name: string }) => u.name)).toEqual(['alice']);
    const self = await (await t.request('/hub/api/user', { token: t.tokenFor('alice', ['read:users!user=alice']) })).json();
    expect(self.groups).toEqual(['other', 'team']);
  });
});
