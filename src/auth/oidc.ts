// Generic OpenID Connect through the Authenticator contract (what JupyterHub's GenericOAuthenticator users run):
// authorization code with PKCE S256 and a nonce, the id_token verified by jose against the issuer's keys, the user
// name and groups from configurable claims (id_token first, then userinfo), allowed_groups and admin_groups.
// arctic's client module, not its index, which loads its 60-odd providers at the hub's start.
import { CodeChallengeMethod, OAuth2Client } from 'arctic/dist/client.js';
import type { JWTPayload } from 'jose';
import type { HubConfig } from '../config/load.js';
import { HttpError } from '../errors.js';
import { parseUsername, USERNAME_RULE } from '../users/username.js';
import type { OAuthAuthenticator } from './authenticator.js';
import { createOidcProvider, type OidcProvider } from './oidc-provider.js';

export interface OidcAuthenticator extends OAuthAuthenticator {
  readonly method: 'oidc';
}

/** Seconds of clock difference between hub and provider forgiven in exp, nbf and iat. */
const CLOCK_TOLERANCE_S = 30;

/** null when auth.oidc.issuer is unset. The callback is `<public_url><base_url>hub/oidc/callback`. */
export function createOidcAuthenticator(deps: { config: Pick<HubConfig, 'auth' | 'urls'> }): OidcAuthenticator | null {
  const { config } = deps;
  const oidc = config.auth.oidc;
  if (oidc.issuer === undefined) return null;
  const name = oidc.display_name;
  const callbackUrl = `${config.urls.public}${config.urls.hub}oidc/callback`;
  const client = new OAuth2Client(oidc.client_id, oidc.client_secret === '' ? null : oidc.client_secret, callbackUrl);
  const provider = createOidcProvider(oidc.issuer);
  // Userinfo is asked only for what the id_token leaves out (Keycloak puts groups there only with a mapper).
  const needsGroups = oidc.allowed_groups.length > 0 || oidc.admin_groups.length > 0;

  /** Client authentication at the token endpoint (OpenID Connect Core §9): Basic unless the provider only takes the form. */
  async function clientAuth(): Promise<{ form: Record<string, string>; headers: Record<string, string> }> {
    if (oidc.client_secret === '') return { form: { client_id: oidc.client_id }, headers: {} };
    const methods = (await provider.metadata()).token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    if (!methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
      return { form: { client_id: oidc.client_id, client_secret: oidc.client_secret }, headers: {} };
    }
    // RFC 6749 §2.3.1: both parts form-encoded before Basic.
    const basic = `${formEncode(oidc.client_id)}:${formEncode(oidc.client_secret)}`;
    return { form: {}, headers: { authorization: `Basic ${Buffer.from(basic).toString('base64')}` } };
  }

  async function exchangeCode(code: string, verifier: string): Promise<{ idToken: string; accessToken: string }> {
    const auth = await clientAuth();
    const { status, body } = await provider.exchange(
      { grant_type: 'authorization_code', code, redirect_uri: callbackUrl, code_verifier: verifier, ...auth.form }, auth.headers,
    );
    const data = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; id_token?: unknown; access_token?: unknown };
    if (typeof data.error === 'string') throw refused(data.error.slice(0, 100));
    if (status !== 200 || typeof data.access_token !== 'string') {
      throw new HttpError(502, `${name} answered ${status} at its token endpoint without an access_token: sign-in cannot complete now, try again later.`);
    }
    if (typeof data.id_token !== 'string') {
      throw new HttpError(502, `${name} sent no id_token: auth.oidc.scopes must include openid, and the client must be an OpenID Connect client.`);
    }
    return { idToken: data.id_token, accessToken: data.access_token };
  }

  async function verifyIdToken(idToken: string, nonce: string): Promise<JWTPayload> {
    const { issuer } = await provider.metadata();
    let payload: JWTPayload;
    // jose loads with the first id_token (oidc-provider.ts says why), before keys() needs it too.
    const { errors, jwtVerify } = await import('jose');
    try {
      ({ payload } = await jwtVerify(idToken, await provider.keys(), {
        issuer, audience: oidc.client_id, clockTolerance: CLOCK_TOLERANCE_S, requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (err) {
      throw untrusted(err, provider, errors);
    }
    // Core §3.1.3.7: with several audiences the token must have been issued to this client (azp).
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== oidc.client_id) {
      throw new HttpError(403, `${name}'s id_token names several audiences and its azp is not auth.oidc.client_id: start again from the login page.`);
    }
    // The nonce ties the token to this browser's round trip: a token captured elsewhere cannot be replayed here.
    if (payload.nonce !== nonce || nonce === '') {
      throw new HttpError(403, `${name}'s id_token does not carry this sign-in's nonce (it was issued for another sign-in): start again from the login page.`);
    }
    return payload;
  }

  return {
    method: 'oidc',
    displayName: name,
    callbackUrl,
    async authorizeUrl({ state, verifier, nonce }) {
      const { authorization_endpoint: endpoint } = await provider.metadata();
      const url = client.createAuthorizationURLWithPKCE(endpoint, state, CodeChallengeMethod.S256, verifier, oidc.scopes);
      url.searchParams.set('nonce', nonce);
      return url;
    },

    async authenticate({ code, verifier, nonce }) {
      const { idToken, accessToken } = await exchangeCode(code, verifier);
      let claims: Record<string, unknown> = await verifyIdToken(idToken, nonce);
      if (claim(claims, oidc.username_claim) === undefined || (needsGroups && claim(claims, oidc.groups_claim) === undefined)) {
        const more = await provider.userinfo(accessToken);
        // Core §5.3.4: userinfo about another subject must not be used.
        if (Object.keys(more).length > 0 && more.sub !== claims.sub) {
          throw new HttpError(502, `${name}'s userinfo answer is about another subject than its id_token: sign-in cannot complete.`);
        }
        claims = { ...more, ...claims };
      }
      const raw = claim(claims, oidc.username_claim);
      if (typeof raw !== 'string' || raw === '') {
        throw new HttpError(403, `${name} sent no ${oidc.username_claim} claim (auth.oidc.username_claim), in the id_token or from userinfo: ` +
          'an administrator must set auth.oidc.username_claim to a claim the provider sends (e.g. email or sub), or have the provider send it.');
      }
      const user = parseUsername(raw);
      if (user === null) {
        throw new HttpError(403, `The ${oidc.username_claim} claim ${JSON.stringify(raw.slice(0, 100))} from ${name} is not a valid user name on this hub ` +
          `(${USERNAME_RULE}): an administrator can choose another claim with auth.oidc.username_claim.`);
      }
      const groups = groupsOf(claim(claims, oidc.groups_claim));
      return {
        method: 'oidc',
        name: user,
        groups,
        inAdminGroup: oidc.admin_groups.some((g) => groups.includes(g)),
        membership: async () => oidc.allowed_groups.find((g) => groups.includes(g)) ?? null,
      };
    },
  };

  /** The provider's `error` from the code exchange (RFC 6749 §5.2), with what to check. */
  function refused(code: string): HttpError {
    const hint = code === 'invalid_client' || code === 'unauthorized_client' ? ' (check auth.oidc.client_id and auth.oidc.client_secret)'
      : ' (start again from the login page)';
    return new HttpError(code === 'invalid_grant' ? 400 : 502, `${name} refused the sign-in code: ${code}${hint}.`);
  }
}

/** A claim by its exact name (Auth0's namespaced claims are URLs with dots), else by a dotted path into objects. */
export function claim(claims: Record<string, unknown>, key: string): unknown {
  if (key in claims) return claims[key];
  let value: unknown = claims;
  for (const part of key.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A groups claim as a list of names: a list (non-strings dropped) or one string; anything else is no groups. */
function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string') : [];
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** Why an id_token was not accepted, for the person and the administrator; never the token itself. */
function untrusted(err: unknown, provider: OidcProvider, joseErrors: typeof import('jose').errors): HttpError {
  if (err instanceof HttpError) return err;
  // The key set could not be fetched or read: the provider's trouble, not the token's.
  const keysUnread = !(err instanceof joseErrors.JOSEError) || ['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID'].includes(err.code);
  const why = keysUnread ? null :
    err instanceof joseErrors.JWTExpired ? 'it has expired (check the clocks of the hub and the provider if this repeats)'
    : err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'aud' ? 'its audience is not auth.oidc.client_id'
    : err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'iss' ? 'its issuer is not the discovered issuer'
    : err instanceof joseErrors.JWTClaimValidationFailed ? `its ${err.claim} claim is not acceptable (${err.reason})`
    : err instanceof joseErrors.JWSSignatureVerificationFailed ? 'its signature does not verify with the provider\'s keys'
    : err instanceof joseErrors.JWKSNoMatchingKey ? 'it is signed with a key the provider does not publish'
    : err instanceof joseErrors.JOSEError ? `it could not be verified (${err.code})`
    : null;
  if (why === null) {
    return new HttpError(502, `The provider's signing keys could not be read (discovered from ${provider.discoveryUrl}): sign-in cannot complete now, try again later.`, { cause: err });
  }
  return new HttpError(403, `The id_token from the OpenID Connect provider was refused: ${why}. Start again from the login page.`, { cause: err });
}
