// The OAuth round trip's memory, kept in the browser: state, PKCE verifier, OIDC nonce and the safe `next`, in one
// cookie signed with the cookie secret for one method, valid for ten minutes and only once.
import { randomBytes } from 'node:crypto';
import { generateCodeVerifier } from 'arctic/dist/oauth2.js';
import { HttpError } from '../errors.js';
import { signValue, verifyValue } from './signed-value.js';

/** One cookie for every OAuth method (one round at a time per browser, as JupyterHub's oauthenticator state). */
export const STATE_COOKIE = 'berth-oauth-state';
export const STATE_TTL_S = 600;

export interface OAuthRound {
  state: string;
  verifier: string;
  nonce: string;
  /** Where to go after sign-in; already checked by safeNext. */
  next: string | null;
}

export interface OAuthStates {
  /** A new round, and the signed value to set as STATE_COOKIE for STATE_TTL_S. */
  begin(next: string | null): { round: OAuthRound; cookie: string };
  /**
   * The round a callback belongs to. Throws a 400 when the cookie is missing, forged or expired, its state is not
   * the callback's, or the state was already redeemed (a replayed callback URL).
   */
  redeem(cookie: string | undefined, state: string | undefined): OAuthRound;
}

/** Payload keys are short: the value travels in a cookie. `o` (nonce) is absent in rounds made before OIDC. */
interface Payload { s: string; v: string; n: string | null; e: number; o?: string }

export function createOAuthStates(secret: Buffer, method: 'github' | 'oidc'): OAuthStates {
  // The signature binds a round to its method, so a GitHub round is no good at the OIDC callback (or the reverse).
  // GitHub's keeps the name it was signed under before there were two methods.
  const signedAs = method === 'github' ? STATE_COOKIE : `${STATE_COOKIE}:${method}`;
  const redeemed = new Map<string, number>();
  const read = (cookie: string | undefined): Payload | null => {
    const payload = verifyValue(secret, signedAs, cookie);
    if (payload === null) return null;
    try {
      const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Payload;
      return typeof parsed.s === 'string' && typeof parsed.v === 'string' && parsed.e > Date.now() ? parsed : null;
    } catch {
      return null;
    }
  };
  return {
    begin(next) {
      const round: OAuthRound = {
        state: randomBytes(24).toString('base64url'), verifier: generateCodeVerifier(), nonce: randomBytes(24).toString('base64url'), next,
      };
      const payload: Payload = { s: round.state, v: round.verifier, n: next, e: Date.now() + STATE_TTL_S * 1000, o: round.nonce };
      return { round, cookie: signValue(secret, signedAs, Buffer.from(JSON.stringify(payload)).toString('base64url')) };
    },
    redeem(cookie, state) {
      const saved = read(cookie);
      if (!saved || !state || saved.s !== state || redeemed.has(state)) {
        throw new HttpError(400, 'The sign-in state does not match (it expired, was already used, or was started in another browser): start again from the login page.');
      }
      const now = Date.now();
      redeemed.set(state, saved.e);
      for (const [old, expires] of redeemed) if (expires < now) redeemed.delete(old);
      return { state, verifier: saved.v, nonce: saved.o ?? '', next: saved.n };
    },
  };
}
