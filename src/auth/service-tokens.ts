// Keeps the tokens of hub.yaml `services` in step with the file at start-up: each `api_token` is stored hashed
// (never in clear), a changed token replaces the old one, and a service that left the file loses its tokens.
import type { HubConfig } from '../config/load.js';
import { compareToken, type TokenStore } from './tokens.js';

export function syncServiceTokens(config: Pick<HubConfig, 'services'>, tokens: TokenStore): { added: string[]; removed: string[] } {
  const added: string[] = [];
  const removed: string[] = [];
  const existing = tokens.listServiceTokens();
  const wanted = new Map(config.services.filter((s) => s.api_token !== undefined).map((s) => [s.name, s.api_token as string]));
  for (const row of existing) {
    const token = wanted.get(row.serviceName as string);
    if (token !== undefined && compareToken(row.hash, token)) continue;
    tokens.revoke(row.id);
    removed.push(row.serviceName as string);
  }
  for (const [name, token] of wanted) {
    if (existing.some((row) => row.serviceName === name && compareToken(row.hash, token))) continue;
    // A token already taken by someone else would make its owner ambiguous: refuse rather than guess.
    if (tokens.find(token) !== null) throw new Error(`hub.yaml services: the api_token of "${name}" is already another token's; give it a fresh random value`);
    tokens.issue({ serviceName: name, supplied: token, scopes: ['inherit'], note: `Service ${name} (hub.yaml)` });
    added.push(name);
  }
  return { added, removed };
}
