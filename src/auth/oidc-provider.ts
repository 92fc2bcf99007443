// What Berth asks of an OpenID Connect provider, on node:http: its discovery document (read on first use, kept once
// read), the code exchange, userinfo, and its signing keys for jose, so id_tokens are checked by a well-kept library.
import type { JWTVerifyGetKey } from 'jose';
// jose's remote key set alone: the package's index loads all of JOSE (46 modules) at the hub's start.
import { createRemoteJWKSet, customFetch, type FetchImplementation } from 'jose/jwks/remote';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import { httpRequest, type HttpAnswer } from '../http-request.js';

const PROVIDER_TIMEOUT_MS = 15_000;

const url = z.string().refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'is not an http(s) URL');

/** The fields of an OpenID Provider's metadata (OpenID Connect Discovery 1.0 §3) Berth uses. */
const metadataSchema = z.object({
  issuer: z.string().min(1),
  authorization_endpoint: url,
  token_endpoint: url,
  jwks_uri: url,
  userinfo_endpoint: url.optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
});

export type ProviderMetadata = z.infer<typeof metadataSchema>;

export interface OidcProvider {
  /** The discovery URL tried, for errors and the log. */
  readonly discoveryUrl: string;
  /** The metadata, read once; a failure is thrown (HttpError 502 naming the URL) and asked again next time. */
  metadata(): Promise<ProviderMetadata>;
  /** jose's key lookup for id_token signatures, against the discovered jwks_uri (cached, refreshed on an unknown kid). */
  keys(): Promise<JWTVerifyGetKey>;
  /** POST to the token endpoint; the answer's JSON (or null) and status. */
  exchange(form: Record<string, string>, headers: Record<string, string>): Promise<{ status: number; body: unknown }>;
  /** GET userinfo with the access token; the claims, or a 502 naming the endpoint. */
  userinfo(accessToken: string): Promise<Record<string, unknown>>;
}

export function createOidcProvider(issuer: string): OidcProvider {
  const discoveryUrl = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let discovered: Promise<ProviderMetadata> | null = null;
  let jwks: JWTVerifyGetKey | null = null;

  async function discover(): Promise<ProviderMetadata> {
    const res = await call(discoveryUrl, { timeoutMs: PROVIDER_TIMEOUT_MS, headers: { accept: 'application/json' } });
    if (res.status !== 200) throw badProvider(`answered ${res.status} at ${discoveryUrl}`);
    const parsed = metadataSchema.safeParse(parseJson(res.body));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw badProvider(`sent a discovery document at ${discoveryUrl} without a valid ${issue?.path.join('.') || 'JSON body'}`);
    }
    // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for; a trailing slash is forgiven.
    if (parsed.data.issuer.replace(/\/+$/, '') !== issuer.replace(/\/+$/, '')) {
      throw badProvider(`names the issuer ${JSON.stringify(parsed.data.issuer)} at ${discoveryUrl}, not auth.oidc.issuer ${JSON.stringify(issuer)}: set auth.oidc.issuer to the provider's issuer exactly`);
    }
    return parsed.data;
  }

  const provider: OidcProvider = {
    discoveryUrl,
    metadata() {
      discovered ??= discover().catch((err: unknown) => {
        discovered = null;
        throw err;
      });
      return discovered;
    },
    async keys() {
      const { jwks_uri: jwksUri } = await provider.metadata();
      jwks ??= createRemoteJWKSet(new URL(jwksUri), { [customFetch]: fetchOverNodeHttp, timeoutDuration: PROVIDER_TIMEOUT_MS });
      return jwks;
    },
    async exchange(form, headers) {
      const { token_endpoint: where } = await provider.metadata();
      const res = await call(where, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
        body: new URLSearchParams(form).toString(),
        timeoutMs: PROVIDER_TIMEOUT_MS,
      });
      return { status: res.status, body: parseJson(res.body) };
    },
    async userinfo(accessToken) {
      const { userinfo_endpoint: where } = await provider.metadata();
      if (where === undefined) return {};
      const res = await call(where, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' }, timeoutMs: PROVIDER_TIMEOUT_MS });
      const body = parseJson(res.body);
      if (res.status !== 200 || typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw badProvider(`answered ${res.status} to GET ${where} (userinfo) without a JSON object`);
      }
      return body as Record<string, unknown>;
    },
  };
  return provider;
}

/** The hub's outgoing HTTP for jose's key fetches (the global fetch would load undici for a few requests). */
const fetchOverNodeHttp: FetchImplementation = async (href, options) => {
  const res = await httpRequest(href, {
    headers: Object.fromEntries(new Headers(options.headers).entries()),
    signal: options.signal,
    timeoutMs: PROVIDER_TIMEOUT_MS,
  });
  return { status: res.status, json: async () => JSON.parse(res.body) as unknown } as Response;
};

async function call(where: string, options: Parameters<typeof httpRequest>[1]): Promise<HttpAnswer> {
  try {
    return await httpRequest(where, options);
  } catch (err) {
    const failure = err as { code?: string; cause?: { code?: string }; name?: string };
    const why = failure?.code ?? failure?.cause?.code ?? failure?.name ?? 'error';
    throw new HttpError(502, `The OpenID Connect provider could not be reached at ${where} (${why}): sign-in cannot complete now; ` +
      'try again later, or check auth.oidc.issuer.', { cause: err });
  }
}

function badProvider(what: string): HttpError {
  return new HttpError(502, `The OpenID Connect provider ${what}: sign-in cannot complete now (an administrator must check auth.oidc).`);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
