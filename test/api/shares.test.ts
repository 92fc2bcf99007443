// JupyterHub 5's sharing API and pages on the fake spawner: granting a server to a user or a group, the rules on who
// may share what (and that a refused request changes nothing), share codes (expiry, one share per user however
// often redeemed), revocation and leaving, the accept-share page and the home panel's forms.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
const tokens: Record<string, string> = {};
const json = (method: string, who: string, payload?: unknown): RequestInit & { token: string } => ({
  method, token: tokens[who]!, ...(payload === undefined ? {} : { body: JSON.stringify(payload), headers: { 'Content-Type': 'application/json' } }),
});
const call = async (path: string, init: RequestInit & { token?: string }) => {
  const res = await t.request(path, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};
/** The scopes `who`'s token holds now, as GET /hub/api/user reports them. */
const scopesOf = async (who: string): Promise<string[]> => (await call('/hub/api/user', { token: tokens[who] })).body.scopes;
const sharesOf = async (owner = 'alice', server = '') => (await call(`/hub/api/shares/${owner}/${server}`, { token: tokens.admin })).body;

function setUp(config: ConfigInput = {}) {
  t = createApiApp({ ...config, hub: { admin_access: true, ...config.hub } });
  for (const name of ['alice', 'bob', 'carol', 'dan']) tokens[name] = t.tokenFor(name);
  tokens.admin = t.tokenFor('admin', ['inherit'], { admin: true });
}
afterEach(() => t.close());

describe('sharing a server with a user or a group', () => {
  beforeEach(() => setUp());

  it('lets alice share her default server with bob, which bob then holds as access:servers!server=alice/', async () => {
    expect(await scopesOf('bob')).not.toContain('access:servers!server=alice/');
    const res = await call('/hub/api/shares/alice/', json('POST', 'alice', { user: 'bob' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      server: { user: { name: 'alice' }, name: '', url: '/user/alice/', full_url: 'http://127.0.0.1:8000/user/alice/', ready: false },
      scopes: ['access:servers!server=alice/'], user: { name: 'bob' }, group: null, kind: 'user', created_at: expect.any(String),
    });
    expect(await scopesOf('bob')).toContain('access:servers!server=alice/');
    expect(await scopesOf('carol')).not.toContain('access:servers!server=alice/');
    expect((await call('/hub/api/shares/alice/', { token: tokens.alice })).body.map((s: { user: { name: string } }) => s.user.name)).toEqual(['bob']);
    expect((await call('/hub/api/users/bob/shared', { token: tokens.bob })).body).toHaveLength(1);
    expect((await call('/hub/api/users/bob/shared/alice/', { token: tokens.bob })).body.user).toEqual({ name: 'bob' });
    // Sharing again changes nothing.
    expect((await call('/hub/api/shares/alice/', json('POST', 'alice', { user: 'bob' }))).status).toBe(200);
    expect(await sharesOf()).toHaveLength(1);
  });

  it('gives a group share to its members for as long as they are members', async () => {
    t.deps.groups.create('team');
    t.deps.groups.addMembers(t.deps.groups.get('team')!.id, [t.deps.users.get('carol')!.id]);
    const res = await call('/hub/api/shares/alice/', json('POST', 'alice', { group: 'team' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'group', group: { name: 'team' }, user: null });
    expect(await scopesOf('carol')).toContain('access:servers!server=alice/');
    expect(await scopesOf('dan')).not.toContain('access:servers!server=alice/');
    expect((await call('/hub/api/users/carol/shared', { token: tokens.carol })).body[0].group).toEqual({ name: 'team' });
    expect((await call('/hub/api/groups/team/shared', { token: tokens.admin })).body).toHaveLength(1);
    t.deps.groups.removeMembers(t.deps.groups.get('team')!.id, [t.deps.users.get('carol')!.id]);
    expect(await scopesOf('carol')).not.toContain('access:servers!server=alice/');
  });

  it('follows the owner through a rename, and gives a new user of the old name nothing', async () => {
    await call('/hub/api/shares/alice/', json('POST', 'alice', { user: 'bob' }));
    expect((await call('/hub/api/users/alice', json('PATCH', 'admin', { name: 'alicia' }))).status).toBe(200);
    t.deps.users.ensure('alice');
    const scopes = await scopesOf('bob');
    expect(scopes).toContain('access:servers!server=alicia/');
    expect(scopes).not.toContain('access:servers!server=alice/');
    expect((await sharesOf('alicia'))[0].scopes).toEqual(['access:servers!server=alicia/']);
    expect((await call('/hub/api/shares/alicia/', json('PATCH', 'admin', { user: 'bob', scopes: ['access:servers'] }))).body).toEqual({});
  });

  it('lists shares in JupyterHub\'s pagination envelope when asked', async () => {
    for (const who of ['bob', 'carol', 'dan']) await call('/hub/api/shares/alice/', json('POST', 'alice', { user: who }));
    const res = await call('/hub/api/shares/alice?limit=2', { token: tokens.alice, headers: { Accept: 'application/jupyterhub-pagination+json' } });
    expect(res.body.items.map((s: { user: { name: string } }) => s.user.name)).toEqual(['bob', 'carol']);
    expect(res.body._pagination).toMatchObject({ offset: 0, limit: 2, total: 3, next: { offset: 2, limit: 2 } });
  });

  it('shares a named server only while it exists: removing it removes its shares', async () => {
    await t.close();
    setUp({ spawner: { allow_named_servers: true } });
    t.spawner.behave('alice', 'instant');
    await t.request('/hub/api/users/alice/servers/work', { method: 'POST', token: tokens.alice });
    await t.hub.servers.stop('alice', { server: 'work' });
    expect((await call('/hub/api/shares/alice/work', json('POST', 'alice', { user: 'bob' }))).status).toBe(200);
    expect(await scopesOf('bob')).toContain('access:servers!server=alice/work');
    expect((await call('/hub/api/users/alice/servers/work', json('DELETE', 'alice', { remove: true }))).status).toBe(204);
    expect(await scopesOf('bob')).not.toContain('access:servers!server=alice/work');
    expect((await call('/hub/api/shares/alice/work', json('POST', 'alice', { user: 'bob' }))).status).toBe(404);
  });
});

describe('who may share what', () => {
  beforeEach(() => setUp());

  it('refuses bob sharing alice\'s server, and sharing anything but access to the one server', async () => {
    expect((await call('/hub/api/shares/alice/', json('POST', 'bob', { user: 'bob' }))).status).toBe(404);
    expect((await call('/hub/api/share-codes/alice/', json('POST', 'bob', {}))).status).toBe(404);
    const wider = await call('/hub/api/shares/alice/', json('POST', 'alice', { user: 'bob', scopes: ['servers!server=alice/'] }));
    expect(wider).toMatchObject({ status: 400, body: { message: expect.stringContaining('grants only access:servers') } });
    const elsewhere = await call('/hub/api/shares/alice/', json('POST', 'alice', { user: 'bob', scopes: ['access:servers!server=carol/'] }));
    expect(elsewhere).toMatchObject({ status: 400, body: { message: expect.stringContaining('only !server=alice/') } });
    expect((await call('/hub/api/shares/alice/', json('POST', 'alice', { user: 'bob', scopes: ['access:servers'] }))).status).toBe(200);
    expect((await call('/hub/api/share-codes/alice/', json('POST', 'alice', { scopes: ['admin:users'] }))).status).toBe(400);
    expect((await sharesOf()).map((s: { scopes: string[] }) => s.scopes)).toEqual([['access:servers!server=alice/']]);
  });

  it('answers every bad request with a clear 4xx and changes nothing', async () => {
    const cases: [string, RequestInit & { token: string }, number, string][] = [
      ['/hub/api/shares/alice/', json('POST', 'alice', { user: 'ghost' }), 400, 'No such user: ghost'],
      ['/hub/api/shares/alice/', json('POST', 'alice', { group: 'nogroup' }), 400, 'No such group: nogroup'],
      ['/hub/api/shares/alice/', json('POST', 'alice', { user: 'bob', group: 'team' }), 400, 'not both'],
      ['/hub/api/shares/alice/', json('POST', 'alice', {}), 400, 'exactly one of'],
      ['/hub/api/shares/alice/', json('POST', 'alice', { user: 'bob', color: 'red' }), 400, 'Unknown fields: color'],
      ['/hub/api/shares/alice/', json('POST', 'alice', { user: 'alice' }), 400, 'alice owns alice/'],
      ['/hub/api/shares/alice/', json('POST', 'alice', { user: ['bob'] }), 400, 'user'],
      ['/hub/api/shares/alice/', { ...json('POST', 'alice'), body: '{not json', headers: { 'Content-Type': 'application/json' } }, 400, 'JSON'],
      ['/hub/api/shares/alice/nosuch', json('POST', 'alice', { user: 'bob' }), 404, 'No such server: alice/nosuch'],
      ['/hub/api/shares/ghost/', json('POST', 'admin', { user: 'bob' }), 404, 'No such server: ghost/'],
      ['/hub/api/shares/alice', json('POST', 'alice', { user: 'bob' }), 405, 'Only GET'],
      ['/hub/api/shares/alice/', json('PUT', 'alice', { user: 'bob' }), 405, ''],
      ['/hub/api/share-codes/alice/', json('POST', 'alice', { expires_in: 10 }), 400, 'expires_in must be'],
      ['/hub/api/share-codes/alice/', json('POST', 'alice', { expires_in: 'soon' }), 400, 'expires_in must be'],
      ['/hub/api/shares/alice/', { method: 'POST', body: JSON.stringify({ user: 'bob' }), headers: { 'Content-Type': 'application/json' }, token: '' }, 403, 'Missing or invalid credentials'],
    ];
    for (const [path, init, status, message] of cases) {
      const res = await call(path, init);
      expect({ path, body: init.body, status: res.status }).toEqual({ path, body: init.body, status });
      expect(res.body.message).toContain(message);
    }
    expect(await sharesOf()).toEqual([]);
    expect((await call('/hub/api/share-codes/alice/', { token: tokens.alice })).body).toEqual([]);
    expect(await scopesOf('bob')).not.toContain('access:servers!server=alice/');
  });

  it('needs the right to read a name to share with it: hub.user_sharing codes allows links only, off nothing', async () => {
    await t.close();
    setUp({ hub: { user_sharing: 'codes' } });
    const byName = await call('/hub/api/shares/alice/', json('POST', 'alice', { user: 'bob' }));
    expect(byName).toMatchObject({ status: 403, body: { message: "Need scope 'read:users:name' to share with users by name" } });
    expect((await call('/hub/api/shares/alice/', json('POST', 'alice', { group: 'team' }))).status).toBe(403);
    expect((await call('/hub/api/share-codes/alice/', json('POST', 'alice', {}))).status).toBe(200);
    await t.close();
    setUp({ hub: { user_sharing: 'off' } });
    const off = await call('/hub/api/share-codes/alice/', json('POST', 'alice', {}));
    expect(off).toMatchObject({ status: 403, body: { message: expect.stringContaining('shares') } });
    // An admin with hub.admin_access may still share any server.
    expect((await call('/hub/api/shares/alice/', json('POST', 'admin', { user: 'bob' }))).status).toBe(200);
  });

  it('lets an admin without hub.admin_access read and revoke shares, but not grant (that would be access)', async () => {
    await t.close();
    setUp({ hub: { admin_access: false } });
    await call('/hub/api/shares/alice/', json('POST', 'alice', { user: 'bob' }));
    // `shares` is held only for the admin's own servers: alice's is someone else's resource (404, as every filtered scope).
    expect((await call('/hub/api/shares/alice/', json('POST', 'admin', { user: 'carol' }))).status).toBe(404);
    expect((await call('/hub/api/share-codes/alice/', json('POST', 'admin', {}))).status).toBe(404);
    expect((await call('/hub/api/shares/alice/', { token: tokens.admin })).body).toHaveLength(1);
    expect((await call('/hub/api/users/bob/shared/alice/', json('DELETE', 'admin'))).status).toBe(204);
    expect(await scopesOf('bob')).not.toContain('access:servers!server=alice/');
  });
});

describe('revoking and leaving', () => {
  beforeEach(async () => {
    setUp();
    for (const who of ['bob', 'carol']) await call('/hub/api/shares/alice/', json('POST', 'alice', { user: who }));
  });

  it('revokes one user with PATCH ({} once nothing is left) and everyone with DELETE', async () => {
    const patched = await call('/hub/api/shares/alice/', json('PATCH', 'alice', { user: 'bob' }));
    expect(patched).toEqual({ status: 200, body: {} });
    expect(await scopesOf('bob')).not.toContain('access:servers!server=alice/');
    expect(await scopesOf('carol')).toContain('access:servers!server=alice/');
    // Revoking from a name that does not exist revokes nothing, as in JupyterHub.
    expect(await call('/hub/api/shares/alice/', json('PATCH', 'alice', { user: 'ghost' }))).toEqual({ status: 200, body: {} });
    expect((await call('/hub/api/shares/alice/', json('PATCH', 'bob', { user: 'carol' }))).status).toBe(404);
    expect((await call('/hub/api/shares/alice/', json('DELETE', 'alice'))).status).toBe(204);
    expect(await scopesOf('carol')).not.toContain('access:servers!server=alice/');
  });

  it('lets bob leave his share but not carol\'s', async () => {
    expect((await call('/hub/api/users/carol/shared/alice/', json('DELETE', 'bob'))).status).toBe(404);
    expect((await call('/hub/api/users/bob/shared/alice/', json('DELETE', 'bob'))).status).toBe(204);
    expect((await call('/hub/api/users/bob/shared/alice/', { token: tokens.bob })).status).toBe(404);
    expect((await sharesOf()).map((s: { user: { name: string } }) => s.user.name)).toEqual(['carol']);
  });
});

describe('share codes', () => {
  beforeEach(() => setUp());

  const accept = async (who: string, code: string) => {
    const cookie = await t.signIn(who);
    const page = await t.request(`/hub/accept-share?code=${encodeURIComponent(code)}`, { headers: { Cookie: cookie } });
    const html = await page.text();
    // The home page's forms carry the same session's _xsrf, also when the accept page is an error.
    const home = await (await t.request('/hub/home', { headers: { Cookie: cookie } })).text();
    const xsrf = /name="_xsrf" value="([^"]+)"/.exec(home)?.[1] ?? '';
    const post = await t.request(`/hub/accept-share?code=${encodeURIComponent(code)}`, {
      method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded', 'Sec-Fetch-Site': 'same-origin' },
      body: new URLSearchParams({ _xsrf: xsrf, code }).toString(),
    });
    return { page: { status: page.status, html }, post };
  };

  it('creates a code shown once, which any user may redeem; each user gets one share however often they redeem it', async () => {
    const created = await call('/hub/api/share-codes/alice/', json('POST', 'alice', { expires_in: 3600 }));
    expect(created.status).toBe(200);
    const { code } = created.body;
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^sc_\d+$/), scopes: ['access:servers!server=alice/'], exchange_count: 0, last_exchanged_at: null,
      accept_url: `/hub/accept-share?code=${code}`, full_accept_url: `http://127.0.0.1:8000/hub/accept-share?code=${code}`,
    });
    expect(Date.parse(created.body.expires_at) - Date.parse(created.body.created_at)).toBe(3600_000);
    const listed = (await call('/hub/api/share-codes/alice/', { token: tokens.alice })).body;
    expect(listed).toHaveLength(1);
    expect(listed[0].code).toBeUndefined();

    const first = await accept('bob', code);
    expect(first.page.status).toBe(200);
    expect(first.page.html).toContain("You (bob) have been invited to access alice&#39;s server");
    expect(first.post.status).toBe(302);
    expect(first.post.headers.get('location')).toBe('/user/alice/');
    expect(await scopesOf('bob')).toContain('access:servers!server=alice/');
    await accept('bob', code);
    await accept('carol', code);
    expect((await sharesOf()).map((s: { user: { name: string } }) => s.user.name)).toEqual(['bob', 'carol']);
    expect((await call('/hub/api/share-codes/alice/', { token: tokens.alice })).body[0].exchange_count).toBe(3);
  });

  it('refuses an expired code, the owner\'s own code, and a POST without _xsrf', async () => {
    const alice = t.deps.users.get('alice')!;
    const expired = t.deps.shares.issueCode({ ownerId: alice.id, serverName: '', serverId: null }, ['access:servers!server=alice/'], 60, new Date(Date.now() - 120_000));
    const old = await accept('bob', expired.code);
    expect(old.page.status).toBe(404);
    expect(old.post.status).toBe(404);
    expect((await call('/hub/api/share-codes/alice/', { token: tokens.alice })).body).toEqual([]);

    const { code } = (await call('/hub/api/share-codes/alice/', json('POST', 'alice', {}))).body;
    expect((await accept('alice', code)).post.status).toBe(400);
    const cookie = await t.signIn('bob');
    const noXsrf = await t.request('/hub/accept-share', {
      method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ code }).toString(),
    });
    expect(noXsrf.status).toBe(403);
    const crossSite = await t.request('/hub/accept-share', {
      method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded', 'Sec-Fetch-Site': 'cross-site' }, body: new URLSearchParams({ code }).toString(),
    });
    expect(crossSite.status).toBe(403);
    expect(await scopesOf('bob')).not.toContain('access:servers!server=alice/');
    expect(await sharesOf()).toEqual([]);
  });

  it('deletes codes one by one (by code or id) or all at once', async () => {
    const make = async () => (await call('/hub/api/share-codes/alice/', json('POST', 'alice', {}))).body;
    const [a, b] = [await make(), await make(), await make()];
    expect((await call(`/hub/api/share-codes/alice/?code=${a.code}`, json('DELETE', 'alice'))).status).toBe(204);
    expect((await call(`/hub/api/share-codes/alice/?id=${b.id}`, json('DELETE', 'alice'))).status).toBe(204);
    expect((await call('/hub/api/share-codes/alice/?id=sc_999', json('DELETE', 'alice'))).status).toBe(404);
    expect((await call('/hub/api/share-codes/alice/', { token: tokens.alice })).body).toHaveLength(1);
    expect((await call('/hub/api/share-codes/alice/', json('DELETE', 'alice'))).status).toBe(204);
    expect((await call('/hub/api/share-codes/alice/', { token: tokens.alice })).body).toEqual([]);
    expect((await accept('bob', a.code)).post.status).toBe(404);
  });

  it('escapes a hostile next on the accept page and never redirects off the hub (GHSA-c4gm-pwx9-9w8j)', async () => {
    const { code } = (await call('/hub/api/share-codes/alice/', json('POST', 'alice', {}))).body;
    const cookie = await t.signIn('bob');
    const get = async (next: string) => (await t.request(`/hub/accept-share?code=${code}&next=${encodeURIComponent(next)}`, { headers: { Cookie: cookie } })).text();
    const injected = await get(`/hub/home'><img src=x onerror=alert(1)>`);
    expect(injected).not.toContain('<img src=x');
    expect(injected).toContain('href="/hub/home&#39;&gt;&lt;img src=x onerror=alert(1)&gt;"');
    const quoted = await get('/hub/">injected</a><a>');
    expect(quoted).not.toContain('">injected</a>');
    for (const offsite of ['https://example.com/', '///example.com/', '/\\example.com']) {
      expect(await get(offsite)).toContain('href="/user/alice/" id="next"');
    }
    const home = await (await t.request('/hub/home', { headers: { Cookie: cookie } })).text();
    const xsrf = /name="_xsrf" value="([^"]+)"/.exec(home)?.[1] ?? '';
    const accepted = await t.request(`/hub/accept-share?code=${code}&next=${encodeURIComponent('https://example.com/')}`, {
      method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _xsrf: xsrf, code }).toString(),
    });
    expect(accepted.headers.get('location')).toBe('/user/alice/');
  });
});

