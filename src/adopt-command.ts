// `berth adopt [--remove] [--all | NAME...]`: takes over (or removes) containers on this hub's network that carry
// another hub's id. Works beside a running hub: the rows it writes are routed at the hub's next check (every 30 s)
// or start. Rules: servers/orphans.ts; finding the containers: spawner/foreign-containers.ts.
import type { HubConfig } from './config/load.js';
import { createOAuthClientStore } from './auth/oauth-clients.js';
import { createTokenStore } from './auth/tokens.js';
import { openDatabase } from './db/open.js';
import { loadHubId } from './hub-id.js';
import { createServerRows, claimedContainerIds } from './servers/server-rows.js';
import { AdoptError, adoptContainer } from './servers/orphans.js';
import { createDockerClient, type DockerClient } from './spawner/docker-client.js';
import { listForeignContainers, readJupyterhubEnv, removeForeignContainer } from './spawner/foreign-containers.js';
import { createUserStore } from './users/store.js';

export interface AdoptRequest {
  names: string[];
  all: boolean;
  remove: boolean;
}

/** Runs the command; resolves to the exit code. `out`/`err` receive whole lines. */
export async function runAdopt(
  config: HubConfig,
  request: AdoptRequest,
  io: { out(line: string): void; err(line: string): void },
  docker: DockerClient = createDockerClient(),
): Promise<number> {
  if (config.spawner.backend === 'swarm') {
    // Orphans are containers on one engine; a swarm's servers are services, which this command does not read.
    io.err(
      'berth adopt: works with spawner.backend: docker only. On a swarm, another hub\'s servers are services: list them with ' +
        '`docker service ls --filter label=berth.hub` and remove those that are not this hub\'s with `docker service rm NAME` ' +
        '(users\' volumes stay); their users start new servers from this hub.',
    );
    return 2;
  }
  const opened = openDatabase(config.dataDir);
  try {
    const { db } = opened;
    const hubId = loadHubId(db);
    const { network, port } = config.spawner;
    const orphans = await listForeignContainers(docker, { network, hubId, port, claimed: claimedContainerIds(db) });
    const byName = new Map(orphans.map((o) => [o.containerName, o]));
    const listed = orphans.length === 0 ? 'none' : orphans.map((o) => o.containerName).join(', ');
    if (!request.all && request.names.length === 0) {
      io.err(`berth adopt: name the containers (or --all). Containers of other hubs on network ${network}: ${listed}`);
      return 2;
    }
    const unknown = request.names.filter((n) => !byName.has(n));
    if (unknown.length > 0) {
      io.err(`berth adopt: not a container of another hub on network ${network}: ${unknown.join(', ')}. Containers of other hubs there: ${listed}`);
      return 1;
    }
    const chosen = request.all ? orphans : request.names.map((n) => byName.get(n)!);
    const users = createUserStore(db);
    const deps = { config, db, users, rows: createServerRows(db, users), tokens: createTokenStore(db), oauthClients: createOAuthClientStore(db) };
    let failed = 0;
    for (const orphan of chosen) {
      try {
        if (request.remove) {
          await removeForeignContainer(docker, orphan.containerId);
          io.out(`removed ${orphan.containerName} (its volumes are kept)`);
        } else {
          const { user, server } = adoptContainer(deps, orphan, await readJupyterhubEnv(docker, orphan.containerId));
          io.out(`adopted ${orphan.containerName}: ${user}'s server${server ? ` ${server}` : ''} is this hub's now (a running hub routes it within 30 s)`);
        }
      } catch (err) {
        if (!(err instanceof AdoptError)) throw err;
        io.err(`berth adopt: ${err.message}`);
        failed++;
      }
    }
    return failed > 0 ? 1 : 0;
  } finally {
    opened.close();
  }
}
