// This checkout's code, compiled for the berth/hub image: tests mount the result over the image's /opt/berth/dist,
// so the hub in a container runs the code under test and the shared image need not be rebuilt.
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(import.meta.dirname, '..', '..');

/** Compiles src/ into `<dir>/dist` (with the migrations) and returns that path. */
export function compileCheckout(dir: string): string {
  const dist = path.join(dir, 'dist');
  execFileSync(process.execPath, [
    path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', dist, '--sourceMap', 'false',
  ], { stdio: 'pipe' });
  cpSync(path.join(ROOT, 'src/db/migrations'), path.join(dist, 'db/migrations'), { recursive: true });
  return dist;
}
