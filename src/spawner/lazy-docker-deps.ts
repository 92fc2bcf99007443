// dockerode requires gRPC and protobuf (for BuildKit sessions: image builds) and docker-modem requires ssh2 (for
// DOCKER_HOST=ssh://…) when they load: 4 MB of the hub's heap for paths it takes rarely (ssh) or never (builds).
// Evaluated before dockerode is required (docker-client.ts), this makes exactly those requires lazy: each returns a stand-in
// that loads the real module the first time it is used, so an ssh:// engine works as before.
import Module from 'node:module';

/** The requires made lazy: the requiring file (under node_modules) → the specifiers it requires. */
const LAZY_REQUIRES: Record<string, readonly string[]> = {
  'dockerode/lib/session.js': ['@grpc/grpc-js', '@grpc/proto-loader'],
  'docker-modem/lib/modem.js': ['./ssh'],
};

type Load = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Load };
const load = loader._load;

function isLazy(request: string, parent: { filename?: string } | undefined): boolean {
  const file = parent?.filename?.replaceAll('\\', '/') ?? '';
  return Object.entries(LAZY_REQUIRES).some(([from, requests]) => file.endsWith(`/node_modules/${from}`) && requests.includes(request));
}

loader._load = function lazyDockerDeps(this: unknown, request, parent, isMain) {
  if (!isLazy(request, parent)) return load.call(this, request, parent, isMain);
  let real: unknown;
  const module = () => (real ??= load.call(this, request, parent, isMain)) as ((...args: unknown[]) => unknown) & Record<PropertyKey, unknown>;
  // A function target, so the stand-in can be called (docker-modem's ssh agent) as well as read (grpc.Server).
  return new Proxy(function lazyModule() {}, {
    get: (_, key) => module()[key],
    has: (_, key) => key in module(),
    apply: (_, self, args) => module().apply(self, args),
    construct: (_, args) => new (module() as unknown as new (...a: unknown[]) => object)(...args),
  });
};
