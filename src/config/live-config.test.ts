import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { changedKeys } from './changed-keys.js';
import { createLiveConfig } from './live-config.js';
import { loadConfig, type HubConfig } from './load.js';
import { keysAt } from './keys.js';
import { RESTART_ONLY, RESTART_ONLY_KEYS, restartOnlyKeyOf } from './restart-only.js';

const BASE = `hub:
  bind: 127.0.0.1:8000
auth:
  allowed_users: [alice]
spawner:
  images:
    py: {image: "berth/singleuser:latest"}
services:
  - name: culler
    api_token: culler-token-0001
`;

/** A live config over a real file; `write` edits the file, `lines` are the log records written so far. */
function setup(options: { sync?: (next: HubConfig) => void } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-live-'));
  const file = path.join(dir, 'hub.yaml');
  const write = (text: string) => writeFileSync(file, text);
  write(BASE);
  const lines: { level: string; msg: string; key?: string; because?: string; problems?: string[] }[] = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line)) } as never);
  const synced: HubConfig[] = [];
  const live = createLiveConfig({
    initial: loadConfig(file, {}),
    load: () => loadConfig(file, {}),
    sync: options.sync ?? ((next) => void synced.push(next)),
    logger,
  });
  return { live, write, lines, synced, file };
}

describe('reloading hub.yaml', () => {
  it('applies a new allowed user, catalog entry and service token, syncs them and logs each changed key, never a value', () => {
    const { live, write, lines, synced } = setup();
    const view = live.view;
    write(BASE.replace('[alice]', '[alice, bob]').replace('    py:', '    r: {image: "r-base:4"}\n    py:') +
      '  - name: reports\n    api_token: reports-token-0001\n');
    const outcome = live.reload('test');
    expect(outcome).toEqual({ status: 'applied', changed: ['auth.allowed_users', 'spawner.images.r', 'services'], deferred: [] });
    // The view handed out at start reads the new config.
    expect(view.auth.allowed_users).toEqual(['alice', 'bob']);
    expect(Object.keys(view.spawner.images).sort()).toEqual(['py', 'r']);
    expect(synced.map((c) => c.services.map((s) => s.name))).toEqual([['culler', 'reports']]);
    expect(lines.filter((l) => l.msg.endsWith(': applied')).map((l) => l.key)).toEqual(['auth.allowed_users', 'spawner.images.r', 'services']);
    expect(JSON.stringify(lines)).not.toContain('reports-token-0001');
  });

  it('refuses an invalid edit with file, line and key, keeps serving the old config, and applies a later valid edit', () => {
    const { live, write, lines, file } = setup();
    write(BASE.replace('[alice]', '[alice, "not a name!"]').replace('bind: 127.0.0.1:8000', 'bind: 127.0.0.1:8000\n  bogus_key: 1'));
    const refused = live.reload('test');
    expect(refused.status).toBe('refused');
    const error = lines.find((l) => l.level === 'error')!;
    expect(error.msg).toContain(`${file} was not applied; the hub keeps running with its config as it was`);
    expect(error.problems).toEqual([
      expect.stringMatching(/^hub\.yaml:3:3 hub\.bogus_key: unknown key/),
      expect.stringMatching(/^hub\.yaml:5:26 auth\.allowed_users\.1: "not a name!" is not a valid user name/),
    ]);
    expect(live.view.auth.allowed_users).toEqual(['alice']);
    expect(live.problem()).toMatchObject({ file, problems: error.problems });

    write(BASE.replace('[alice]', '[alice, carol]'));
    expect(live.reload('test')).toMatchObject({ status: 'applied', changed: ['auth.allowed_users'] });
    expect(live.view.auth.allowed_users).toEqual(['alice', 'carol']);
    expect(live.problem()).toBeNull();
  });

  it('keeps a restart-only key at its running value and says it takes effect after restart, applying the rest', () => {
    const { live, write, lines } = setup();
    write(BASE.replace('127.0.0.1:8000', '127.0.0.1:9000').replace('[alice]', '[alice, dave]'));
    expect(live.reload('test')).toEqual({ status: 'applied', changed: ['auth.allowed_users'], deferred: ['hub.bind'] });
    expect(live.view.hub.bind).toBe('127.0.0.1:8000');
    expect(live.view.urls.public).toBe('http://127.0.0.1:8000');
    expect(live.view.auth.allowed_users).toEqual(['alice', 'dave']);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', key: 'hub.bind', msg: expect.stringContaining('hub.bind changed in') }));
    expect(lines.find((l) => l.key === 'hub.bind')).toMatchObject({ msg: expect.stringContaining('takes effect after restart'), because: "the public listener's address" });

    // Only a restart-only key differs: nothing to apply, reported again.
    write(BASE.replace('127.0.0.1:8000', '127.0.0.1:9000').replace('[alice]', '[alice, dave]'));
    expect(live.reload('test')).toEqual({ status: 'unchanged', deferred: ['hub.bind'] });
  });

  it('takes a key missing from the restart-only list live, as a key added to the schema later will be', () => {
    const { live, write } = setup();
    write(BASE.replace('spawner:\n', 'spawner:\n  mem_limit: 1G\n  allow_named_servers: true\n'));
    expect(live.reload('test')).toMatchObject({ status: 'applied', changed: ['spawner.allow_named_servers', 'spawner.mem_limit'], deferred: [] });
    expect(live.view.spawner.mem_limit).toBe(1024 ** 3);
    expect(restartOnlyKeyOf('spawner.mem_limit')).toBeNull();
    expect(restartOnlyKeyOf('spawner.network')).toBe('spawner.network');
  });

  it('refuses a config the database cannot take, leaving the running one', () => {
    const { live, write } = setup({
      sync: () => {
        throw new Error('hub.yaml services: the api_token of "reports" is already another token\'s; give it a fresh random value');
      },
    });
    write(BASE.replace('[alice]', '[alice, erin]'));
    expect(live.reload('test')).toMatchObject({ status: 'refused', problems: [expect.stringContaining('already another token')] });
    expect(live.view.auth.allowed_users).toEqual(['alice']);
    expect(live.problem()?.problems).toHaveLength(1);
  });

  it('tells listeners what changed, and refuses writes through the view', () => {
    const { live, write } = setup();
    const seen: string[][] = [];
    live.onChange((next, changed) => seen.push([...changed, String(next.auth.allowed_users.length)]));
    write(BASE.replace('[alice]', '[alice, frank]'));
    live.reload('test');
    expect(seen).toEqual([['auth.allowed_users', '2']]);
    expect(() => Object.assign(live.view, { hub: {} })).toThrow(TypeError);
    expect({ ...live.view }.auth.allowed_users).toEqual(['alice', 'frank']);
  });
});

