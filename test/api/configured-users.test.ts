// Users named in auth.admin_users and auth.allowed_users exist from the hub's start (JupyterHub's init_users), so an
// admin can pick their image before their first sign-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
beforeAll(() => {
  t = createApiApp({
    auth: { admin_users: ['admin', 'root2'], allowed_users: ['zoe', 'yann'] },
    spawner: { images: { lab: { image: 'berth/singleuser:latest' } } },
  });
});
afterAll(() => t.close());

describe('users named in hub.yaml', () => {
  it('exist before anyone signs in, admins as admins, the others not', async () => {
    const admin = t.tokenFor('admin');
    const res = await t.request('/hub/api/users?sort=name', { token: admin });
    expect(res.status).toBe(200);
    const users = (await res.json()) as { name: string; admin: boolean }[];
    expect(users.map((u) => [u.name, u.admin])).toEqual([['admin', true], ['root2', true], ['yann', false], ['zoe', false]]);
  });

  it("let an admin set an allowed user's image before their first sign-in", async () => {
    const res = await t.request('/hub/api/users/zoe', {
      method: 'PATCH', body: JSON.stringify({ image: 'lab' }), headers: { 'Content-Type': 'application/json' }, token: t.tokenFor('admin'),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'zoe', image: { label: 'lab', source: 'admin' } });
  });

  it('stay unbound to a sign-in method until their first sign-in', () => {
    expect(t.deps.users.get('yann')).toMatchObject({ authenticator: null, addedByAdmin: false });
  });
});
