// Leaves in node_modules only what the built hub loads at run time: `node scripts/prune-node-modules.mjs [DIR]`
// (default: this checkout), run by the hub image after `npm run build`. Everything else is in dist/ already (the
// bundle, scripts/build.mjs), so the image carried it twice: hono, zod, drizzle and the rest were 43 MB of files the
// hub never opens. Which packages stay is RUNTIME_PACKAGES (build.mjs) and, from package-lock.json, whatever they
// need, resolved as Node resolves a require (nearest node_modules first).
import { readdirSync, readFileSync, renameSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIME_PACKAGES } from './build.mjs';

/**
 * The package-lock.json `packages` keys (`node_modules/a`, `node_modules/a/node_modules/b`) that `roots` need: each
 * root, then every dependency, optional dependency (when installed) and peer that is not optional of a kept package.
 */
export function runtimePackages(lock, roots = RUNTIME_PACKAGES) {
  const packages = lock.packages ?? {};
  const keep = new Set();
  const resolve = (from, name) => {
    for (let dir = from; ; ) {
      const key = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
      if (packages[key] !== undefined) return key;
      if (dir === '') return null;
      const up = dir.lastIndexOf('/node_modules/');
      dir = up === -1 ? '' : dir.slice(0, up);
    }
  };
  const add = (from, name, optional) => {
    const key = resolve(from, name);
    if (key === null) {
      if (optional) return;
      throw new Error(`package-lock.json has no ${name} for ${from || 'the hub'}: run npm ci, then prune`);
    }
    if (keep.has(key)) return;
    keep.add(key);
    const entry = packages[key];
    for (const dep of Object.keys(entry.dependencies ?? {})) add(key, dep, false);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) add(key, dep, true);
    // An optional peer is used only when something else installs it, and then that something keeps it.
    for (const dep of Object.keys(entry.peerDependencies ?? {})) if (entry.peerDependenciesMeta?.[dep]?.optional !== true) add(key, dep, false);
  };
  for (const name of roots) add('', name, false);
  return keep;
}

/** Removes from `root`/node_modules every package runtimePackages does not keep; returns the removed keys. */
export function pruneNodeModules(root) {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const keep = runtimePackages(lock);
  const removed = [];
  for (const key of Object.keys(lock.packages)) {
    // A package nested in a removed one went with it (nothing kept is nested there: only its parent could need it).
    if (!key.startsWith('node_modules/') || keep.has(key) || !existsSync(path.join(root, key))) continue;
    rmSync(path.join(root, key), { recursive: true, force: true });
    removed.push(key);
  }
  rmSync(path.join(root, 'node_modules/.bin'), { recursive: true, force: true });
  // Empty scope directories (@types/, @esbuild/ …) left behind.
  for (const entry of readdirSync(path.join(root, 'node_modules'))) {
    const dir = path.join(root, 'node_modules', entry);
    if (entry.startsWith('@') && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
  }
  trimBetterSqlite3(path.join(root, 'node_modules/better-sqlite3'));
  return removed;
}

/**
 * better-sqlite3 keeps its compiled module alone: SQLite's sources and gyp's intermediate files are 25 MB the hub
 * never reads (its loader, `bindings`, finds build/Release/better_sqlite3.node).
 */
function trimBetterSqlite3(dir) {
  const addon = path.join(dir, 'build/Release/better_sqlite3.node');
  if (!existsSync(addon)) throw new Error(`${addon} is missing: build better-sqlite3 (npm rebuild better-sqlite3) before pruning`);
  const kept = path.join(dir, 'better_sqlite3.node');
  renameSync(addon, kept);
  for (const part of ['build', 'deps', 'src']) rmSync(path.join(dir, part), { recursive: true, force: true });
  mkdirSync(path.dirname(addon), { recursive: true });
  renameSync(kept, addon);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
  const removed = pruneNodeModules(root);
  process.stdout.write(`prune-node-modules: removed ${removed.length} packages the built hub does not load\n`);
}
