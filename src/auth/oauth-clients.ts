// Owns the oauth_clients table: the OAuth clients of single-user servers (client id jupyterhub-user-<name>,
// secret = the server's API token, stored hashed). Deleting a client cascades to its codes and access tokens.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { oauthClients, type OAuthClient } from '../db/schema.js';
import { compareToken, hashToken } from './tokens.js';

export type { OAuthClient };

export interface RegisterClient {
  identifier: string;
  secret: string;
  /** Compared as a string with the redirect_uri of authorize and token requests; usually relative. */
  redirectUri: string;
  description: string;
  allowedScopes: string[];
  serverId?: number | null;
}

export interface OAuthClientStore {
  /** Creates or replaces the client with this identifier. */
  register(client: RegisterClient): OAuthClient;
  remove(identifier: string): boolean;
  get(identifier: string): OAuthClient | null;
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
