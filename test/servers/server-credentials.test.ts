// A server's credentials (its API token and its OAuth client jupyterhub-user-<name>) live exactly as long as the
// server: a start that fails and a container that vanishes revoke them as a stop does (issue 5, point 1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthClientStore } from '../../src/auth/oauth-clients.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub({
    spawner: { images: { base: { image: 'berth/backend:test' }, missing: { image: 'berth/not-built-anywhere:test' } } },
  });
  t.users.ensure('alice');
});
afterAll(() => t?.cleanup());

const serverTokens = () => (t.hub.db.$client.prepare('SELECT count(*) AS n FROM api_tokens WHERE server_id IS NOT NULL').get() as { n: number }).n;
const client = () => createOAuthClientStore(t.hub.db).get('jupyterhub-user-alice');
const whoIs = (token: string) => fetch(`${t.url}/hub/api/user`, { headers: { Authorization: `token ${token}` } });

describe("a server's credentials", () => {
  it('are revoked when the start fails', async () => {
    await expect(t.hub.servers.start('alice', { image: 'missing' })).rejects.toMatchObject({ status: 500 });
    expect(t.hub.servers.get('alice')!.status).toBe('stopped');
    expect(serverTokens()).toBe(0);
    expect(client()).toBeNull();
  });

  it('are revoked when the container vanishes outside the hub', async () => {
    expect(await t.hub.servers.start('alice', { image: 'base' })).toBe('started');
    const containerId = t.hub.servers.get('alice')!.containerId!;
    const env = (await t.docker.getContainer(containerId).inspect()).Config.Env;
    const token = env.find((e) => e.startsWith('JUPYTERHUB_API_TOKEN='))!.split('=')[1]!;
    expect((await whoIs(token)).status).toBe(200);
    expect(client()).not.toBeNull();

    await t.docker.getContainer(containerId).remove({ force: true });
    t.hub.servers.noteUnreachable('alice');
    await expect.poll(() => t.hub.servers.get('alice')!.status, { timeout: 15_000 }).toBe('stopped');
    expect((await whoIs(token)).status).toBe(403);
    expect(client()).toBeNull();
    expect(serverTokens()).toBe(0);
  });
});
