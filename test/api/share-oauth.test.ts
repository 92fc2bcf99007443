// Shares at the OAuth step of the owner's server, at the HTTP level: a share (with a user, through a group, or from
// a redeemed code) lets its holder through authorize → code → token, whose /hub/api/user identity then carries
// access:servers!server=alice/; after revocation the same token no longer carries it and a new authorize is a 403.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serverClientId } from '../../src/auth/oauth-clients.js';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
let serverToken: string;
const CLIENT = serverClientId('alice');
const CALLBACK = '/user/alice/oauth_callback';
const authorizeUrl = `/hub/api/oauth2/authorize?${new URLSearchParams({ client_id: CLIENT, redirect_uri: CALLBACK, response_type: 'code', state: 's' })}`;

beforeEach(() => {
  t = createApiApp();
  const alice = t.deps.users.ensure('alice');
  for (const name of ['bob', 'carol', 'dan']) t.deps.users.ensure(name);
  serverToken = t.deps.tokens.issue({ userId: alice.id, scopes: ['access:servers!server=alice/', 'users:activity!user=alice'], note: 'Server at /user/alice/' }).token;
  t.deps.oauthClients.register({ identifier: CLIENT, secret: serverToken, redirectUri: CALLBACK, description: 'Server at /user/alice/', allowedScopes: ['access:servers!server=alice/'] });
});
afterEach(() => t.close());

/** Through the consent page (alice's server is not the visitor's own) to the server's callback; the access token, or the refusing status. */
async function signInToAlicesServer(who: string): Promise<string | number> {
  const cookie = await t.signIn(who);
  const page = await t.request(authorizeUrl, { headers: { Cookie: cookie } });
  if (page.status !== 200) return page.status;
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const confirmed = await t.request(authorizeUrl, { method: 'POST', body: `_xsrf=${encodeURIComponent(xsrf)}`, headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' } });
  expect(confirmed.status).toBe(302);
  const code = new URL(confirmed.headers.get('location')!, 'http://x').searchParams.get('code')!;
  const form = new URLSearchParams({ client_id: CLIENT, client_secret: serverToken, grant_type: 'authorization_code', code, redirect_uri: CALLBACK });
  const token = await t.request('/hub/api/oauth2/token', { method: 'POST', body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  return (await token.json()).access_token;
}

/** What the single-user server learns about a visitor's token (HubAuth's check): does it grant access to alice's server? */
async function serverSees(token: string): Promise<{ name: string; access: boolean }> {
  const me = await (await t.request('/hub/api/user', { token })).json();
  return { name: me.name, access: me.scopes.includes('access:servers!server=alice/') };
}

const aliceToken = () => t.tokenFor('alice');
const post = (path: string, body: unknown) => t.request(path, { method: 'POST', token: aliceToken(), body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

describe('shares at the OAuth step of the owner\'s server', () => {
  it('lets a user share, a group share and a redeemed code through, refuses everyone else, and honours revocation', async () => {
    t.deps.groups.create('team');
    t.deps.groups.addMembers(t.deps.groups.get('team')!.id, [t.deps.users.get('carol')!.id]);
    expect((await post('/hub/api/shares/alice/', { user: 'bob' })).status).toBe(200);
    expect((await post('/hub/api/shares/alice/', { group: 'team' })).status).toBe(200);
    const { code } = await (await post('/hub/api/share-codes/alice/', {})).json();
    const dan = t.deps.users.get('dan')!;
    expect(t.deps.shares.redeem(code, dan.id)).not.toBeNull();
    t.deps.users.ensure('eve');

    const bob = await signInToAlicesServer('bob');
    const carol = await signInToAlicesServer('carol');
    const danToken = await signInToAlicesServer('dan');
    for (const [who, token] of [['bob', bob], ['carol', carol], ['dan', danToken]] as const) {
      expect(typeof token).toBe('string');
      expect(await serverSees(token as string)).toEqual({ name: who, access: true });
    }
    expect(await signInToAlicesServer('eve')).toBe(403);

    // Revoked: the token bob already holds no longer grants access, and a new OAuth check is refused.
    const revoke = await t.request('/hub/api/shares/alice/', { method: 'PATCH', token: aliceToken(), body: JSON.stringify({ user: 'bob' }), headers: { 'Content-Type': 'application/json' } });
    expect(revoke.status).toBe(200);
    expect(await serverSees(bob as string)).toEqual({ name: 'bob', access: false });
    expect(await signInToAlicesServer('bob')).toBe(403);
    // carol leaves the group: the same.
    t.deps.groups.removeMembers(t.deps.groups.get('team')!.id, [t.deps.users.get('carol')!.id]);
    expect(await serverSees(carol as string)).toEqual({ name: 'carol', access: false });
    expect(await signInToAlicesServer('carol')).toBe(403);
    // dan's share (from the code) stays.
    expect(await serverSees(danToken as string)).toEqual({ name: 'dan', access: true });
  });
});
