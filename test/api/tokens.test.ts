// /hub/api/users/:name/tokens and token storage: shown once, stored hashed, scoped no higher than the owner,
// expiring and revocable; plus GET /hub/api/authorizations/token/:token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
let alice: string;
const post = (body: unknown, token: string) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' }, token });

beforeAll(() => {
  t = createApiApp({
    services: [
      { name: 'svc', api_token: 'service-token-abc', scopes: ['read:users'] },
      { name: 'minter', api_token: 'minter-token-abc', scopes: ['tokens!user=bob'] },
    ],
  });
  alice = t.tokenFor('alice');
  t.deps.users.ensure('bob');
});
afterAll(() => t.close());

describe('creating tokens', () => {
  it('returns 201 with the token once, and the database never holds it', async () => {
    const res = await t.request('/hub/api/users/alice/tokens', post({ note: 'laptop', scopes: ['read:servers!user=alice'], expires_in: 3600 }, alice));
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ user: 'alice', kind: 'api_token', note: 'laptop', roles: [], oauth_client: 'JupyterHub', id: expect.stringMatching(/^a\d+$/) });
    expect(body.token).toMatch(/^[0-9a-f]{32}$/);
    expect(body.scopes).toEqual(['read:servers!user=alice', 'read:users:name!user=alice']);
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(3500_000);

    const rows = t.db.$client.prepare('SELECT * FROM api_tokens').all() as Record<string, unknown>[];
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(body.token);
    expect(dump).not.toContain(alice);
    expect(rows.every((r) => /^sha512:\d+:[0-9a-f]{16}:[0-9a-f]{128}$/.test(String(r.hash)))).toBe(true);
    expect(dump).not.toContain('service-token-abc');

    const listed = await (await t.request('/hub/api/users/alice/tokens', { token: alice })).json();
    expect(JSON.stringify(listed)).not.toContain(body.token);
    expect(listed.api_tokens.map((x: { id: string }) => x.id)).toContain(body.id);
    expect((await t.request('/hub/api/user', { token: body.token })).status).toBe(200);
  });

  it('refuses scopes above the owner\'s with 400 and unknown scopes with 400', async () => {
    const res = await t.request('/hub/api/users/alice/tokens', post({ scopes: ['admin:users'] }, alice));
    expect(res.status).toBe(400);
    expect((await res.json()).message).toContain('admin:users');
    expect((await t.request('/hub/api/users/alice/tokens', post({ scopes: ['servers!user=bob'] }, alice))).status).toBe(400);
    expect((await t.request('/hub/api/users/alice/tokens', post({ scopes: ['no-such-scope'] }, alice))).status).toBe(400);
    expect((await t.request('/hub/api/users/alice/tokens', post({ expires_in: -5 }, alice))).status).toBe(400);
  });

  it("gives a token made without scopes its owner's default scopes, checked against the owner, not the requester (as JupyterHub)", async () => {
    // Holding `tokens` for a user is acting as that user: a narrow token may mint the owner's default token…
    const narrow = t.tokenFor('alice', ['tokens!user=alice']);
    const made = await t.request('/hub/api/users/alice/tokens', post({}, narrow));
    expect(made.status).toBe(201);
    const body = await made.json();
    expect(body.scopes).toContain('servers!user=alice');
    // …but never one above the owner.
    const above = await t.request('/hub/api/users/alice/tokens', post({ scopes: ['admin:users'] }, narrow));
    expect(above.status).toBe(400);
    expect((await above.json()).message).toMatch(/^Not assigning requested scopes .*\badmin:users\b.* not held by User alice$/);
  });

  it('lets an admin, or a service holding tokens!user=bob, create a token for bob without listing scopes: bob\'s, never the admin\'s', async () => {
    const admin = t.tokenFor('admin', ['inherit'], { admin: true });
    for (const requester of [admin, 'minter-token-abc']) {
      const res = await t.request('/hub/api/users/bob/tokens', post({ note: 'for bob' }, requester));
      expect(res.status).toBe(201);
      const created = await res.json();
      expect(created).toMatchObject({ user: 'bob', note: 'for bob' });
      expect(created.scopes).toContain('access:servers!user=bob');
      expect(created.scopes).not.toContain('admin:users');
      const identity = await (await t.request('/hub/api/user', { token: created.token })).json();
      expect(identity).toMatchObject({ name: 'bob', admin: false });
      expect(identity.scopes).toEqual(created.scopes);
    }
    // The service's scope is for bob only.
    expect((await t.request('/hub/api/users/alice/tokens', post({}, 'minter-token-abc'))).status).toBe(404);
  });

  it('takes the deprecated roles field as JupyterHub 5 does: role scopes, bounded by the owner, never with scopes', async () => {
    const server = await t.request('/hub/api/users/alice/tokens', post({ roles: ['server'] }, alice));
    expect(server.status).toBe(201);
    expect((await server.json()).scopes).toEqual([
      'access:servers!server=alice/', 'read:users:activity!user=alice', 'users:activity!user=alice',
    ]);
    const user = await (await t.request('/hub/api/users/alice/tokens', post({ roles: ['user'] }, alice))).json();
    expect(user.scopes).toContain('servers!user=alice');
    const admin = await t.request('/hub/api/users/alice/tokens', post({ roles: ['admin'] }, alice));
    expect(admin.status).toBe(400);
    expect((await admin.json()).message).toMatch(/^Not assigning requested scopes .*admin-ui.* not held by User alice$/);
    const unknown = await t.request('/hub/api/users/alice/tokens', post({ roles: ['grader'] }, alice));
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).message).toContain('No such role: grader');
    const both = await t.request('/hub/api/users/alice/tokens', post({ roles: ['token'], scopes: ['read:users!user'] }, alice));
    expect(both.status).toBe(400);
    expect((await both.json()).message).toBe('Can only assign one of scopes or roles when creating tokens.');
  });

  it('does not let alice create or list bob\'s tokens (404, filtered)', async () => {
    expect((await t.request('/hub/api/users/bob/tokens', post({}, alice))).status).toBe(404);
    expect((await t.request('/hub/api/users/bob/tokens', { token: alice })).status).toBe(404);
  });
});

