// The hub image an upgrade test starts from: built from the last commit before the newest database migration, so
// the upgrade to this checkout always crosses at least one migration (and so exercises the backup made before it),
// whichever migration is newest when the test runs. Found with git rather than named, so it moves on by itself
// when a branch adds a migration. Built with Docker alone from `git archive` of that commit, as images/hub/build.sh
// builds berth/hub:latest (same base and CA arguments, so Docker's layer cache shares the `npm ci` layer), and kept:
// a tag whose label names the same commit is reused.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.join(import.meta.dirname, '..', '..');
const COMMIT_LABEL = 'berth.hub-commit';
const BASE = 'berth/debian:trixie-node';

export interface PreviousHub {
  image: string;
  commit: string;
  /** The newest migration's tag (e.g. 0005_swarm_volume_nodes): what the upgrade applies. */
  migration: string;
}

const run = promisify(execFile);
const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

/** The commit before the one that brought the newest migration onto this branch's first-parent line. */
export function previousHubCommit(): { commit: string; migration: string } {
  const journal = JSON.parse(readFileSync(path.join(ROOT, 'src/db/migrations/meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  const migration = journal.entries.at(-1)!.tag;
  // --first-parent: a migration merged from a branch counts from its merge, whose first parent is the line before.
  const added = git('log', '--first-parent', '--diff-filter=A', '-1', '--format=%H', 'HEAD', '--', `src/db/migrations/${migration}.sql`);
  if (!added) throw new Error(`no commit on HEAD's first-parent line adds src/db/migrations/${migration}.sql: commit it first`);
  const commit = git('rev-parse', `${added}^1`);
  const files = git('ls-tree', '-r', '--name-only', commit, '--', 'images/hub/Dockerfile', 'src/db/migrations/');
  if (!files.includes('images/hub/Dockerfile')) {
    throw new Error(`${commit.slice(0, 12)} (before ${migration}) has no images/hub/Dockerfile, so its hub image cannot be built with Docker alone`);
  }
  if (files.includes(`${migration}.sql`)) throw new Error(`${commit.slice(0, 12)} already has ${migration}: the upgrade would cross no migration`);
  return { commit, migration };
}

/**
 * berth/hub:previous built from previousHubCommit(), or reused when its label names that commit. The build (minutes,
 * for `npm ci`) runs asynchronously so the test worker stays responsive meanwhile.
 */
export async function ensurePreviousHubImage(image = 'berth/hub:previous'): Promise<PreviousHub> {
  const { commit, migration } = previousHubCommit();
  let built = '';
  try {
    built = execFileSync('docker', ['image', 'inspect', '--format', `{{ index .Config.Labels "${COMMIT_LABEL}" }}`, image], { encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    // not built yet
  }
  if (built === commit) return { image, commit, migration };

  const context = mkdtempSync(path.join(tmpdir(), 'berth-previous-hub-'));
  try {
    await run('sh', ['-c', `git archive "${commit}" | tar -x -C "${context}"`], { cwd: ROOT });
    await run('docker', [
      'build', '-f', 'images/hub/Dockerfile', '--build-arg', `BASE=${BASE}`, '--build-arg', `EXTRA_CA_CERTS=${extraCaCerts()}`,
      '--label', 'berth.test=true', '--label', `${COMMIT_LABEL}=${commit}`, '-t', image, '.',
    ], { cwd: context, env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 64 * 1024 * 1024, timeout: 900_000 });
  } catch (err) {
    const output = String((err as { stdout?: Buffer }).stdout ?? '') + String((err as { stderr?: Buffer }).stderr ?? '');
    throw new Error(`building ${image} from ${commit.slice(0, 12)} failed:\n${output.split('\n').slice(-40).join('\n')}`, { cause: err });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return { image, commit, migration };
}

/** What images/hub/build.sh passes as EXTRA_CA_CERTS: BERTH_EXTRA_CA_CERTS's file, else the host's own additions. */
function extraCaCerts(): string {
  // Without the trailing newlines, as the shell's $(cat …) there: the same argument keeps the same cached layers.
  const trim = (pem: string) => pem.replace(/\n+$/, '');
  if (process.env.BERTH_EXTRA_CA_CERTS) return trim(readFileSync(process.env.BERTH_EXTRA_CA_CERTS, 'utf8'));
  const dir = '/usr/local/share/ca-certificates';
  if (!existsSync(dir)) return '';
  return trim(readdirSync(dir).filter((f) => f.endsWith('.crt')).sort().map((f) => readFileSync(path.join(dir, f), 'utf8')).join(''));
}
