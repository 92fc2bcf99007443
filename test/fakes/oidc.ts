// A small local stand-in for an OpenID Connect provider (the shape of Keycloak's: an issuer with a path), for tests.
// Start it on 127.0.0.1:0 and point the hub at it with `auth.oidc.issuer: fake.issuer`.
//
// API:
//   const op = await startFakeOidc({ clientId: 'berth', clientSecret: 'osecret' });
//   op.issuer                  http://127.0.0.1:PORT/realms/berth
//   op.claims = { preferred_username: 'Alice', groups: ['staff'] }   who the next authorize request approves (sub is
//                              derived from the name unless given); op.userinfoClaims: claims only userinfo tells
//   op.forge = { key: 'stranger' | 'published', aud, expiresIn, nonce, iss }   how the next id_tokens are made:
//                              signed with a key the provider does not publish, for another audience, already expired…
//   op.mode = 'ok' | 'down'    down: every connection is dropped
//   op.discoveryIssuer = '…'   the issuer the discovery document names (default: the real one)
//   op.authorizeRequests, op.tokenRequests ({form, authorization, accepted, error}), op.userinfoRequests
//   await op.close()
// Endpoints (under the issuer):
//   GET  /.well-known/openid-configuration   discovery (client_secret_basic and client_secret_post, S256)
//   GET  /protocol/openid-connect/certs      JWKS: the provider's RS256 public key
//   GET  /protocol/openid-connect/auth       → 302 redirect_uri?code&state (auto-approves op.claims); unknown client → 400
//   POST /protocol/openid-connect/token      code + PKCE verifier (S256) + client auth → {access_token, id_token}, or
//                                            400 {error: invalid_grant | invalid_client}
//   GET  /protocol/openid-connect/userinfo   Bearer access token → {sub, ...op.userinfoClaims}
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

export interface FakeOidcOptions {
  clientId: string;
  clientSecret: string;
}

export interface IdTokenForgery {
  /** Sign with a key the provider never published (a forged token). */
  key?: 'published' | 'stranger';
  aud?: string | string[];
  /** Seconds from now; negative makes it already expired. */
  expiresIn?: number;
  nonce?: string;
  iss?: string;
}

export interface FakeOidc {
  readonly url: string;
  readonly issuer: string;
  claims: Record<string, unknown>;
  userinfoClaims: Record<string, unknown>;
  forge: IdTokenForgery;
  mode: 'ok' | 'down';
  discoveryIssuer: string | null;
  readonly authorizeRequests: URLSearchParams[];
  readonly tokenRequests: { form: URLSearchParams; authorization: string | undefined; accepted: boolean; error?: string }[];
  readonly userinfoRequests: number;
  close(): Promise<void>;
}

interface PendingCode { claims: Record<string, unknown>; redirectUri: string; challenge: string | null; nonce: string | null }

const KID = 'fake-oidc-key-1';

