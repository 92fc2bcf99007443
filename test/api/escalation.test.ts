// Bad inputs from JupyterHub's advisories, as tests: admin:users holders making admins (GHSA-9x4q), filtered
// admin scopes creating users or groups (GHSA-69wv), malformed Authorization headers, and tokens for other users.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
const send = (method: string, body: unknown, token: string) => ({ method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' }, token });

beforeAll(() => {
  t = createApiApp({
    services: [
      { name: 'usermgr', api_token: 'usermgr-token', scopes: ['admin:users'] },
      { name: 'teammgr', api_token: 'teammgr-token', scopes: ['admin:users!group=team', 'admin:groups!group=team', 'admin:groups!group=newgroup'] },
    ],
  });
  for (const n of ['alice', 'bob']) t.deps.users.ensure(n);
  t.deps.users.ensure('admin', { admin: true });
  const team = t.deps.groups.create('team')!;
  t.deps.groups.addMembers(team.id, [t.deps.users.get('alice')!.id]);
});
afterAll(() => t.close());

describe('privilege escalation', () => {
  it('refuses admin:users holders who are not admins when they grant admin or edit an admin (GHSA-9x4q)', async () => {
    const res = await t.request('/hub/api/users/bob', send('PATCH', { admin: true }, 'usermgr-token'));
    expect(res.status).toBe(403);
    expect(t.deps.users.get('bob')?.admin).toBe(false);
    expect((await t.request('/hub/api/users/admin', send('PATCH', { name: 'admin2' }, 'usermgr-token'))).status).toBe(403);
    expect((await t.request('/hub/api/users/newadmin', send('POST', { admin: true }, 'usermgr-token'))).status).toBe(403);
    expect((await t.request('/hub/api/users/bob', send('PATCH', { name: 'bobby' }, 'usermgr-token'))).status).toBe(200);
  });

  it('refuses filtered admin scopes for creating users or groups, while they still manage the filtered ones (GHSA-69wv)', async () => {
    expect((await t.request('/hub/api/users', send('POST', { usernames: ['sneaky'] }, 'teammgr-token'))).status).toBe(403);
    expect((await t.request('/hub/api/users/sneaky', send('POST', {}, 'teammgr-token'))).status).toBe(403);
    expect((await t.request('/hub/api/groups', send('POST', { groups: ['newgroup'] }, 'teammgr-token'))).status).toBe(403);
    expect((await t.request('/hub/api/groups/newgroup', send('POST', {}, 'teammgr-token'))).status).toBe(403);
    expect(t.deps.users.get('sneaky')).toBeNull();
    expect(t.deps.groups.get('newgroup')).toBeNull();
    // Renaming moves a user out of the filter: refused too. Editing a team member is allowed.
    expect((await t.request('/hub/api/users/alice', send('PATCH', { name: 'alice2' }, 'teammgr-token'))).status).toBe(403);
    expect((await t.request('/hub/api/users/alice', send('PATCH', { image: null }, 'teammgr-token'))).status).toBe(200);
    expect((await t.request('/hub/api/users/bob', send('PATCH', { image: null }, 'teammgr-token'))).status).toBe(404);
  });

  it('refuses a user\'s token access to another user\'s tokens, servers and activity', async () => {
    const alice = t.tokenFor('alice');
    expect((await t.request('/hub/api/users/admin/tokens', send('POST', {}, alice))).status).toBe(404);
    expect((await t.request('/hub/api/users/admin', { token: alice })).status).toBe(404);
    expect((await t.request('/hub/api/users/admin/activity', send('POST', { last_activity: new Date().toISOString() }, alice))).status).toBe(404);
  });
});

describe('credentials', () => {
  it('treats malformed Authorization headers as no credentials (403), not as a cookie fallback', async () => {
    const token = t.tokenFor('alice');
    for (const header of [`token:${token}`, `Token`, `Basic ${Buffer.from(`alice:${token}`).toString('base64')}`, `token ${token} extra`]) {
      const res = await t.request('/hub/api/user', { headers: { Authorization: header, Cookie: await t.signIn('alice') } });
      expect(res.status).toBe(403);
    }
    expect((await t.request('/hub/api/user', { headers: { Authorization: `BEARER ${token}` } })).status).toBe(200);
  });
});

describe('request bodies', () => {
  it('refuses bodies over 1 MiB (413), bad JSON and non-objects (400), as JSON errors', async () => {
    const admin = t.tokenFor('admin');
    const big = await t.request('/hub/api/users', { method: 'POST', body: JSON.stringify({ usernames: ['x'.repeat(2 * 1024 * 1024)] }), headers: { 'Content-Type': 'application/json' }, token: admin });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ status: 413 });
    expect((await t.request('/hub/api/users', { method: 'POST', body: '{"usernames": [', token: admin })).status).toBe(400);
    expect((await t.request('/hub/api/users', { method: 'POST', body: '["a"]', token: admin })).status).toBe(400);
    expect((await t.request('/hub/api/users', { method: 'POST', body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), token: admin })).status).toBe(400);
  });
});
