// A proxy thread booted before the hub knows its routes (thread.ts bootProxyThread): it loads its modules while the
// hub starts, then takes its setup in a message; route changes sent right after the setup are not lost, and a thread
// that could not load reports why instead of leaving the hub waiting.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bootProxyThread, startProxyThread } from '../src/proxy/thread.js';
import { createFakeSpawner } from './fakes/fake-spawner.js';
import { createApiApp } from './helpers/api-app.js';
import { startBackend } from './helpers/proxy-harness.js';
import { feed, sink } from './helpers/route-feed.js';
import { waitFor } from './helpers/wait-for.js';

describe('a proxy thread booted ahead of its setup', () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('serves the routes it is set up with and every change sent after the setup', async () => {
    const booted = bootProxyThread();
    const hubApp = await startBackend((_req, res) => res.end('hub app'));
    closers.push(hubApp.close);
    const alice = await startBackend((_req, res) => res.end('alice here'));
    closers.push(alice.close);
    const bob = await startBackend((_req, res) => res.end('bob here'));
    closers.push(bob.close);
    const f = feed([['alice', alice.url]]);
    const log = sink();
    const starting = startProxyThread({
      baseUrl: '/', host: '127.0.0.1', port: 0, hubTarget: hubApp.url, routes: f.routes, logger: log.logger,
      activityIntervalMs: 0, onExit: () => undefined, booted,
    });
    // In the same turn as the setup: the thread must take it after the setup, not drop it before.
    f.change('bob', bob.url);
    const thread = await starting;
    closers.push(() => thread.close(0));
    const url = `http://127.0.0.1:${thread.address().port}`;
    expect(await (await fetch(`${url}/hub/`)).text()).toBe('hub app');
    expect(await (await fetch(`${url}/user/alice/`)).text()).toBe('alice here');
    expect(await (await fetch(`${url}/user/bob/`)).text()).toBe('bob here');
  });

  it('reports a module that failed to load when it is started, instead of waiting for it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-boot-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const broken = path.join(dir, 'broken-worker.mjs');
    writeFileSync(broken, "throw new Error('this worker cannot load');\n");
    const booted = bootProxyThread(pathToFileURL(broken));
    await waitFor(() => expect(booted.failure()).not.toBeNull());
    const f = feed([]);
    await expect(startProxyThread({
      baseUrl: '/', host: '127.0.0.1', port: 0, hubTarget: 'http://127.0.0.1:1', routes: f.routes, logger: sink().logger,
      onExit: () => undefined, booted,
    })).rejects.toThrow('this worker cannot load');
  });

  it('ends with a hub whose start failed before its proxy listened', async () => {
    const booted = bootProxyThread();
    const exited = new Promise<number>((resolve) => booted.worker.once('exit', resolve));
    const broken = Object.assign(createFakeSpawner(), { prepare: async (): Promise<never> => { throw new Error('no Docker engine here'); } });
    closers.push(() => broken.close());
    const t = createApiApp({}, { parts: { spawner: broken, bootedProxy: booted } });
    await expect(t.started).rejects.toThrow('no Docker engine here');
    await t.close();
    // Unreferenced and never set up, it would wait for ever (and this test time out) if stop() left it.
    await exited;
  });
});
