// GitHub (and GitHub Enterprise) OAuth sign-in: arctic's generic OAuth2 client builds the authorize URL with state and
// PKCE (S256), the state and `next` kept in a signed short-lived cookie; code exchange, /user, org and team checks.
import { randomBytes } from 'node:crypto';
import { CodeChallengeMethod, OAuth2Client, generateCodeVerifier } from 'arctic';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { HubConfig } from '../config/load.js';
import { HttpError } from '../errors.js';
import { httpRequest, type HttpAnswer } from '../http-request.js';
import { signValue, verifyValue } from './signed-value.js';

export const STATE_COOKIE = 'berth-oauth-state';
const STATE_TTL_S = 600;
const GITHUB_TIMEOUT_MS = 15_000;

export interface GithubIdentity {
  /** The GitHub login as GitHub spells it (the hub lowercases it). */
  login: string;
  token: string;
  /** The validated `next` carried through the round trip, or null. */
  next: string | null;
}

export interface GithubSignIn {
  readonly scopes: readonly string[];
  readonly callbackUrl: string;
  /** Sets the state cookie and returns the redirect to GitHub's authorize page. `next` must already be safe. */
  begin(c: Context, next: string | null): Response;
  /** Checks state and code, exchanges the code and reads /user. Throws HttpError (400 bad state, 502 GitHub failing). */
  finish(c: Context): Promise<GithubIdentity>;
  /** The first auth.github.allowed_organizations entry (`org` or `org:team`) the user is an active member of, or null. */
  memberOf(login: string, token: string): Promise<string | null>;
}

interface StatePayload { s: string; v: string; n: string | null; e: number }

/** null when auth.github.client_id or client_secret is empty: the login page then says so. */
export function createGithubSignIn(deps: { config: HubConfig; secret: Buffer }): GithubSignIn | null {
  const { config, secret } = deps;
  const gh = config.auth.github;
  if (gh.client_id === '' || gh.client_secret === '') return null;
  const web = gh.url.replace(/\/+$/, '');
  const api = gh.api_url.replace(/\/+$/, '');
  const callbackUrl = gh.callback_url ?? `${config.publicUrl}${config.hub.base_url}hub/oauth_callback`;
  const client = new OAuth2Client(gh.client_id, gh.client_secret, callbackUrl);
  // Private org membership is only visible with read:org (oauthenticator#105).
  const scopes = gh.allowed_organizations.length > 0 ? ['read:org'] : [];
  const cookie = {
    path: `${config.hub.base_url}hub/`, httpOnly: true, sameSite: 'Lax' as const,
    secure: config.publicUrl.startsWith('https:'),
  };
  const usedStates = new Map<string, number>();

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

  return {
    scopes,
    callbackUrl,
    begin(c, next) {
      const state = randomBytes(24).toString('base64url');
      const verifier = generateCodeVerifier();
      const payload: StatePayload = { s: state, v: verifier, n: next, e: Date.now() + STATE_TTL_S * 1000 };
      setCookie(c, STATE_COOKIE, signValue(secret, STATE_COOKIE, Buffer.from(JSON.stringify(payload)).toString('base64url')), {
        ...cookie, maxAge: STATE_TTL_S,
      });
      const url = client.createAuthorizationURLWithPKCE(`${web}/login/oauth/authorize`, state, CodeChallengeMethod.S256, verifier, scopes);
      return c.redirect(url.toString(), 302);
    },

    async finish(c) {
      const error = c.req.query('error');
      if (error) {
        const why = c.req.query('error_description') ?? error;
        throw new HttpError(403, `GitHub did not sign you in: ${why.slice(0, 300)}. Start again from the login page.`);
      }
      const code = c.req.query('code');
      const state = c.req.query('state');
      const saved = readState(c);
      deleteCookie(c, STATE_COOKIE, cookie);
      if (!code) throw new HttpError(400, 'The GitHub callback has no code: start again from the login page.');
      if (!saved || !state || saved.s !== state || usedStates.has(state)) {
        throw new HttpError(400, 'The sign-in state does not match (it expired, was already used, or was started in another browser): start again from the login page.');
      }
      const now = Date.now();
      usedStates.set(state, saved.e);
      for (const [old, expires] of usedStates) if (expires < now) usedStates.delete(old);

      const token = await exchangeCode(code, saved.v);
      const res = await callApi('/user', token);
      const ok = res.status >= 200 && res.status < 300;
      const body = ok ? (parseJson(res.body) as { login?: unknown } | null) : null;
      if (!ok || typeof body?.login !== 'string') {
        throw new HttpError(502, `GitHub answered ${res.status} to GET ${api}/user: sign-in cannot complete now, try again later.`);
      }
      return { login: body.login, token, next: saved.n };
    },

    async memberOf(login, token) {
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
    },
  };

  function readState(c: Context): StatePayload | null {
    const payload = verifyValue(secret, STATE_COOKIE, getCookie(c, STATE_COOKIE));
    if (payload === null) return null;
    try {
      const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as StatePayload;
      return typeof parsed.s === 'string' && typeof parsed.v === 'string' && parsed.e > Date.now() ? parsed : null;
    } catch {
      return null;
    }
  }
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
