// The Docker client the hub talks to the engine through, made here so that dockerode stays inside src/spawner/:
// hub.ts asks for one (or is given one) without importing dockerode itself.
// First: makes dockerode's gRPC and ssh2 requires lazy before dockerode loads (see the module).
import './lazy-docker-deps.js';
import Docker from 'dockerode';

export type DockerClient = Docker;

/** A client for the engine DOCKER_HOST names, else the local socket (dockerode's defaults). */
export function createDockerClient(options?: Docker.DockerOptions): DockerClient {
  return new Docker(options);
}
