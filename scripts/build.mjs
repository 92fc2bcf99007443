// Builds the hub into one directory: `node scripts/build.mjs [OUT_DIR]` (default dist/), run by `npm run build`, the
// hub image, the benchmarks and the tests that run the built hub. esbuild bundles src/main.ts and the proxy thread's
// src/proxy/worker.ts (chunks shared between them, commands and rare paths in chunks of their own, loaded on first
// use) with the ES modules they import. Why a bundle and not tsc's one file per module: Node's ES module loader
// (resolving, reading package.json files, linking ~300 modules) was most of the hub's cold start, and module sources
// are kept in the heap: 25–30% off the cold start and about 4 MB of RSS (README Performance).
// Type checking stays with tsc (`npm run build` runs it first; esbuild only strips types).
import { chmodSync, cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Loaded from node_modules at run time, not bundled: better-sqlite3 is a native addon; dockerode and docker-modem
 * require gRPC and ssh2, which src/spawner/lazy-docker-deps.ts makes lazy by the requiring file's path under
 * node_modules (bundled, both would load at start: 4 MB of heap).
 */
export const EXTERNAL = ['better-sqlite3', 'dockerode', 'docker-modem'];

/**
 * Every package the built hub loads from node_modules: EXTERNAL, and those src/ reaches through createRequire, which
 * esbuild leaves alone (pino, prom-client's classes, http-proxy-3 on the proxy's slow lane, bootstrap's CSS). The
 * hub image keeps these and what they need (scripts/prune-node-modules.mjs); test/build-output.test.ts fails when
 * src/ loads a package through createRequire that is not named here.
 */
export const RUNTIME_PACKAGES = [...EXTERNAL, 'pino', 'prom-client', 'http-proxy-3', 'bootstrap'];

/** Writes the built hub to `outDir` (emptied first): main.js, worker.js, their chunks and migrations/. */
export async function buildHub(outDir = path.join(ROOT, 'dist')) {
  rmSync(outDir, { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: { main: 'src/main.ts', worker: 'src/proxy/worker.ts' },
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    // Whitespace and syntax only: names stay as written, so a stack trace in the hub's log still reads.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    // CommonJS dependencies bundled into ES module chunks still call require() for Node's own modules.
    banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  // src/db/open.ts finds them beside the module that holds it: src/db/ from source, the chunk's directory here.
  cpSync(path.join(ROOT, 'src/db/migrations'), path.join(outDir, 'migrations'), { recursive: true });
  chmodSync(path.join(outDir, 'main.js'), 0o755);
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildHub(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
}
