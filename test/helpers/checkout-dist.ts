// This checkout's code, built for the berth/hub image as `npm run build` builds it (scripts/build.mjs): tests mount
// the result over the image's /opt/berth/dist, so the hub in a container runs the code under test and the shared
// image need not be rebuilt.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(import.meta.dirname, '..', '..');

/** Builds src/ into `<dir>/dist` (with the migrations) and returns that path. */
export function compileCheckout(dir: string): string {
  const dist = path.join(dir, 'dist');
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), dist], { stdio: 'pipe' });
  return dist;
}
