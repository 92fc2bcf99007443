// The Docker client the hub talks to the engine through, made here so that dockerode stays inside src/spawner/:
// hub.ts asks for one (or is given one) without importing dockerode itself.
import { createRequire } from 'node:module';
import type Docker from 'dockerode';
// First: makes dockerode's gRPC and ssh2 requires lazy (see the module).
import './lazy-docker-deps.js';

export type DockerClient = Docker;

// Required in this module's body, not imported: a static import of dockerode would be evaluated before any module
// code runs once the hub is bundled (scripts/build.mjs merges lazy-docker-deps into this chunk), so gRPC and ssh2
// would load at start again.
const DockerClass = createRequire(import.meta.url)('dockerode') as typeof Docker;

/** A client for the engine DOCKER_HOST names, else the local socket (dockerode's defaults). */
export function createDockerClient(options?: Docker.DockerOptions): DockerClient {
  return new DockerClass(options);
}
