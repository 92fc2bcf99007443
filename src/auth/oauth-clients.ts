// Owns the oauth_clients table: the OAuth clients of single-user servers (client id jupyterhub-user-<name>,
// secret = the server's API token, stored hashed) and of hub.yaml services (service-<name>, secret = its
// api_token), and the rule for what a client may be granted.
// Deleting a client cascades to its codes and access tokens.
import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { oauthClients, type OAuthClient } from '../db/schema.js';
import { identifyScopes, intersectScopes, invalidScopes } from './scopes.js';
import { compareToken, hashToken } from './tokens.js';

export type { OAuthClient };

export interface RegisterClient {
  identifier: string;
  secret: string;
  /** Compared as a string with the redirect_uri of authorize and token requests; usually relative. */
  redirectUri: string;
  description: string;
  /** Raw scopes the client may ever be granted besides access to its server and the visitor's identity
   * (JupyterHub's Spawner.oauth_client_allowed_scopes; a server's default is its access scope alone). */
  allowedScopes: string[];
  serverId?: number | null;
}

export interface OAuthClientStore {
  /** Creates or replaces the client with this identifier. */
  register(client: RegisterClient): OAuthClient;
  remove(identifier: string): boolean;
  get(identifier: string): OAuthClient | null;
  /** Deletes the clients whose identifier starts with `prefix` and is not in `keep`; answers their identifiers. */
  removeUnlisted(prefix: string, keep: readonly string[]): string[];
  /** The client when `secret` is its secret; null otherwise (unknown client, empty or wrong secret). */
  authenticate(identifier: string, secret: string): OAuthClient | null;
}

/** JupyterHub's client id for a user's server: quote(name), plus -quote(server) for named servers. */
export function serverClientId(userName: string, serverName = ''): string {
  const quote = (s: string) => encodeURIComponent(s).replace(/%2F/gi, '/');
  return serverName === '' ? `jupyterhub-user-${quote(userName)}` : `jupyterhub-user-${quote(userName)}-${quote(serverName)}`;
}

export function createOAuthClientStore(db: Db): OAuthClientStore {
  const store: OAuthClientStore = {
    register(client) {
      const values = {
        identifier: client.identifier,
        // The secret is the server's generated API token (high entropy): one salted round, as JupyterHub hashes
        // generated tokens. Its 16,384 rounds for client secrets cost 2 ms of the hub's thread on every spawn.
        secretHash: hashToken(client.secret),
        redirectUri: client.redirectUri,
        description: client.description,
        allowedScopes: client.allowedScopes,
        serverId: client.serverId ?? null,
      };
      return db.insert(oauthClients).values(values)
        .onConflictDoUpdate({ target: oauthClients.identifier, set: values })
        .returning().get();
    },
    remove(identifier) {
      return db.delete(oauthClients).where(eq(oauthClients.identifier, identifier)).run().changes > 0;
    },
    removeUnlisted(prefix, keep) {
      return db.delete(oauthClients)
        .where(and(sql`substr(${oauthClients.identifier}, 1, ${prefix.length}) = ${prefix}`, notInArray(oauthClients.identifier, [...keep])))
        .returning({ identifier: oauthClients.identifier }).all().map((row) => row.identifier);
    },
    get(identifier) {
      return db.select().from(oauthClients).where(eq(oauthClients.identifier, identifier)).get() ?? null;
    },
    authenticate(identifier, secret) {
      const client = store.get(identifier);
      if (client === null || !secret || client.secretHash === '') return null;
      return compareToken(client.secretHash, secret) ? client : null;
    },
  };
  return store;
}

export interface GrantRequest {
  /** The `scope` parameter, split; null when absent (the client's allowed scopes are the default). */
  requested: string[] | null;
  /** The client's stored allowed scopes. */
  allowed: readonly string[];
  /** The access scope of the client's server, e.g. `access:servers!server=mallory/`, already checked against the visitor. */
  access: string;
  visitor: { name: string; scopes: readonly string[] };
  /** Expands raw scopes for the visitor (binds `self` and bare filters to them). */
  expand: (raw: readonly string[]) => string[];
}

/**
 * What an authorize request grants: the scopes asked for, bounded by the client's allowed scopes plus access to
 * its server and the visitor's identity, and by what the visitor holds. A server's page cannot widen its own
 * client, so a visitor's token there can never do more than open that server and say who they are. Extras are
 * dropped and reported, not refused (JupyterHub refuses scopes outside the client; dropping keeps old clients working).
 */
export function resolveGrant(r: GrantRequest): { granted: string[]; dropped: string[] } {
  const required = [r.access, ...identifyScopes(r.visitor.name)];
  const ceiling = intersectScopes(r.expand([...r.allowed, ...required]), r.visitor.scopes);
  // `identify` was JupyterHub 2's only scope: it asks for nothing beyond the identity every grant carries.
  const asked = (r.requested ?? [...r.allowed]).filter((s) => s !== 'identify');
  const unknown = new Set(invalidScopes(asked));
  const granted = intersectScopes(r.expand([...asked.filter((s) => !unknown.has(s)), ...required]), ceiling);
  const dropped = asked.filter((s) => unknown.has(s) || r.expand([s]).some((e) => !intersectScopes([e], granted).includes(e)));
  return { granted, dropped };
}