describe('using, expiring and revoking tokens', () => {
  it('gets one token by id, deletes it (204), and the token stops working (403)', async () => {
    const created = await (await t.request('/hub/api/users/alice/tokens', post({ note: 'temp' }, alice))).json();
    const one = await t.request(`/hub/api/users/alice/tokens/${created.id}`, { token: alice });
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ id: created.id, note: 'temp' });
    expect((await t.request(`/hub/api/users/alice/tokens/${created.id}`, { method: 'DELETE', token: alice })).status).toBe(204);
    expect((await t.request('/hub/api/user', { token: created.token })).status).toBe(403);
    expect((await t.request(`/hub/api/users/alice/tokens/${created.id}`, { token: alice })).status).toBe(404);
    expect((await t.request('/hub/api/users/alice/tokens/a999999', { token: alice })).status).toBe(404);
  });

  it('treats an expired token as invalid and leaves it out of the list', async () => {
    const user = t.deps.users.get('alice')!;
    const { token, row } = t.deps.tokens.issue({ userId: user.id, scopes: ['inherit'], expiresIn: 60 });
    expect((await t.request('/hub/api/user', { token })).status).toBe(200);
    t.db.$client.prepare('UPDATE api_tokens SET expires_at = ? WHERE id = ?').run(Date.now() - 1000, row.id);
    expect((await t.request('/hub/api/user', { token })).status).toBe(403);
    const listed = await (await t.request('/hub/api/users/alice/tokens', { token: alice })).json();
    expect(listed.api_tokens.map((x: { id: string }) => x.id)).not.toContain(`a${row.id}`);
    expect((await t.request(`/hub/api/users/alice/tokens/a${row.id}`, { token: alice })).status).toBe(404);
  });

  it('revokes every token alice holds from an OAuth client when one of them is deleted', async () => {
    const user = t.deps.users.get('alice')!;
    t.deps.oauthClients.register({ identifier: 'jupyterhub-user-alice', secret: 'x'.repeat(32), redirectUri: '/user/alice/oauth_callback', description: 'Server at /user/alice/', allowedScopes: ['access:servers!server=alice/'] });
    const oauth = (sessionId: string) => t.deps.tokens.issue({ userId: user.id, clientId: 'jupyterhub-user-alice', sessionId, scopes: ['access:servers!server=alice/'], format: 'oauth' });
    const first = oauth('s1');
    const second = oauth('s2');
    const listed = await (await t.request('/hub/api/users/alice/tokens', { token: alice })).json();
    expect(listed.api_tokens.find((x: { id: string }) => x.id === `a${first.row.id}`)).toMatchObject({ oauth_client: 'Server at /user/alice/', session_id: 's1' });
    expect((await t.request(`/hub/api/users/alice/tokens/a${first.row.id}`, { method: 'DELETE', token: alice })).status).toBe(204);
    expect(t.deps.tokens.find(second.token)).toBeNull();
    expect((await t.request('/hub/api/user', { token: alice })).status).toBe(200);
  });

  it('records a token\'s last use, and the user\'s activity unless it is a server\'s own token', async () => {
    const carl = t.deps.users.ensure('carl');
    const server = t.deps.tokens.issue({ userId: carl.id, scopes: ['users:activity!user=carl'], note: 'Server at /user/carl/' }).token;
    await t.request('/hub/api/user', { token: server });
    expect(t.deps.tokens.find(server)?.lastActivity).toBeInstanceOf(Date);
    expect(t.deps.users.get('carl')?.lastActivity).toBeNull();
    const token = t.tokenFor('carl', ['read:users!user=carl']);
    await t.request('/hub/api/user', { token });
    expect(t.deps.tokens.find(token)?.lastActivity).toBeInstanceOf(Date);
    expect(t.deps.users.get('carl')?.lastActivity).toBeInstanceOf(Date);
  });
});

