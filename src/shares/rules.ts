// What a share may grant and how long a share code lives: JupyterHub 5's rules (Share._apply_filter, the
// ShareCodeGrantRequest bounds), narrowed so a share only ever opens the one server to its holder.
import { isScopeName, scopeProblem } from '../auth/scopes.js';
import { HttpError } from '../errors.js';

/**
 * The scopes a share may carry. JupyterHub lets a sharer pass on any scope they hold, filtered to the server; Berth
 * honours only the access scope, so a share (or a leaked share code) can never start, stop or delete the server.
 */
export const SHAREABLE_SCOPES = ['access:servers'] as const;

/** JupyterHub's bounds on `expires_in` for a share code: one minute to one year, one day by default. */
export const CODE_EXPIRY = { minSeconds: 60, maxSeconds: 525_600 * 60, defaultSeconds: 86_400 } as const;

/** The access scope of one server: what a share grants by default. */
export const accessScope = (owner: string, server: string) => `access:servers!server=${owner}/${server}`;

/**
 * The requested scopes bound to `owner/server` (JupyterHub's _apply_filter): a bare scope gets the server filter,
 * a scope filtered to this server is kept, anything else is a 400 that says why. Empty or absent: the access scope.
 */
export function shareScopes(requested: readonly string[] | null | undefined, owner: string, server: string): string[] {
  if (!requested || requested.length === 0) return [accessScope(owner, server)];
  const filter = `server=${owner}/${server}`;
  const out = new Set<string>();
  for (const scope of requested) {
    const bang = scope.indexOf('!');
    const name = bang === -1 ? scope : scope.slice(0, bang);
    if (!isScopeName(name)) throw new HttpError(400, `Cannot share with scope ${scopeProblem(scope)}`);
    if (bang !== -1 && scope.slice(bang + 1) !== filter) {
      throw new HttpError(400, `!${scope.slice(bang + 1)} not allowed on sharing ${scope}, only !${filter}`);
    }
    if (!(SHAREABLE_SCOPES as readonly string[]).includes(name)) {
      throw new HttpError(400, `Cannot share ${JSON.stringify(scope)}: a share grants only ${SHAREABLE_SCOPES.join(', ')} on the one server (!${filter})`);
    }
    out.add(`${name}!${filter}`);
  }
  return [...out].sort();
}

/**
 * Stored scopes bound to the server's current name: rows keep the names of the scopes, and the filter is rebuilt
 * from the owner's name as it is now, so renaming the owner neither breaks a share nor points it at a new user
 * who takes the old name.
 */
export function boundToServer(stored: readonly string[], owner: string, server: string): string[] {
  return [...new Set(stored.map((scope) => `${scope.split('!', 1)[0]}!server=${owner}/${server}`))].sort();
}
