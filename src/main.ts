#!/usr/bin/env node
// Process entry: `berth [--config PATH]` runs the hub; `berth check [--config PATH]` validates hub.yaml; `berth adopt`
// takes over or removes containers other hubs left on the network (adopt-command.ts).
// Loads the config and the secrets (once, here at the edge), builds the hub, starts it, and stops it cleanly on SIGTERM/SIGINT;
// SIGHUP reloads the config.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.js';
import { adminNotice, admissionWarnings } from './config/policy.js';
import { loadSecrets } from './config/secrets.js';
import { createHub } from './hub.js';
import { runAdopt } from './adopt-command.js';

const HELP = `Usage:
  berth [--config PATH]         run the hub in the foreground
  berth check [--config PATH]   validate the config file; exit 0 when valid, 1 with every problem listed
  berth adopt [--config PATH] [--remove] (--all | NAME...)
                                make containers another hub left on the network this hub's servers (running as
                                they are), or remove them with --remove (volumes are kept); the hub lists them at start
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
  if (!['run', 'check', 'adopt'].includes(command) || (command !== 'adopt' && positionals.length > 1)) {
    process.stderr.write(`berth: unknown command "${positionals.join(' ')}"\n\n${HELP}`);
    return 2;
  }
  const file = values.config ?? process.env.BERTH_CONFIG ?? 'hub.yaml';

  let config;
  try {
    config = loadConfig(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`berth: ${err.problems.length} problem(s) in ${err.file}:\n${err.problems.map((p) => `  ${p}\n`).join('')}`);
    return 1;
  }
  if (command === 'adopt') {
    const request = { names: positionals.slice(1), all: values.all ?? false, remove: values.remove ?? false };
    return runAdopt(config, request, { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) });
  }
  if (command === 'check') {
    for (const warning of [adminNotice(config) ?? [], admissionWarnings(config)].flat()) process.stderr.write(`berth: warning: ${warning}\n`);
    process.stdout.write(`${config.file} is valid\n`);
    return 0;
  }

  let hub;
  try {
    hub = createHub(config, loadSecrets(config, process.env));
    // As nginx does: SIGHUP reads the config again (the hub also notices edits of the file itself).
    const built = hub;
    process.on('SIGHUP', () => void built.reloadConfig('SIGHUP'));
    await hub.start();
  } catch (err) {
    process.stderr.write(`berth: cannot start: ${(err as Error).message}\n`);
    await hub?.stop().catch(() => undefined);
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`berth: unexpected error: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
