// How tokens travel and are kept: never written to the log (also when sent as ?token=), hub.yaml service tokens
// loaded hashed and dropped when the service leaves the file, services with admin: true holding the admin role.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { createCallerResolver } from '../../src/auth/caller.js';
import { syncServiceTokens } from '../../src/auth/service-tokens.js';
import { createTokenStore } from '../../src/auth/tokens.js';
import { parseConfig } from '../../src/config/load.js';
import { openDatabase } from '../../src/db/open.js';
import { createGroupStore } from '../../src/groups/store.js';
import { createLogger } from '../../src/log.js';
import { createUserStore } from '../../src/users/store.js';
import { createShareStore } from '../../src/shares/store.js';
import { createApiApp } from '../helpers/api-app.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanups: (() => unknown)[] = [];
afterAll(() => Promise.all(cleanups.map((f) => f())));

describe('tokens in logs', () => {
  it('never writes a token sent in the query string or the Authorization header to the request log', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const t = createApiApp({}, { logger: createLogger('info', sink) });
    cleanups.push(() => t.close());
    const token = t.tokenFor('alice');
    expect((await t.request(`/hub/api/user?token=${token}`)).status).toBe(200);
    expect((await t.request('/hub/api/user', { token })).status).toBe(200);
    expect((await t.request('/hub/api/user?token=0123456789abcdef0123456789abcdef')).status).toBe(403);
    expect((await t.request(`/hub/api/authorizations/token/${token}`, { token })).status).toBe(200);
    // The sink may get a line after its response: wait for the last request's.
    await waitFor(() => expect(lines.join('')).toContain('/hub/api/authorizations/token/[redacted]'));
    const log = lines.join('');
    expect(log).toContain('/hub/api/user?token=[redacted]');
    expect(log).toContain('/hub/api/authorizations/token/[redacted]');
    expect(log).not.toContain(token);
    expect(log).not.toContain('0123456789abcdef0123456789abcdef');
  });
});

describe('hub.yaml service tokens', () => {
  function hubWith(services: unknown[], dataDir: string) {
    const config = parseConfig(stringify({ hub: { data_dir: dataDir }, auth: { admin_users: ['admin'] }, services }), path.join(dataDir, 'hub.yaml'), {});
    const opened = openDatabase(dataDir);
    const tokens = createTokenStore(opened.db);
    const users = createUserStore(opened.db);
    const resolver = createCallerResolver({ config, users, groups: createGroupStore(opened.db), tokens, shares: createShareStore(opened.db) });
    return { config, opened, tokens, resolver };
  }

  it('stores them hashed, replaces a changed token, and removes the tokens of a service that left the file', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-svc-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = hubWith([{ name: 'culler', api_token: 'culler-token-one', scopes: ['list:users'] }, { name: 'ops', api_token: 'ops-token-1234', admin: true }], dataDir);
    expect(syncServiceTokens(first.config, first.tokens)).toEqual({ added: ['culler', 'ops'], removed: [] });
    expect(JSON.stringify(first.opened.db.$client.prepare('SELECT * FROM api_tokens').all())).not.toContain('culler-token-one');
    expect(first.resolver.fromToken('culler-token-one')?.caller).toMatchObject({ kind: 'service', name: 'culler', scopes: { list: ['list:users', 'read:users:name'] } });
    const ops = first.resolver.fromToken('ops-token-1234')?.caller;
    expect(ops).toMatchObject({ kind: 'service', admin: true });
    expect(ops?.scopes.list).toEqual(expect.arrayContaining(['admin:users', 'admin:servers', 'admin-ui', 'proxy']));
    expect(ops?.scopes.list).not.toContain('access:servers');
    expect(syncServiceTokens(first.config, first.tokens)).toEqual({ added: [], removed: [] });
    first.opened.close();

    const second = hubWith([{ name: 'culler', api_token: 'culler-token-two', scopes: ['list:users'] }], dataDir);
    // Even before the sync, a service that left the file has no scopes: its token is refused.
    expect(second.resolver.fromToken('ops-token-1234')).toBeNull();
    expect(syncServiceTokens(second.config, second.tokens)).toEqual({ added: ['culler'], removed: ['culler', 'ops'] });
    expect(second.resolver.fromToken('culler-token-one')).toBeNull();
    expect(second.resolver.fromToken('culler-token-two')?.caller.name).toBe('culler');
    expect(second.tokens.listServiceTokens()).toHaveLength(1);
    second.opened.close();
  });
});
