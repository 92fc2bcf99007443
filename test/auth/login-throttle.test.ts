// Sign-in throttling through the hub's form, with a slow PAM stand-in (auth.pam's helper interpreter, BERTH_PYTHON,
// replaced by a script that counts the checks it is asked for, waits a second like PAM, and refuses).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-slow-pam-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A hub whose PAM checks each append a line to a file and answer "wrong password" after one second. */
async function hubWithSlowPam(name: string): Promise<{ t: TestHub; checks: () => number }> {
  const log = path.join(dir, `${name}.checks`);
  const script = path.join(dir, `${name}.sh`);
  writeFileSync(log, '');
  writeFileSync(script, `#!/bin/sh\ncat >/dev/null\necho check >> '${log}'\nsleep 1\nexit 1\n`);
  chmodSync(script, 0o755);
  const t = await startTestHub({ auth: { pam: { enabled: true }, allow_all: true } }, { overrides: { env: { BERTH_PYTHON: script } } });
  return { t, checks: () => readFileSync(log, 'utf8').split('\n').filter(Boolean).length };
}

const guess = (t: TestHub, username: string) =>
  fetch(`${t.url}/hub/login`, { method: 'POST', body: new URLSearchParams({ username, password: 'guess' }) }).then(async (res) => {
    await res.arrayBuffer();
    return res.status;
  });

describe('PAM sign-in throttling under concurrent guesses', () => {
  let sprayed: Awaited<ReturnType<typeof hubWithSlowPam>>;
  let focused: Awaited<ReturnType<typeof hubWithSlowPam>>;
  beforeAll(async () => {
    [sprayed, focused] = await Promise.all([hubWithSlowPam('sprayed'), hubWithSlowPam('focused')]);
  });
  afterAll(async () => {
    await Promise.all([sprayed?.t.cleanup(), focused?.t.cleanup()]);
  });

  it('asks PAM at most 20 times for 100 concurrent guesses from one address, and answers the rest 429', async () => {
    const statuses = await Promise.all(Array.from({ length: 100 }, (_, i) => guess(sprayed.t, `spray${i}`)));
    expect(sprayed.checks()).toBe(20);
    expect(statuses.filter((s) => s === 403)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(80);
  });

  it('asks PAM at most 5 times for 30 concurrent guesses at one user name', async () => {
    const statuses = await Promise.all(Array.from({ length: 30 }, () => guess(focused.t, 'alice')));
    expect(focused.checks()).toBe(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25);
  });
});
