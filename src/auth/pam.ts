// PAM through the Authenticator contract: checks a password against the host's PAM stack (auth.pam.service) through
// a short-lived helper process, and reads the user's UNIX groups for allowed_groups / admin_groups.
import { execFile, spawn } from 'node:child_process';
import type { Config } from '../config/schema.js';
import { HttpError } from '../errors.js';
import type { Authenticator } from './authenticator.js';
import { PAM_HELPER_SOURCE } from './pam-helper.js';

/** `broken`: PAM itself could not be asked (no python3, no libpam, the service failed to start), so nobody can sign in. */
type PamResult = { ok: true } | { ok: false; why: string; broken?: boolean };

export interface PamAuthenticator extends Authenticator<{ name: string; password: string }> {
  readonly method: 'pam';
}

const HELPER_TIMEOUT_MS = 15_000;

/**
 * `name` must already be a valid user name. A wrong password, unknown user or locked account is null (logged with
 * PAM's reason); PAM that cannot be asked at all is a 503, as no password would help.
 * `python`: the interpreter for the helper (env BERTH_PYTHON); default python3 from PATH.
 */
export function createPamAuthenticator(options: { pam: Config['auth']['pam']; python?: string }): PamAuthenticator {
  const { service, allowed_groups: allowedGroups, admin_groups: adminGroups } = options.pam;
  const python = options.python || 'python3';

  function check(username: string, password: string): Promise<PamResult> {
    return new Promise((resolve) => {
      const child = spawn(python, ['-c', PAM_HELPER_SOURCE, service], { stdio: ['pipe', 'ignore', 'pipe'] });
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
  }

  /** The user's UNIX groups (empty when the user does not exist). */
  function groupsOf(username: string): Promise<string[]> {
    return new Promise((resolve) => {
      execFile('id', ['-Gn', '--', username], { timeout: 5000 }, (err, stdout) => {
        resolve(err ? [] : stdout.trim().split(/\s+/).filter(Boolean));
      });
    });
  }

  return {
    method: 'pam',
    async authenticate({ name, password }, log) {
      const result = password === '' ? { ok: false as const, why: 'empty password' } : await check(name, password);
      if (!result.ok && result.broken) {
        log.error({ service, why: result.why }, 'PAM is not usable');
        throw new HttpError(503, 'Password sign-in is not working on this hub right now (PAM could not be asked): an administrator must check the hub log.');
      }
      if (!result.ok) {
        log.info({ username: name, why: result.why }, 'PAM sign-in failed');
        return null;
      }
      const groups = await groupsOf(name);
      return {
        method: 'pam',
        name,
        groups,
        inAdminGroup: adminGroups.some((g) => groups.includes(g)),
        membership: async () => allowedGroups.find((g) => groups.includes(g)) ?? null,
      };
    },
  };
}