describe('the home page\'s sharing panel', () => {
  beforeEach(() => setUp());

  const form = async (cookie: string, path: string, fields: Record<string, string>) => {
    const home = await (await t.request('/hub/home', { headers: { Cookie: cookie } })).text();
    const xsrf = /name="_xsrf" value="([^"]+)"/.exec(home)?.[1] ?? '';
    return t.request(path, {
      method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded', 'Sec-Fetch-Site': 'same-origin' },
      body: new URLSearchParams({ _xsrf: xsrf, ...fields }).toString(),
    });
  };

  it('shares, lists and revokes through its forms, and shows what others shared', async () => {
    const alice = await t.signIn('alice');
    const shared = await form(alice, '/hub/sharing/grant', { owner: 'alice', server: '', kind: 'user', name: 'bob' });
    expect(shared.status).toBe(303);
    expect(shared.headers.get('location')).toBe('/hub/home');
    const home = await (await t.request('/hub/home', { headers: { Cookie: alice } })).text();
    expect(home).toContain('data-kind="user" data-name="bob"');
    const bobHome = await (await t.request('/hub/home', { headers: { Cookie: await t.signIn('bob') } })).text();
    expect(bobHome).toContain('data-owner="alice" data-shared-server=""');
    const link = await form(alice, '/hub/sharing/link', { owner: 'alice', server: '', expires_in: '3600' });
    expect(await link.text()).toMatch(/value="http:\/\/127\.0\.0\.1:8000\/hub\/accept-share\?code=[\w-]+"/);
    expect((await form(alice, '/hub/sharing/revoke', { owner: 'alice', server: '', kind: 'user', name: 'bob' })).status).toBe(303);
    expect(await scopesOf('bob')).not.toContain('access:servers!server=alice/');
    // bob cannot use the forms on alice's server.
    expect((await form(await t.signIn('bob'), '/hub/sharing/grant', { owner: 'alice', server: '', kind: 'user', name: 'bob' })).status).toBe(404);
    expect((await form(alice, '/hub/sharing/grant', { owner: 'alice', server: '', kind: 'robot', name: 'bob' })).status).toBe(400);
    expect(await sharesOf()).toEqual([]);
  });

  it('shows a hostile group name as text', async () => {
    const name = '<img src=x onerror=alert(1)>';
    const group = t.deps.groups.create(name)!;
    t.deps.groups.addMembers(group.id, [t.deps.users.get('bob')!.id]);
    const alice = t.deps.users.get('alice')!;
    t.deps.shares.grant({ ownerId: alice.id, serverName: '', serverId: null }, { groupId: group.id }, ['access:servers!server=alice/']);
    const home = await (await t.request('/hub/home', { headers: { Cookie: await t.signIn('alice') } })).text();
    expect(home).not.toContain(name);
    expect(home).toContain('group &lt;img src=x onerror=alert(1)&gt;');
  });
});
