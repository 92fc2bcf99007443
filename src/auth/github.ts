// GitHub (and GitHub Enterprise) through the Authenticator contract: arctic's generic OAuth2 client builds the
// authorize URL (PKCE S256), then the code exchange, GET /user, and the org and team checks for allowed_organizations.
// arctic's client module, not its index: the index loads its 60-odd providers (70 modules) at the hub's start.
import { CodeChallengeMethod, OAuth2Client } from 'arctic/dist/client.js';
import type { HubConfig } from '../config/load.js';
import { HttpError } from '../errors.js';
import { httpRequest, type HttpAnswer } from '../http-request.js';
import { parseUsername } from '../users/username.js';
import type { OAuthAuthenticator } from './authenticator.js';
import type { GithubTokenVault } from './github-token.js';

// The hub cookie the proxy never lets a user's server set, named here since the GitHub sign-in introduced it.
export { STATE_COOKIE } from './oauth-state.js';
const GITHUB_TIMEOUT_MS = 15_000;

export interface GithubAuthenticator extends OAuthAuthenticator {
  readonly method: 'github';
  readonly scopes: readonly string[];
}

/** null when auth.github.client_id or client_secret is empty: the login page then says so. */
export function createGithubAuthenticator(deps: {
  config: Pick<HubConfig, 'auth' | 'urls'>; tokens: Pick<GithubTokenVault, 'enabled' | 'seal'>;
}): GithubAuthenticator | null {
  const { config, tokens } = deps;
  const gh = config.auth.github;
  if (gh.client_id === '' || gh.client_secret === '') return null;
  const web = gh.url.replace(/\/+$/, '');
  const api = gh.api_url.replace(/\/+$/, '');
  const callbackUrl = gh.callback_url ?? `${config.urls.public}${config.urls.hub}oauth_callback`;
  const client = new OAuth2Client(gh.client_id, gh.client_secret, callbackUrl);
  // Private org membership is only visible with read:org (oauthenticator#105).
  const scopes = gh.allowed_organizations.length > 0 ? ['read:org'] : [];

  async function callApi(path: string, token: string): Promise<HttpAnswer> {
    try {
      return await httpRequest(`${api}${path}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json', 'user-agent': 'berth' },
        timeoutMs: GITHUB_TIMEOUT_MS,
      });
    } catch (err) {
      throw unreachable(api, err);
    }
  }

  /**
   * The code exchange arctic's validateAuthorizationCode does (client credentials as HTTP Basic, PKCE verifier),
   * on node:http. GitHub answers failures with 200 and an `error` field.
   */
  async function exchangeCode(code: string, verifier: string): Promise<string> {
    const where = `${web}/login/oauth/access_token`;
    let res: HttpAnswer;
    try {
      res = await httpRequest(where, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${gh.client_id}:${gh.client_secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'user-agent': 'berth',
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callbackUrl, code_verifier: verifier }).toString(),
        timeoutMs: GITHUB_TIMEOUT_MS,
      });
    } catch (err) {
      throw unreachable(web, err);
    }
    const data = parseJson(res.body) as { error?: unknown; access_token?: unknown } | null;
    if (typeof data?.error === 'string') throw refused(data.error);
    if (res.status !== 200 || typeof data?.access_token !== 'string') {
      throw new HttpError(502, `GitHub answered ${res.status} at ${where}: sign-in cannot complete now, try again later.`);
    }
    return data.access_token;
  }

  /** The first auth.github.allowed_organizations entry (`org` or `org:team`) the user is an active member of, or null. */
  async function memberOf(login: string, token: string): Promise<string | null> {
    for (const entry of gh.allowed_organizations) {
      const [org, team] = entry.split(':');
      const q = (s: string) => encodeURIComponent(s);
      if (team === undefined) {
        const res = await callApi(`/orgs/${q(org)}/members/${q(login)}`, token);
        if (res.status === 204) return entry;
      } else {
        const res = await callApi(`/orgs/${q(org)}/teams/${q(team)}/memberships/${q(login)}`, token);
        const body = res.status === 200 ? (parseJson(res.body) as { state?: unknown } | null) : null;
        if (body?.state === 'active') return entry;
      }
    }
    return null;
  }

  return {
    method: 'github',
    displayName: 'GitHub',
    scopes,
    callbackUrl,
    async authorizeUrl({ state, verifier }) {
      return client.createAuthorizationURLWithPKCE(`${web}/login/oauth/authorize`, state, CodeChallengeMethod.S256, verifier, scopes);
    },

    async authenticate({ code, verifier }) {
      const token = await exchangeCode(code, verifier);
      const res = await callApi('/user', token);
      const ok = res.status >= 200 && res.status < 300;
      const body = ok ? (parseJson(res.body) as { login?: unknown } | null) : null;
      if (!ok || typeof body?.login !== 'string') {
        throw new HttpError(502, `GitHub answered ${res.status} to GET ${api}/user: sign-in cannot complete now, try again later.`);
      }
      const login = body.login;
      const name = parseUsername(login);
      if (name === null) throw new HttpError(403, `The GitHub login ${JSON.stringify(login.slice(0, 100))} is not a valid user name on this hub.`);
      return {
        method: 'github',
        name,
        groups: [],
        inAdminGroup: false,
        membership: () => memberOf(login, token),
        authState: { githubTokenEncrypted: tokens.enabled ? tokens.seal(token) : null },
      };
    },
  };
}

/** GitHub's `error` from the code exchange, with what to check. */
function refused(code: string): HttpError {
  const hint = code === 'incorrect_client_credentials' ? ' (check auth.github.client_id and auth.github.client_secret)'
    : code === 'redirect_uri_mismatch' ? ' (auth.github.callback_url must match the OAuth app\'s callback URL exactly)'
    : ' (start again from the login page)';
  return new HttpError(code === 'bad_verification_code' ? 400 : 502, `GitHub refused the sign-in code: ${code}${hint}.`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function unreachable(where: string, err: unknown): HttpError {
  const failure = err as { code?: string; cause?: { code?: string }; name?: string };
  const why = failure?.code ?? failure?.cause?.code ?? failure?.name ?? 'error';
  return new HttpError(502, `GitHub could not be reached at ${where} (${why}): sign-in cannot complete now, try again later.`, { cause: err });
}
