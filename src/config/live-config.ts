// The one owner of the running config. Parts of the hub are given `view`, which reads the current config on every
// property access, so a key they read when they use it (not when they are built) is live with no wiring. reload()
// reads hub.yaml again: an invalid file is refused and logged with its file:line:col problems (the running config
// stays, and problem() says why for the admin page); a valid one is written to the database (sync) and switched to,
// each changed key logged, restart-only keys (config/restart-only.ts) kept at their running value and reported.
import type { Logger } from '../log.js';
import { changedKeys } from './changed-keys.js';
import { ConfigError, withDerived, type HubConfig } from './load.js';
import { admissionWarnings } from './policy.js';
import { keepRestartOnly, RESTART_ONLY } from './restart-only.js';
import type { Config } from './schema.js';

/** Why the last reload was refused; cleared by the next one that succeeds. */
export interface ConfigReloadProblem {
  readonly file: string;
  /** `hub.yaml:12:5 auth.allowed_users.0: …`, as `berth check` prints them. */
  readonly problems: readonly string[];
  readonly at: Date;
}

export type ReloadOutcome =
  | { readonly status: 'applied'; readonly changed: string[]; readonly deferred: string[] }
  | { readonly status: 'unchanged'; readonly deferred: string[] }
  | { readonly status: 'refused'; readonly problems: string[] };

export interface LiveConfig {
  /** Reads through to the current config at each access; never keep a part of it across a reload. */
  readonly view: HubConfig;
  current(): HubConfig;
  /** Reads the file again and applies it (see the module header); `reason` is logged (`SIGHUP`, `file changed`). */
  reload(reason: string): ReloadOutcome;
  /** The last refused reload, or null once the file was applied. */
  problem(): ConfigReloadProblem | null;
  /** Called after each applied reload, with the keys that changed (for parts that act on a change, e.g. timers). */
  onChange(listener: (next: HubConfig, changed: readonly string[]) => void): void;
}

export interface LiveConfigDeps {
  initial: HubConfig;
  /** Reads and validates hub.yaml (throws ConfigError). */
  load(): HubConfig;
  /** Brings the database in line with a new config, atomically; throwing refuses the reload. */
  sync(next: HubConfig): void;
  logger: Logger;
}

export function createLiveConfig(deps: LiveConfigDeps): LiveConfig {
  const { logger } = deps;
  let current = deps.initial;
  let problem: ConfigReloadProblem | null = null;
  const listeners: ((next: HubConfig, changed: readonly string[]) => void)[] = [];

  function refuse(problems: string[]): ReloadOutcome {
    problem = { file: current.file, problems, at: new Date() };
    logger.error({ file: current.file, problems },
      `${current.file} was not applied; the hub keeps running with its config as it was. ${problems.length} problem(s): ${problems.join('; ')}`);
    return { status: 'refused', problems };
  }

  return {
    view: liveView(() => current),
    current: () => current,
    problem: () => problem,
    onChange: (listener) => void listeners.push(listener),
    reload(reason) {
      let loaded: HubConfig;
      try {
        loaded = deps.load();
      } catch (err) {
        return refuse(err instanceof ConfigError ? err.problems : [String((err as Error).message)]);
      }
      const { config, deferred } = keepRestartOnly(plainConfig(loaded), plainConfig(current));
      for (const key of deferred) {
        logger.warn({ key, reason, because: RESTART_ONLY[key] }, `${key} changed in ${current.file}: takes effect after restart (the hub keeps running with the value it started with)`);
      }
      const next = withDerived(config, current.file);
      const changed = changedKeys(plainConfig(current), config);
      problem = null;
      if (changed.length === 0) {
        logger.info({ reason, file: current.file }, 'hub.yaml read again: nothing to apply');
        return { status: 'unchanged', deferred };
      }
      try {
        deps.sync(next);
      } catch (err) {
        return refuse([(err as Error).message]);
      }
      current = next;
      for (const key of changed) logger.info({ key, reason }, `${key} changed in ${current.file}: applied`);
      for (const warning of admissionWarnings(current)) logger.warn(warning);
      for (const listener of listeners) {
        try {
          listener(current, changed);
        } catch (err) {
          logger.error({ err }, 'a part of the hub failed to take on the new config');
        }
      }
      return { status: 'applied', changed, deferred };
    },
  };
}

/** The keys hub.yaml holds, without what load.ts derives from them (paths, URLs, cookie attributes). */
function plainConfig(config: HubConfig): Config {
  const { file: _file, dataDir: _dataDir, logoFile: _logoFile, urls: _urls, cookie: _cookie, ...keys } = config;
  return keys;
}

/**
 * A HubConfig whose every read goes to the current one. The proxy's target is an empty object (the configs are
 * frozen, and a proxy of a frozen object must answer with that object's own values).
 */
function liveView(current: () => HubConfig): HubConfig {
  return new Proxy({} as HubConfig, {
    get: (_target, key) => Reflect.get(current(), key),
    has: (_target, key) => Reflect.has(current(), key),
    ownKeys: () => Reflect.ownKeys(current()),
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(current(), key);
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}
