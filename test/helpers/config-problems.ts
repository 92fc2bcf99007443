// What `berth check` would print for a hub.yaml text: the problems of the ConfigError parseConfig throws.
import { ConfigError, parseConfig } from '../../src/config/load.js';

/** A hub.yaml preamble that names an admin, so a test's text is judged on its own keys. */
export const ADMIN = 'auth:\n  admin_users: [alice]\n';

/** The problems found in `text` (read as /srv/berth/hub.yaml); fails the test when the text is accepted. */
export function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, '/srv/berth/hub.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the config to be refused');
}
