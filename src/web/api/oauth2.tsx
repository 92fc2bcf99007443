// The hub as OAuth2 provider for single-user servers and hub.yaml services (authorization-code flow): GET …/oauth2/authorize is a
// browser step authenticated by the login cookie; POST …/oauth2/token swaps a single-use code for an access token.
import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { resolveGrant } from '../../auth/oauth-clients.js';
import { TOKEN_LIMITS } from '../../auth/token-limits.js';
import { describeScopes } from '../../auth/scopes.js';
import { serviceOfClient } from '../../services/service-specs.js';
import { HttpError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { signInRedirect } from '../middleware/require-user.js';
import { describeIssues } from './body.js';
import { oauthTokenForm } from './bodies.js';
import type { ApiDeps } from './deps.js';
import { ConsentPage } from '../pages/consent-page.js';
import { renderPage } from '../pages/layout.js';
import { frameOf } from '../pages/page-frame.js';

/**
 * What a client opens, from the access scope its registration carries: a server (`access:servers!server=alice/`)
 * or a hub.yaml service (`access:services!service=grader`), as JupyterHub's access_scopes(client).
 */
function accessTarget(allowedScopes: string[]): { kind: 'server'; server: string; access: string } | { kind: 'service'; service: string; access: string } | null {
  for (const access of allowedScopes) {
    if (access.startsWith('access:servers!server=')) return { kind: 'server', server: access.slice('access:servers!server='.length), access };
    if (access.startsWith('access:services!service=')) return { kind: 'service', service: access.slice('access:services!service='.length), access };
  }
  return null;
}

export function oauth2Routes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  /** The user holds an unexpired token of this client with every scope asked for (JupyterHub asks once). */
  const alreadyAuthorized = (userId: number, clientId: string, scopes: string[]) => {
    const authorized = new Set(deps.tokens.listForUser(userId).filter((row) => row.clientId === clientId).flatMap((row) => row.scopes));
    return authorized.size > 0 && scopes.every((scope) => authorized.has(scope));
  };

  /** GET shows nothing for the user's own server (consent is implicit) and a confirmation page otherwise; POST confirms. */
  const authorize = async (c: Context<AppEnv>) => {
    const caller = c.get('caller');
    if (!caller || caller.via !== 'cookie' || caller.kind !== 'user') return signInRedirect(c, deps.config.hub.base_url);
    const q = (key: string) => c.req.query(key);
    const clientId = q('client_id');
    const client = clientId ? deps.oauthClients.get(clientId) : null;
    if (!client || client.secretHash === '') throw new HttpError(400, `Unknown OAuth client ${JSON.stringify(clientId ?? '')}: is the server still running?`);
    const redirectUri = q('redirect_uri') ?? client.redirectUri;
    // Compared as strings: no prefix matching, no canonicalisation, relative URIs allowed (JupyterHub's rules).
    if (redirectUri !== client.redirectUri) throw new HttpError(400, `redirect_uri ${JSON.stringify(redirectUri)} does not match the one registered for ${client.identifier}`);
    if (q('response_type') !== 'code') throw new HttpError(400, `response_type must be "code", got ${JSON.stringify(q('response_type') ?? '')}`);
    const target = accessTarget(client.allowedScopes);
    if (target === null) throw new HttpError(400, `OAuth client ${client.identifier} is not linked to a server or service`);
    const { access } = target;
    const allowed = target.kind === 'server'
      ? caller.scopes.holds('access:servers', { server: target.server })
      : caller.scopes.holds('access:services', { service: target.service });
    if (allowed !== 'yes') {
      const what = client.description || (target.kind === 'server' ? `the server ${target.server}` : `the service ${target.service}`);
      const hint = target.kind === 'service' ? ` (an admin grants it with auth.extra_user_scopes: [${access}] in hub.yaml)` : '';
      throw new HttpError(403, `You do not have permission to access ${what}${hint}`);
    }
    const user = deps.users.get(caller.name);
    if (user === null) throw new HttpError(403, 'Missing or invalid credentials.');
    const requested = q('scope')?.split(/\s+/).filter(Boolean) ?? [];
    const { granted: scopes, dropped } = resolveGrant({
      requested: requested.length > 0 ? requested : null,
      allowed: client.allowedScopes,
      access,
      visitor: { name: user.name, scopes: caller.scopes.list },
      expand: (raw) => deps.resolver.expandFor(user, raw),
    });
    // Someone else's server (an admin with hub.admin_access), or a service not marked oauth_no_confirm: ask first,
    // so a link alone cannot sign anyone in (JupyterHub's needs_oauth_confirm).
    const owner = target.kind === 'server' ? target.server.slice(0, target.server.indexOf('/')) : null;
    const confirm = target.kind === 'server'
      ? owner !== user.name
      : !(serviceOfClient(deps.config, client.identifier)?.oauth?.noConfirm ?? false) && !alreadyAuthorized(user.id, client.identifier, scopes);
    if (confirm && c.req.method !== 'POST') {
      c.header('Cache-Control', 'no-store');
      return c.html(renderPage(
        <ConsentPage frame={frameOf(c)} description={client.description || access} owner={owner} redirectUri={client.redirectUri}
          scopes={describeScopes(scopes, user.name)} xsrf={deps.xsrfToken?.(caller.sessionId ?? '') ?? null} />,
      ));
    }
    if (dropped.length > 0) {
      c.var.log.warn({ client: client.identifier, user: user.name, dropped, granted: scopes }, 'OAuth client asked for scopes beyond what it may be granted; granting only the rest');
    }
    const code = deps.oauthCodes.issue({ clientId: client.identifier, userId: user.id, redirectUri, scopes, sessionId: caller.sessionId ?? null });
    const state = q('state');
    const sep = redirectUri.includes('?') ? '&' : '?';
    const location = `${redirectUri}${sep}code=${encodeURIComponent(code)}${state !== undefined ? `&state=${encodeURIComponent(state)}` : ''}`;
    return c.redirect(location, 302);
  };
  app.get('/oauth2/authorize', authorize);
  app.post('/oauth2/authorize', authorize);

  app.post('/oauth2/token', async (c) => {
    c.header('Cache-Control', 'no-store');
    c.header('Pragma', 'no-cache');
    const form = await readForm(c);
    if (!form.success) return oauthError(c, 400, 'invalid_request', form.message);
    // Client credentials come from the form (or HTTP Basic); the `Authorization: token` header servers also send is ignored.
    const basic = parseBasic(c.req.header('authorization'));
    const clientId = form.client_id ?? basic?.id ?? '';
    const secret = form.client_secret ?? basic?.secret ?? '';
    const client = deps.oauthClients.authenticate(clientId, secret);
    if (client === null) return oauthError(c, 401, 'invalid_client', 'Client authentication failed (client_id and client_secret form fields)');
    if (form.grant_type !== 'authorization_code') {
      return oauthError(c, 400, 'unsupported_grant_type', `grant_type must be authorization_code, got ${JSON.stringify(form.grant_type ?? '')}`);
    }
    const code = deps.oauthCodes.consume(form.code ?? '', client.identifier);
    if (code === null) return oauthError(c, 400, 'invalid_grant', 'The code is unknown, expired, already used, or was issued to another client');
    const redirectUri = form.redirect_uri ?? client.redirectUri;
    if (redirectUri !== code.redirectUri || redirectUri !== client.redirectUri) {
      return oauthError(c, 400, 'invalid_grant', 'redirect_uri does not match the one used at the authorize step');
    }
    const { token } = deps.tokens.issue({
      userId: code.userId,
      clientId: client.identifier,
      sessionId: code.sessionId,
      note: `OAuth token for ${client.description || client.identifier}`,
      scopes: code.scopes,
      expiresIn: deps.config.auth.session_max_age,
      format: 'oauth',
    });
    // Every sign-in through a server adds a token; a server signing its user in over and over must not grow the table.
    deps.tokens.keepNewestOAuth(code.userId, client.identifier, TOKEN_LIMITS.oauthPerClient);
    return c.json({ access_token: token, token_type: 'Bearer', expires_in: deps.config.auth.session_max_age, scope: code.scopes.join(' ') });
  });

  return app;
}

/** The token request's fields, from a form (RFC 6749) or a JSON body (some clients send one). */
async function readForm(c: Context<AppEnv>): Promise<({ success: true } & z.output<typeof oauthTokenForm>) | { success: false; message: string }> {
  const type = c.req.header('content-type') ?? '';
  const text = await c.req.text();
  let body: unknown;
  if (type.includes('application/json')) {
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      return { success: false, message: 'The request body is not valid JSON' };
    }
  } else {
    body = Object.fromEntries(new URLSearchParams(text));
  }
  const parsed = oauthTokenForm.safeParse(body, { reportInput: true });
  return parsed.success ? { success: true, ...parsed.data } : { success: false, message: describeIssues(parsed.error.issues) };
}

function parseBasic(header: string | undefined): { id: string; secret: string } | null {
  const m = /^basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i === -1) return null;
  try {
    return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
  } catch {
    return null;
  }
}

function oauthError(c: Context<AppEnv>, status: 400 | 401, error: string, description: string): Response {
  return c.json({ error, error_description: description }, status);
}
