// A small local stand-in for GitHub's OAuth and REST endpoints, for tests. Start it on 127.0.0.1:0 and point
// the hub at it with `auth.github.url: fake.url` and `auth.github.api_url: fake.apiUrl` (the GitHub Enterprise layout).
//
// API (used by the sign-in tests and by the end-to-end test):
//   const gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret', login: 'Alice' });
//   gh.url, gh.apiUrl          web base (…/login/oauth/*) and API base (…/api/v3)
//   gh.login = 'Bob'            who the next authorize request approves (case kept; the hub lowercases)
//   gh.addOrgMember('org', 'bob'); gh.addTeamMember('org', 'team', 'bob', 'active' | 'pending')
//   gh.mode = 'ok' | 'down' | 'error' | 'api-error'   down: every connection is dropped; error: every answer is a 503 HTML
//                               page; api-error: the OAuth endpoints work but every /api/v3 answer is a 503 (REST API outage)
//   gh.authorizeRequests        the query of each GET /login/oauth/authorize (scope, state, code_challenge…)
//   gh.tokenRequests            each POST /login/oauth/access_token body plus whether it was accepted
//   gh.issuedTokens             access tokens handed out, in order
//   await gh.close()
// Endpoints:
//   GET  /login/oauth/authorize?client_id&redirect_uri&state&scope&code_challenge&code_challenge_method=S256
//        → 302 redirect_uri?code=…&state=… (auto-approves gh.login); unknown client_id → 404
//   POST /login/oauth/access_token (form; client credentials as HTTP Basic or client_id/client_secret fields)
//        → 200 {access_token, token_type: 'bearer', scope}; like GitHub, failures are 200 {error, error_description}:
//          incorrect_client_credentials, bad_verification_code (unknown/used code, wrong redirect_uri, wrong PKCE verifier)
//   GET  /api/v3/user (Authorization: token|Bearer <t>) → {login, id, name}; bad token → 401
//   GET  /api/v3/orgs/{org}/members/{login} → 204 member, 404 not
//   GET  /api/v3/orgs/{org}/teams/{team}/memberships/{login} → 200 {state, role: 'member'}, 404 not
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGithubOptions {
  clientId: string;
  clientSecret: string;
  login?: string;
}

export interface FakeGithub {
  readonly url: string;
  readonly apiUrl: string;
  login: string;
  mode: 'ok' | 'down' | 'error' | 'api-error';
  readonly authorizeRequests: URLSearchParams[];
  readonly tokenRequests: { body: URLSearchParams; accepted: boolean; error?: string }[];
  readonly issuedTokens: string[];
  addOrgMember(org: string, login: string): void;
  addTeamMember(org: string, team: string, login: string, state?: 'active' | 'pending'): void;
  close(): Promise<void>;
}

interface PendingCode {
  login: string;
  redirectUri: string;
  challenge: string | null;
  scope: string;
}

export async function startFakeGithub(options: FakeGithubOptions): Promise<FakeGithub> {
  const codes = new Map<string, PendingCode>();
  const tokens = new Map<string, string>();
  const orgs = new Map<string, Set<string>>();
  const teams = new Map<string, Map<string, 'active' | 'pending'>>();
  const ids = new Map<string, number>();

  const server = http.createServer((req, res) => {
    if (fake.mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (fake.mode === 'error') {
      res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>Unicorn! This page is taking too long to load.</h1>');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => route(req, res, Buffer.concat(chunks).toString('utf8')));
  });

  const json = (res: http.ServerResponse, status: number, body: unknown): void =>
    void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  function route(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      fake.authorizeRequests.push(url.searchParams);
      const q = url.searchParams;
      if (q.get('client_id') !== options.clientId) return void res.writeHead(404).end('unknown client_id');
      const redirectUri = q.get('redirect_uri');
      if (!redirectUri) return void res.writeHead(400).end('redirect_uri missing');
      const code = randomBytes(10).toString('hex');
      const challenge = q.get('code_challenge_method') === 'S256' ? q.get('code_challenge') : null;
      codes.set(code, { login: fake.login, redirectUri, challenge, scope: q.get('scope') ?? '' });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      return void res.writeHead(302, { location: back.toString() }).end();
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(body);
      let [clientId, clientSecret] = [form.get('client_id'), form.get('client_secret')];
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
      if (basic) [clientId, clientSecret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      const fail = (error: string, description: string) => {
        fake.tokenRequests.push({ body: form, accepted: false, error });
        json(res, 200, { error, error_description: description });
      };
      if (clientId !== options.clientId || clientSecret !== options.clientSecret) {
        return fail('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
      }
      const code = form.get('code') ?? '';
      const pending = codes.get(code);
      codes.delete(code);
      if (!pending) return fail('bad_verification_code', 'The code passed is incorrect or expired.');
      if (form.get('redirect_uri') !== null && form.get('redirect_uri') !== pending.redirectUri) {
        return fail('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.');
      }
      if (pending.challenge !== null) {
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== pending.challenge) {
          return fail('bad_verification_code', 'The code_verifier does not match the code_challenge.');
        }
      }
      const token = `gho_${randomBytes(16).toString('hex')}`;
      tokens.set(token, pending.login);
      fake.issuedTokens.push(token);
      fake.tokenRequests.push({ body: form, accepted: true });
      return json(res, 200, { access_token: token, token_type: 'bearer', scope: pending.scope.replace(/ /g, ',') });
    }
    if (req.method === 'GET' && parts[0] === 'api' && parts[1] === 'v3') {
      if (fake.mode === 'api-error') return json(res, 503, { message: 'Service Unavailable' });
      const auth = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? '');
      const caller = auth ? tokens.get(auth[1]) : undefined;
      if (caller === undefined) return json(res, 401, { message: 'Bad credentials' });
      const rest = parts.slice(2);
      if (rest.length === 1 && rest[0] === 'user') {
        if (!ids.has(caller)) ids.set(caller, 1000 + ids.size);
        return json(res, 200, { login: caller, id: ids.get(caller), name: `${caller} (fake)` });
      }
      if (rest.length === 4 && rest[0] === 'orgs' && rest[2] === 'members') {
        const member = orgs.get(rest[1].toLowerCase())?.has(rest[3].toLowerCase()) ?? false;
        return member ? void res.writeHead(204).end() : json(res, 404, { message: 'Not Found' });
      }
      if (rest.length === 6 && rest[0] === 'orgs' && rest[2] === 'teams' && rest[4] === 'memberships') {
        const state = teams.get(`${rest[1]}:${rest[3]}`.toLowerCase())?.get(rest[5].toLowerCase());
        return state ? json(res, 200, { state, role: 'member' }) : json(res, 404, { message: 'Not Found' });
      }
    }
    json(res, 404, { message: 'Not Found' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: FakeGithub = {
    url,
    apiUrl: `${url}/api/v3`,
    login: options.login ?? 'octocat',
    mode: 'ok',
    authorizeRequests: [],
    tokenRequests: [],
    issuedTokens: [],
    addOrgMember(org, login) {
      const key = org.toLowerCase();
      if (!orgs.has(key)) orgs.set(key, new Set());
      orgs.get(key)!.add(login.toLowerCase());
    },
    addTeamMember(org, team, login, state = 'active') {
      const key = `${org}:${team}`.toLowerCase();
      if (!teams.has(key)) teams.set(key, new Map());
      teams.get(key)!.set(login.toLowerCase(), state);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
