// Catalog entries as profiles, through the REST API and the spawn form (fake spawner, no Docker): an entry's
// resources and environment reach the server, and an entry with `groups` is listed and startable only for members
// of those hub groups or of the same groups reported by the sign-in method.
import { afterEach, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
afterEach(() => t?.close());

const catalog = () => createApiApp({
  spawner: {
    image: 'img/base:1',
    mem_limit: '1G',
    environment: { SITE: 'hub', TIER: 'base' },
    images: {
      lab: { image: 'img/lab:1', description: 'JupyterLab' },
      big: { image: 'img/lab:1', description: 'Big', mem_limit: '8G', cpu_limit: 4, environment: { TIER: 'big' } },
      gpu: { image: 'img/gpu:1', description: 'One GPU', groups: ['gpu-users'], gpus: 1 },
    },
  },
});

const startAs = (token: string, image: string) => t.request('/hub/api/users/alice/server', {
  method: 'POST', token, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ image }),
});

describe('profiles (catalog entries with resources and groups)', () => {
  it("gives the server the entry's limits and environment over the spawner's", async () => {
    t = catalog();
    const token = t.tokenFor('alice');
    expect((await startAs(token, 'big')).status).toBe(201);
    expect(t.spawner.containerOf('alice')?.env).toMatchObject({ MEM_LIMIT: String(8 * 2 ** 30), CPU_LIMIT: '4', TIER: 'big', SITE: 'hub' });
  });

  it('refuses a pick outside the user\'s groups with 403 naming the entry, and starts nothing', async () => {
    t = catalog();
    const res = await startAs(t.tokenFor('alice'), 'gpu');
    expect(res.status).toBe(403);
    expect((await res.json()).message).toMatch(/"gpu" \(spawner\.images\.gpu\) is only for members of the groups gpu-users/);
    expect(t.spawner.starts).toEqual([]);
    expect(t.hub.servers.get('alice')).toMatchObject({ status: 'stopped' });
  });

  it('lets a member of the hub group start the entry', async () => {
    t = catalog();
    const token = t.tokenFor('alice');
    const group = t.deps.groups.create('gpu-users')!;
    t.deps.groups.addMembers(group.id, [t.deps.users.get('alice')!.id]);
    expect((await startAs(token, 'gpu')).status).toBe(201);
    expect(t.hub.servers.get('alice')).toMatchObject({ status: 'running', imageLabel: 'gpu' });
  });

  it('lets a member by the sign-in method\'s groups (PAM, the OpenID Connect claim) start the entry', async () => {
    t = catalog();
    const token = t.tokenFor('alice');
    t.deps.users.update('alice', { authGroups: ['gpu-users'] });
    expect((await startAs(token, 'gpu')).status).toBe(201);
  });

  it('lists only the entries the user may pick on the spawn form, and refuses a forged pick with 403', async () => {
    t = catalog();
    const cookie = await t.signIn('alice');
    const page = await t.request('/hub/spawn', { headers: { Cookie: cookie } });
    const html = await page.text();
    expect(html).toContain('value="lab"');
    expect(html).toContain('value="big"');
    expect(html).not.toContain('value="gpu"');
    const xsrf = /name="_xsrf" value="([^"]+)"/.exec(html)![1];
    const res = await t.request('/hub/spawn', {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `_xsrf=${encodeURIComponent(xsrf)}&image=gpu`,
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('spawner.images.gpu');
    expect(t.spawner.starts).toEqual([]);

    const group = t.deps.groups.create('gpu-users')!;
    t.deps.groups.addMembers(group.id, [t.deps.users.get('alice')!.id]);
    expect(await (await t.request('/hub/spawn', { headers: { Cookie: cookie } })).text()).toContain('value="gpu"');
  });
});
