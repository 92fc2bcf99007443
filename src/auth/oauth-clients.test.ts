import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/open.js';
import { createOAuthClientStore } from './oauth-clients.js';
import { generateOAuthToken } from './tokens.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-oauth-clients-'));
const opened = openDatabase(dir);
afterAll(() => {
  opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OAuth client secrets', () => {
  const clients = createOAuthClientStore(opened.db);
  const secret = generateOAuthToken();
  clients.register({ identifier: 'jupyterhub-user-alice', secret, redirectUri: '/user/alice/oauth_callback', description: '', allowedScopes: [] });

  it('stores the generated secret salted and hashed once, as generated tokens are, never in clear', () => {
    const { secret_hash: stored } = opened.db.$client.prepare("SELECT secret_hash FROM oauth_clients WHERE identifier = 'jupyterhub-user-alice'").get() as { secret_hash: string };
    expect(stored).toMatch(/^sha512:1:[0-9a-f]{16}:[0-9a-f]{128}$/);
    expect(stored).not.toContain(secret);
  });

  it('authenticates the client with its secret and refuses any other', () => {
    expect(clients.authenticate('jupyterhub-user-alice', secret)?.identifier).toBe('jupyterhub-user-alice');
    expect(clients.authenticate('jupyterhub-user-alice', `${secret}x`)).toBeNull();
    expect(clients.authenticate('jupyterhub-user-bob', secret)).toBeNull();
  });
});
