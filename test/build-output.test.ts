// What the hub image keeps of node_modules (scripts/prune-node-modules.mjs): the packages the built hub loads at run
// time (scripts/build.mjs RUNTIME_PACKAGES) and what they need, by package-lock.json. The image tests run the pruned
// hub; these check the rule itself, and that src/ loads nothing at run time the list does not name.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script, no types
import { EXTERNAL, RUNTIME_PACKAGES } from '../scripts/build.mjs';
// @ts-expect-error: a plain ES module script, no types
import { pruneNodeModules, runtimePackages } from '../scripts/prune-node-modules.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const keysOf = (lock: unknown, roots: string[]): string[] => [...(runtimePackages(lock, roots) as Set<string>)].sort();

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the packages the built hub needs at run time', () => {
  it('follow dependencies as Node resolves them: the nearest node_modules first, then up to the top', () => {
    const lock = {
      packages: {
        '': { dependencies: { a: '1', z: '1' } },
        'node_modules/a': { dependencies: { b: '1', c: '1' }, optionalDependencies: { absent: '1' } },
        'node_modules/a/node_modules/b': { dependencies: { c: '1' } },
        'node_modules/b': {}, // another b, which a does not use
        'node_modules/c': { peerDependencies: { p: '1', q: '1' }, peerDependenciesMeta: { q: { optional: true } } },
        'node_modules/p': {},
        'node_modules/q': {},
        'node_modules/z': {},
      },
    };
    expect(keysOf(lock, ['a'])).toEqual(['node_modules/a', 'node_modules/a/node_modules/b', 'node_modules/c', 'node_modules/p']);
    expect(() => runtimePackages({ packages: { 'node_modules/a': { dependencies: { gone: '1' } } } }, ['a']))
      .toThrow('package-lock.json has no gone for node_modules/a: run npm ci, then prune');
  });

  it("from this checkout's package-lock.json: the run-time packages and their dependencies, none of what is bundled", () => {
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
    const kept = keysOf(lock, RUNTIME_PACKAGES as string[]);
    for (const key of ['better-sqlite3', 'bindings', 'dockerode', 'docker-modem', 'ssh2', 'pino', 'prom-client', 'tdigest', 'http-proxy-3', 'bootstrap']) {
      expect(kept, key).toContain(`node_modules/${key}`);
    }
    for (const key of ['hono', '@hono/node-server', 'zod', 'drizzle-orm', 'yaml', 'arctic', 'jose', 'acme-client', 'typescript', 'esbuild', 'vitest']) {
      expect(kept, key).not.toContain(`node_modules/${key}`);
    }
  });

  it('name every package src/ loads through createRequire, and nothing else beside the bundle\'s externals', () => {
    const loaded = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) {
          const text = readFileSync(file, 'utf8');
          if (!text.includes('createRequire')) continue;
          // `require('x')` of a require made by createRequire, `createRequire(…)('x')`, `.resolve('x/…')`.
          for (const [, spec] of text.matchAll(/(?:\brequire|createRequire\(import\.meta\.url\)|\.resolve)\(\s*'([^']+)'/g)) {
            if (isBuiltin(spec!)) continue;
            loaded.add(spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
          }
        }
      }
    };
    walk(path.join(ROOT, 'src'));
    expect([...new Set([...loaded, ...(EXTERNAL as string[])])].sort()).toEqual([...(RUNTIME_PACKAGES as string[])].sort());
  });
});

describe('pruning node_modules', () => {
  it('removes what is not needed (with what is nested in it) and keeps only better-sqlite3\'s addon', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'berth-prune-'));
    dirs.push(root);
    const lock = { packages: {
      '': {},
      'node_modules/better-sqlite3': { dependencies: { bindings: '1' } },
      'node_modules/bindings': {},
      'node_modules/dockerode': {}, 'node_modules/docker-modem': {}, 'node_modules/pino': {}, 'node_modules/prom-client': {},
      'node_modules/http-proxy-3': {}, 'node_modules/bootstrap': {},
      'node_modules/zod': {},
      'node_modules/@types/node': {},
      'node_modules/hono': {},
      'node_modules/hono/node_modules/x': {},
    } };
    writeFileSync(path.join(root, 'package-lock.json'), JSON.stringify(lock));
    for (const key of Object.keys(lock.packages).filter(Boolean)) {
      mkdirSync(path.join(root, key), { recursive: true });
      writeFileSync(path.join(root, key, 'package.json'), '{}');
    }
    const addon = path.join(root, 'node_modules/better-sqlite3/build/Release');
    mkdirSync(path.join(addon, 'obj.target'), { recursive: true });
    writeFileSync(path.join(addon, 'better_sqlite3.node'), 'addon');
    mkdirSync(path.join(root, 'node_modules/better-sqlite3/deps/sqlite3'), { recursive: true });
    mkdirSync(path.join(root, 'node_modules/better-sqlite3/lib'), { recursive: true });
    mkdirSync(path.join(root, 'node_modules/.bin'), { recursive: true });

    expect((pruneNodeModules(root) as string[]).sort()).toEqual(['node_modules/@types/node', 'node_modules/hono', 'node_modules/zod']);
    expect(readdirSync(path.join(root, 'node_modules')).sort())
      .toEqual(['better-sqlite3', 'bindings', 'bootstrap', 'docker-modem', 'dockerode', 'http-proxy-3', 'pino', 'prom-client']);
    expect(readdirSync(path.join(root, 'node_modules/better-sqlite3')).sort()).toEqual(['build', 'lib', 'package.json']);
    expect(readdirSync(path.join(root, 'node_modules/better-sqlite3/build/Release'))).toEqual(['better_sqlite3.node']);
    expect(readFileSync(path.join(addon, 'better_sqlite3.node'), 'utf8')).toBe('addon');
    expect(existsSync(path.join(root, 'node_modules/.bin'))).toBe(false);
  });

  it('refuses to prune better-sqlite3 when its addon was never built', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'berth-prune-'));
    dirs.push(root);
    const packages = Object.fromEntries(['', ...(RUNTIME_PACKAGES as string[]).map((name) => `node_modules/${name}`)].map((key) => [key, {}]));
    writeFileSync(path.join(root, 'package-lock.json'), JSON.stringify({ packages }));
    for (const key of Object.keys(packages).filter(Boolean)) mkdirSync(path.join(root, key), { recursive: true });
    expect(() => pruneNodeModules(root)).toThrow(/better_sqlite3\.node is missing: build better-sqlite3 \(npm rebuild better-sqlite3\) before pruning/);
  });
});
