import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/open.js';
import { createUserStore } from '../users/store.js';
import { createOAuthClientStore } from './oauth-clients.js';
import { createOAuthCodeStore } from './oauth-codes.js';
import { purgeExpired } from './purge.js';
import { createTokenStore } from './tokens.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-purge-'));
const opened = openDatabase(dir);
afterAll(() => {
  opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('purgeExpired', () => {
  it('deletes expired tokens (API and OAuth) and expired OAuth codes, and keeps the rest', () => {
    const tokens = createTokenStore(opened.db);
    const oauthCodes = createOAuthCodeStore(opened.db);
    const alice = createUserStore(opened.db).ensure('alice');
    createOAuthClientStore(opened.db).register({ identifier: 'jupyterhub-user-alice', secret: 's'.repeat(32), redirectUri: '/user/alice/oauth_callback', description: '', allowedScopes: [] });
    const forever = tokens.issue({ userId: alice.id, scopes: [] }).row;
    const hourLeft = tokens.issue({ userId: alice.id, scopes: [], expiresIn: 3600 }).row;
    const expiredApi = tokens.issue({ userId: alice.id, scopes: [], expiresIn: 60 }).row;
    const expiredOAuth = tokens.issue({ userId: alice.id, scopes: [], expiresIn: 60, clientId: 'jupyterhub-user-alice', format: 'oauth' }).row;
    const code = () => oauthCodes.issue({ clientId: 'jupyterhub-user-alice', userId: alice.id, redirectUri: '/user/alice/oauth_callback', scopes: [], sessionId: null });
    code();
    code();
    const sql = opened.db.$client;
    sql.prepare('UPDATE api_tokens SET expires_at = ? WHERE id IN (?, ?)').run(Date.now() - 1000, expiredApi.id, expiredOAuth.id);
    sql.prepare('UPDATE oauth_codes SET expires_at = ? WHERE id = (SELECT min(id) FROM oauth_codes)').run(Date.now() - 1000);

    expect(purgeExpired({ tokens, oauthCodes })).toEqual({ tokens: 2, codes: 1 });
    const ids = (sql.prepare('SELECT id FROM api_tokens ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    expect(ids).toEqual([forever.id, hourLeft.id]);
    expect((sql.prepare('SELECT count(*) AS n FROM oauth_codes').get() as { n: number }).n).toBe(1);
    expect(purgeExpired({ tokens, oauthCodes })).toEqual({ tokens: 0, codes: 0 });
  });
});