export async function startFakeOidc(options: FakeOidcOptions): Promise<FakeOidc> {
  const published = await generateKeyPair('RS256', { extractable: true });
  const stranger = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(published.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  const codes = new Map<string, PendingCode>();
  const accessTokens = new Map<string, Record<string, unknown>>();
  let userinfoRequests = 0;

  const server = http.createServer((req, res) => {
    if (fake.mode === 'down') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => void route(req, res, Buffer.concat(chunks).toString('utf8')));
  });

  const json = (res: http.ServerResponse, status: number, body: unknown): void =>
    void res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));

  async function idToken(claims: Record<string, unknown>, nonce: string | null): Promise<string> {
    const f = fake.forge;
    const key: CryptoKey = f.key === 'stranger' ? stranger.privateKey : published.privateKey;
    const now = Math.floor(Date.now() / 1000);
    const body: Record<string, unknown> = { ...claims };
    const n = f.nonce ?? nonce;
    if (n !== null) body.nonce = n;
    return new SignJWT(body)
      .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
      .setIssuer(f.iss ?? fake.issuer)
      .setAudience(f.aud ?? options.clientId)
      .setIssuedAt(now + Math.min(0, f.expiresIn ?? 0) - 60)
      .setExpirationTime(now + (f.expiresIn ?? 300))
      .sign(key);
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.startsWith(issuerPath) ? url.pathname.slice(issuerPath.length) : null;
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer: fake.discoveryIssuer ?? fake.issuer,
        authorization_endpoint: `${fake.issuer}/protocol/openid-connect/auth`,
        token_endpoint: `${fake.issuer}/protocol/openid-connect/token`,
        userinfo_endpoint: `${fake.issuer}/protocol/openid-connect/userinfo`,
        jwks_uri: `${fake.issuer}/protocol/openid-connect/certs`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      });
    }
    if (req.method === 'GET' && path === '/protocol/openid-connect/certs') return json(res, 200, { keys: [jwk] });
    if (req.method === 'GET' && path === '/protocol/openid-connect/auth') {
      const q = url.searchParams;
      fake.authorizeRequests.push(q);
      if (q.get('client_id') !== options.clientId) return json(res, 400, { error: 'invalid_client' });
      const redirectUri = q.get('redirect_uri');
      if (!redirectUri || q.get('response_type') !== 'code') return json(res, 400, { error: 'invalid_request' });
      const code = randomBytes(12).toString('hex');
      const name = String(fake.claims.preferred_username ?? fake.claims.email ?? 'someone');
      codes.set(code, {
        claims: { sub: `sub-${name.toLowerCase()}`, ...fake.claims },
        redirectUri,
        challenge: q.get('code_challenge_method') === 'S256' ? q.get('code_challenge') : null,
        nonce: q.get('nonce'),
      });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      return void res.writeHead(302, { location: back.toString() }).end();
    }
    if (req.method === 'POST' && path === '/protocol/openid-connect/token') {
      const form = new URLSearchParams(body);
      const authorization = req.headers.authorization;
      const fail = (status: number, error: string) => {
        fake.tokenRequests.push({ form, authorization, accepted: false, error });
        json(res, status, { error });
      };
      let [clientId, clientSecret] = [form.get('client_id'), form.get('client_secret')];
      const basic = /^Basic (.+)$/.exec(authorization ?? '');
      if (basic) {
        [clientId, clientSecret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':').map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
      }
      if (clientId !== options.clientId || clientSecret !== options.clientSecret) return fail(401, 'invalid_client');
      const code = form.get('code') ?? '';
      const pending = codes.get(code);
      codes.delete(code);
      if (!pending || form.get('grant_type') !== 'authorization_code') return fail(400, 'invalid_grant');
      if (form.get('redirect_uri') !== pending.redirectUri) return fail(400, 'invalid_grant');
      if (pending.challenge !== null) {
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== pending.challenge) return fail(400, 'invalid_grant');
      }
      const accessToken = randomBytes(16).toString('hex');
      accessTokens.set(accessToken, pending.claims);
      fake.tokenRequests.push({ form, authorization, accepted: true });
      return json(res, 200, {
        access_token: accessToken, token_type: 'Bearer', expires_in: 300, id_token: await idToken(pending.claims, pending.nonce),
      });
    }
    if (req.method === 'GET' && path === '/protocol/openid-connect/userinfo') {
      userinfoRequests++;
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const claims = token === undefined ? undefined : accessTokens.get(token);
      if (claims === undefined) return json(res, 401, { error: 'invalid_token' });
      return json(res, 200, { sub: claims.sub, ...fake.userinfoClaims });
    }
    json(res, 404, { error: 'not found' });
  }

  const issuerPath = '/realms/berth';
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: FakeOidc = {
    url,
    issuer: `${url}${issuerPath}`,
    claims: { preferred_username: 'someone' },
    userinfoClaims: {},
    forge: {},
    mode: 'ok',
    discoveryIssuer: null,
    authorizeRequests: [],
    tokenRequests: [],
    get userinfoRequests() {
      return userinfoRequests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
