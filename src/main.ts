#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 --optimize-for-size
// Process entry: `berth [--config PATH]` runs the hub; `berth check` validates hub.yaml; `berth health` asks a
// running hub; `berth backup DEST` / `berth restore SRC` copy its state; `berth adopt` takes over or removes
// containers other hubs left on the network (adopt-command.ts). Loads the config and the secrets (once, here at the
// edge), builds the hub, starts it, and stops it cleanly on SIGTERM/SIGINT; SIGHUP reloads the config.
// The rest of the hub is imported where a command needs it: see bootProxyThread below.
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { HubConfig } from './config/load.js';
import { bootProxyThread } from './proxy/thread.js';

const HELP = `Usage:
  berth [--config PATH]         run the hub in the foreground
  berth check [--config PATH]   validate the config file; exit 0 when valid, 1 with every problem listed
  berth adopt [--config PATH] [--remove] (--all | NAME...)
                                make containers another hub left on the network this hub's servers (running as
                                they are), or remove them with --remove (volumes are kept); the hub lists them at start
  berth health [--config PATH]  exit 0 when the hub this config describes answers /hub/health with 200
  berth backup DEST             copy the database and cookie secret into the directory DEST (0600), while the hub runs
  berth restore SRC             put a backup in place of the hub's state; refuses while the hub runs
  berth --help                  show this help

Options:
  -c, --config PATH   the hub config file (default: $BERTH_CONFIG, else ./hub.yaml)

The hub stops on SIGTERM or SIGINT and leaves users' containers running; the next start adopts them.
It applies edits of the config file as they are saved, and reads it again on SIGHUP.
`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' },
        remove: { type: 'boolean' }, all: { type: 'boolean' },
      },
    });
  } catch (err) {
    process.stderr.write(`berth: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const command = positionals[0] ?? 'run';
  const adoptFlags = values.remove || values.all;
  if (adoptFlags && command !== 'adopt') {
    process.stderr.write(`berth: --remove and --all go with berth adopt\n\n${HELP}`);
    return 2;
  }
  // How many words each command takes, its name included (`berth` alone is `berth run`); adopt takes any number.
  const words: Record<string, number | null> = { run: 1, check: 1, health: 1, backup: 2, restore: 2, adopt: null };
  if (!Object.hasOwn(words, command)) {
    process.stderr.write(`berth: unknown command "${command}"\n\n${HELP}`);
    return 2;
  }
  const wanted = words[command];
  if (wanted !== null && positionals.length > 0 && positionals.length !== wanted) {
    process.stderr.write(`berth: \`berth ${command}\` takes ${wanted === 2 ? 'one directory' : 'no argument'}, not "${positionals.slice(1).join(' ') || 'nothing'}"\n\n${HELP}`);
    return 2;
  }
  const file = values.config ?? process.env.BERTH_CONFIG ?? 'hub.yaml';

  // `berth run` starts its first proxy thread before it loads the hub: the thread loads its modules on another core
  // while this thread loads the hub's, the larger part of a cold start.
  const booted = command === 'run' ? bootProxyThread() : undefined;
  const { ConfigError, loadConfig } = await import('./config/load.js');
  let config;
  try {
    config = loadConfig(file);
  } catch (err) {
    await booted?.worker.terminate();
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`berth: ${err.problems.length} problem(s) in ${err.file}:\n${err.problems.map((p) => `  ${p}\n`).join('')}`);
    return 1;
  }
  if (command === 'adopt') {
    const request = { names: positionals.slice(1), all: values.all ?? false, remove: values.remove ?? false };
    const { runAdopt } = await import('./adopt-command.js');
    return runAdopt(config, request, { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) });
  }
  if (command === 'check') {
    const { adminNotice, admissionWarnings } = await import('./config/policy.js');
    for (const warning of [adminNotice(config) ?? [], admissionWarnings(config)].flat()) process.stderr.write(`berth: warning: ${warning}\n`);
    process.stdout.write(`${config.file} is valid\n`);
    return 0;
  }
  if (command === 'health') {
    const { probeHub } = await import('./health-probe.js');
    const probe = await probeHub(config);
    if (probe.running && probe.healthy) return 0;
    process.stderr.write(`berth: ${probe.running ? `the hub answers /hub/health with ${probe.status}` : `no hub answers (${probe.why})`}\n`);
    return 1;
  }
  if (command === 'backup') return backup(config, positionals[1]);
  if (command === 'restore') return restore(config, positionals[1]);

  const [{ createHub }, { loadSecrets }] = await Promise.all([import('./hub.js'), import('./config/secrets.js')]);
  let hub;
  try {
    hub = createHub(config, loadSecrets(config, process.env), booted && { bootedProxy: booted });
    // As nginx does: SIGHUP reads the config again (the hub also notices edits of the file itself).
    const built = hub;
    process.on('SIGHUP', () => void built.reloadConfig('SIGHUP'));
    await hub.start();
  } catch (err) {
    process.stderr.write(`berth: cannot start: ${(err as Error).message}\n`);
    await hub?.stop().catch(() => undefined);
    await booted?.worker.terminate();
    return 1;
  }
  const failure = await new Promise<Error | null>((resolve) => {
    const shutdown = (signal: string) => {
      hub.logger.info({ signal }, 'shutting down');
      resolve(null);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    // POST /hub/api/shutdown stops the hub from inside; the process then exits like on SIGTERM. So does a hub
    // that lost its proxy thread, but with status 1 so that compose (restart: unless-stopped) starts it again.
    void hub.closed.then(resolve);
  });
  await hub.stop();
  if (failure !== null) {
    process.stderr.write(`berth: ${failure.message}\n`);
    return 1;
  }
  return 0;
}

async function backup(config: HubConfig, dest: string): Promise<number> {
  const { BackupError, backupHubState } = await import('./db/backup.js');
  try {
    const { files } = await backupHubState(config.dataDir, path.resolve(dest));
    process.stdout.write(`berth: backed up ${files.join(', ')}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof BackupError)) throw err;
    process.stderr.write(`berth: backup failed: ${err.message}\n`);
    return 1;
  }
}

async function restore(config: HubConfig, src: string): Promise<number> {
  const [{ BackupError, restoreHubState }, { probeHub }] = await Promise.all([import('./db/backup.js'), import('./health-probe.js')]);
  const probe = await probeHub(config);
  if (probe.running) {
    process.stderr.write(`berth: the hub is running (it answers ${config.hub.bind}): stop it first (\`docker compose stop hub\`), then restore, then start it\n`);
    return 1;
  }
  try {
    const { restored, keptAside } = restoreHubState(path.resolve(src), config.dataDir);
    process.stdout.write(`berth: restored ${restored.join(', ')}${keptAside.length > 0 ? `; the replaced files are kept as ${keptAside.join(', ')}` : ''}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof BackupError)) throw err;
    process.stderr.write(`berth: restore failed: ${err.message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`berth: unexpected error: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
