// Orphans (issue 14, point 7): containers on the hub's network that another hub id made, as `docker compose down -v`
// leaves them (the data directory, and with it the hub id, is gone; the containers keep running). The hub reports
// them at start with the commands to run, answers their activity posts 403 with one log line per container, and
// `berth adopt` (dist/, the CLI) makes one this hub's running server, routed as it is, or removes another.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { waitFor } from '../helpers/wait-for.js';

const MAIN = path.join(import.meta.dirname, '..', '..', 'dist', 'main.js');
const OTHER_HUB = 'feedfacefeedface';
const lines: Record<string, unknown>[] = [];
const sink = { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)) };

let t: TestHub;
/** The report the restart in beforeAll logged (later restarts log their own). */
let report: Record<string, unknown> | undefined;
const tokens: Record<string, string> = {};
const containers: Record<string, Docker.Container> = {};

/** A server as another hub (id OTHER_HUB) would have started it for `user`: its labels, name and credentials. */
async function startOrphan(user: string): Promise<void> {
  tokens[user] = randomBytes(16).toString('hex');
  const container = await t.docker.createContainer({
    name: `${t.network}-${user}`,
    Image: 'berth/backend:test',
    Labels: { ...t.labels, 'berth.hub': OTHER_HUB, 'berth.user': user, 'berth.server': '' },
    Env: [
      `JUPYTERHUB_USER=${user}`, 'JUPYTERHUB_SERVER_NAME=', `JUPYTERHUB_API_TOKEN=${tokens[user]}`,
      `JUPYTERHUB_CLIENT_ID=jupyterhub-user-${user}`, `JUPYTERHUB_SERVICE_PREFIX=/user/${user}/`,
      `JUPYTERHUB_OAUTH_CALLBACK_URL=/user/${user}/oauth_callback`,
    ],
    HostConfig: { NetworkMode: t.network },
  });
  await container.start();
  containers[user] = container;
}

function berth(args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
}

const postActivity = (user: string) => fetch(`${t.url}/hub/api/users/${user}/activity`, {
  method: 'POST',
  headers: { Authorization: `token ${tokens[user]}`, 'Content-Type': 'application/json' },
  body: JSON.stringify({ last_activity: new Date().toISOString() }),
});

beforeAll(async () => {
  t = await startTestHub({}, { overrides: { logger: createLogger('debug', sink) } });
  // alice is adopted, bob removed, carol stays an orphan; each test uses its own.
  await Promise.all(['alice', 'bob', 'carol'].map(startOrphan));
  lines.length = 0;
  await t.restart();
  report = lines.find((l) => l.level === 'warn' && String(l.msg).includes("carry another hub's id"));
}, 120_000);
afterAll(() => t?.cleanup());

describe('containers of another hub id on the network', () => {
  it('are reported at start with the exact commands to adopt or remove them', () => {
    const names = ['alice', 'bob', 'carol'].map((user) => `${t.network}-${user}`);
    expect(report?.msg).toContain(`3 container(s) on network ${t.network} carry another hub's id`);
    for (const args of [[], ['--remove']]) {
      expect(report?.msg).toContain(['berth adopt', ...args, '--config', t.config.file, ...names].join(' '));
    }
    expect(report?.containers).toEqual(expect.arrayContaining(names.map((name) => expect.objectContaining({ name, hub: OTHER_HUB }))));
  });

  it('have their activity posts answered 403, logged once per container rather than on every retry', async () => {
    for (let i = 0; i < 3; i++) expect((await postActivity('carol')).status).toBe(403);
    const about = () => lines.filter((l) => String(l.url ?? '').endsWith('/users/carol/activity') || String(l.msg).includes('activity for carol'));
    await waitFor(() => expect(about().filter((l) => l.level === 'debug')).toHaveLength(2));
    const loud = about().filter((l) => l.level !== 'debug');
    expect(loud.map((l) => l.level)).toEqual(['warn', 'info']);
    expect(loud[0]?.msg).toContain(`posts activity for carol with a token this hub does not know (answered 403`);
    expect(loud[0]?.msg).toContain(`berth adopt --config ${t.config.file}`);
  });

  it("block their user's start, with an error naming berth adopt", async () => {
    t.users.ensure('carol');
    await expect(t.hub.servers.start('carol')).rejects.toThrow(`berth adopt --remove ${t.network}-carol`);
  });

  it('berth adopt makes one this hub\'s server, routed as it runs, with its credentials accepted', async () => {
    const adopted = berth(['adopt', '--config', t.config.file, `${t.network}-alice`]);
    expect(adopted.stderr).toBe('');
    expect(adopted.stdout).toContain(`adopted ${t.network}-alice: alice's server is this hub's now`);
    expect(adopted.status).toBe(0);
    await t.hub.servers.reconcile(); // the periodic check, now
    const { IPAddress } = (await containers.alice!.inspect()).NetworkSettings.Networks[t.network]!;
    expect(t.hub.servers.target('alice')).toBe(`http://${IPAddress}:8888`);
    // The route reaches the proxy thread by message, a moment after the hub has it.
    await expect.poll(async () => (await fetch(`${t.url}/user/alice/api/status`)).status, { timeout: 10_000 }).toBe(200);
    expect((await postActivity('alice')).status).toBe(200);
    // A restarted hub keeps it: the server row claims the container, whatever its label says.
    await t.restart();
    expect(t.hub.servers.target('alice')).toBe(`http://${IPAddress}:8888`);
  }, 120_000);

  it('berth adopt --remove removes another (its volumes stay), and the user starts a server of this hub again', async () => {
    const removed = berth(['adopt', '--remove', '--config', t.config.file, `${t.network}-bob`]);
    expect(removed.stdout).toContain(`removed ${t.network}-bob (its volumes are kept)`);
    expect(removed.status).toBe(0);
    await expect(containers.bob!.inspect()).rejects.toMatchObject({ statusCode: 404 });
    t.users.ensure('bob');
    expect(await t.hub.servers.start('bob')).toBe('started');
  }, 120_000);

  it('berth adopt refuses a name that is not another hub\'s container, listing those there are', () => {
    const refused = berth(['adopt', '--config', t.config.file, 'no-such-container']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`berth adopt: not a container of another hub on network ${t.network}: no-such-container`);
  });
});