describe('changedKeys', () => {
  it('names mapping keys one by one and lists and values as a whole', () => {
    expect(changedKeys(
      { hub: { bind: 'a', base_url: '/' }, auth: { allowed_users: ['a'] }, users: { x: { image: 'py' } } },
      { hub: { bind: 'b', base_url: '/' }, auth: { allowed_users: ['a', 'b'] }, users: {}, services: [] },
    )).toEqual(['hub.bind', 'auth.allowed_users', 'users.x', 'services']);
  });
});

// The table is the exception: a key is restart-only only when it is named there with its reason, and a name the
// schema does not have would silently leave the real key applying live.
describe('the restart-only table', () => {
  it('names only keys the schema has, each with its reason and none under another', () => {
    for (const [key, because] of Object.entries(RESTART_ONLY)) {
      const parts = key.split('.');
      expect(keysAt(parts.slice(0, -1)), `${key} is not a hub.yaml key`).toContain(parts.at(-1));
      expect(because.trim(), `${key} has no reason`).not.toBe('');
      expect(RESTART_ONLY_KEYS.filter((other) => key.startsWith(`${other}.`)), `${key} lies under another entry`).toEqual([]);
    }
  });

  it('is the list README gives under "Needs a restart", key for key', () => {
    const readme = readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
    const bullet = /^- \*\*Needs a restart\*\*[\s\S]*?(?=^- \*\*)/m.exec(readme)?.[0] ?? '';
    const named = [...bullet.matchAll(/`([a-z_]+(?:\.[a-z_]+)+)`/g)].map((m) => m[1]);
    expect(named.sort()).toEqual([...RESTART_ONLY_KEYS].sort());
  });
});