describe('GET /hub/api/authorizations/token/:token', () => {
  it('returns the owner of a token to a token-authenticated caller, 404 for unknown tokens', async () => {
    const bobs = t.tokenFor('bob');
    const res = await t.request(`/hub/api/authorizations/token/${bobs}`, { token: 'service-token-abc' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ kind: 'user', name: 'bob' });
    expect((await t.request('/hub/api/authorizations/token/0123456789abcdef0123456789abcdef', { token: 'service-token-abc' })).status).toBe(404);
    expect((await t.request(`/hub/api/authorizations/token/${bobs}`)).status).toBe(403);
  });
});

// Finding 7: 40 tokens with 900 KB notes grew the database by 37 MB; nothing limited tokens per user.
describe('bounds on tokens', () => {
  it('refuses a note longer than 1,023 characters with 400, and keeps one of exactly 1,023', async () => {
    const long = await t.request('/hub/api/users/alice/tokens', post({ note: 'n'.repeat(1024) }, alice));
    expect(long.status).toBe(400);
    expect((await long.json()).message).toBe('note is 1024 characters long; at most 1023 are allowed');
    const fits = await t.request('/hub/api/users/alice/tokens', post({ note: 'n'.repeat(1023) }, alice));
    expect(fits.status).toBe(201);
    expect((await fits.json()).note).toHaveLength(1023);
  });

  it('refuses the 1,001st token of a user with a 400 that says to revoke some, and accepts one again after a revocation', async () => {
    const dora = t.deps.users.ensure('dora');
    const held = Array.from({ length: 1000 }, () => t.deps.tokens.issue({ userId: dora.id, scopes: ['inherit'], note: 'bulk' }));
    const more = await t.request('/hub/api/users/dora/tokens', post({ note: 'one more' }, held[0]!.token));
    expect(more.status).toBe(400);
    expect((await more.json()).message).toBe('dora already holds 1000 tokens, the most a user may hold: revoke some on /hub/token (or DELETE /hub/api/users/dora/tokens/<id>) first');
    expect((await t.request(`/hub/api/users/dora/tokens/a${held[1]!.row.id}`, { method: 'DELETE', token: held[0]!.token })).status).toBe(204);
    expect((await t.request('/hub/api/users/dora/tokens', post({ note: 'one more' }, held[0]!.token))).status).toBe(201);
  });

  it('refuses expires_in that is not a whole number of seconds between 1 and ten years, instead of storing "never"', async () => {
    for (const expires_in of [1e308, 315_360_001, -1, 0, 0.5, 'x', '3600', true]) {
      const res = await t.request('/hub/api/users/alice/tokens', post({ expires_in }, alice));
      expect(res.status, `expires_in ${JSON.stringify(expires_in)}`).toBe(400);
      expect((await res.json()).message).toBe(`expires_in must be a whole number of seconds from 1 to 315360000 (ten years), or null for a token that never expires; got ${JSON.stringify(expires_in)}`);
    }
    const tenYears = await (await t.request('/hub/api/users/alice/tokens', post({ expires_in: 315_360_000 }, alice))).json();
    expect(Date.parse(tenYears.expires_at) - Date.now()).toBeGreaterThan(315_360_000_000 - 60_000);
  });
});

describe('auth.token_max_age', () => {
  it('gives a token requested without expires_in the maximum age, and refuses longer or never-expiring ones', async () => {
    const capped = createApiApp({ auth: { token_max_age: '1d' } });
    try {
      const token = capped.tokenFor('erin');
      const plain = await capped.request('/hub/api/users/erin/tokens', post({ note: 'plain' }, token));
      expect(plain.status).toBe(201);
      const age = Date.parse((await plain.json()).expires_at) - Date.now();
      expect(age).toBeGreaterThan(86_400_000 - 60_000);
      expect(age).toBeLessThanOrEqual(86_400_000);
      const never = await capped.request('/hub/api/users/erin/tokens', post({ expires_in: null }, token));
      expect(never.status).toBe(201);
      expect((await never.json()).expires_at).not.toBeNull();
      const long = await capped.request('/hub/api/users/erin/tokens', post({ expires_in: 86_401 }, token));
      expect(long.status).toBe(400);
      expect((await long.json()).message).toBe('expires_in must be a whole number of seconds from 1 to 86400 (auth.token_max_age), or null for the longest allowed; got 86401');
      expect((await capped.request('/hub/api/users/erin/tokens', post({ expires_in: 86_400 }, token))).status).toBe(201);
    } finally {
      await capped.close();
    }
  });

  it('offers on /hub/token only lifetimes within the maximum, and no "never"', async () => {
    const capped = createApiApp({ auth: { token_max_age: '1d' } });
    try {
      const html = await (await capped.request('/hub/token', { headers: { Cookie: await capped.signIn('erin') } })).text();
      const options = [...html.matchAll(/<option value="(\d*)"/g)].map((m) => m[1]);
      expect(options).toEqual(['3600', '86400']);
      const open = await (await t.request('/hub/token', { headers: { Cookie: await t.signIn('alice') } })).text();
      expect([...open.matchAll(/<option value="(\d*)"/g)].map((m) => m[1])).toEqual(['3600', '86400', '604800', '2592000', '']);
    } finally {
      await capped.close();
    }
  });
});
