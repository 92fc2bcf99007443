// PAM sign-in: checks a password against the host's PAM stack (auth.pam.service) through a short-lived
// helper process, and reads UNIX groups for allowed_groups / admin_groups.
import { execFile, spawn } from 'node:child_process';
import { PAM_HELPER_SOURCE } from './pam-helper.js';

/** `broken`: PAM itself could not be asked (no python3, no libpam, the service failed to start), so nobody can sign in. */
export type PamResult = { ok: true } | { ok: false; why: string; broken?: boolean };

export interface PamAuthenticator {
  /** Never throws for a bad password, unknown user or locked account: those are `{ ok: false }`. */
  authenticate(username: string, password: string): Promise<PamResult>;
  /** The user's UNIX groups (empty when the user does not exist). */
  groupsOf(username: string): Promise<string[]>;
}

const HELPER_TIMEOUT_MS = 15_000;

/** `python`: the interpreter for the helper (env BERTH_PYTHON); default python3 from PATH. */
export function createPamAuthenticator(options: { service: string; python?: string }): PamAuthenticator {
  const python = options.python || 'python3';
  return {
    authenticate(username, password) {
      return new Promise((resolve) => {
        const child = spawn(python, ['-c', PAM_HELPER_SOURCE, options.service], { stdio: ['pipe', 'ignore', 'pipe'] });
        let stderr = '';
        const timer = setTimeout(() => child.kill('SIGKILL'), HELPER_TIMEOUT_MS);
        child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(0, 2000)));
        child.on('error', (err) => {
          clearTimeout(timer);
          resolve({ ok: false, broken: true, why: `the PAM helper (${python}) could not run: ${err.message}; install python3 or set BERTH_PYTHON` });
        });
        child.on('close', (code) => {
          clearTimeout(timer);
          const why = stderr.trim().slice(0, 500) || `PAM helper exited ${code ?? 'on a signal (timeout)'}`;
          resolve(code === 0 ? { ok: true } : { ok: false, why, broken: code !== 1 });
        });
        child.stdin.on('error', () => undefined);
        child.stdin.end(JSON.stringify({ username, password }));
      });
    },
    groupsOf(username) {
      return new Promise((resolve) => {
        execFile('id', ['-Gn', '--', username], { timeout: 5000 }, (err, stdout) => {
          resolve(err ? [] : stdout.trim().split(/\s+/).filter(Boolean));
        });
      });
    },
  };
}
