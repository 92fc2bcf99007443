// GHSA-gprj: with auth.allow_all, org/team, user and group lists restrict nobody. `berth check` says so as a
// warning (and still exits 0), and a starting hub logs the same warning once.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const ROOT = path.join(import.meta.dirname, '../..');
const dirs: string[] = [];
let t: TestHub | undefined;
afterAll(async () => {
  await t?.cleanup();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function check(yaml: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-check-'));
  dirs.push(dir);
  const file = path.join(dir, 'hub.yaml');
  writeFileSync(file, yaml);
  // Run the CLI from source (tsx), so the test does not depend on a fresh `npm run build`.
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), 'check', '--config', file], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
}

describe('auth.allow_all beside allow lists', () => {
  it('makes `berth check` print a warning naming the moot key, and still exit 0', () => {
    const result = check('auth:\n  allow_all: true\n  github:\n    allowed_organizations: [acme]\n');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('is valid');
    expect(result.stderr).toContain('berth: warning: auth.allow_all is true, so auth.github.allowed_organizations restricts nobody');
  });

  it('prints no warning for allow_all with only an admin named (no list it would make moot)', () => {
    const result = check('auth:\n  allow_all: true\n  admin_users: [alice]\n');
    expect(result.status).toBe(0);
    expect(result.stderr).not.toContain('warning');
  });

  it('is logged as a warning when the hub starts', async () => {
    const lines: string[] = [];
    const sink = { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) };
    t = await startTestHub({ auth: { allow_all: true, allowed_users: ['bob'] } }, { overrides: { logger: createLogger('info', sink) } });
    const warnings = lines.map((line) => JSON.parse(line) as { level: string; msg: string }).filter((e) => e.level === 'warn');
    expect(warnings.filter((w) => w.msg.includes('auth.allow_all is true, so auth.allowed_users restricts nobody'))).toHaveLength(1);
  });
});
