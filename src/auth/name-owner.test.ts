import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { nameOwnedElsewhere } from './name-owner.js';

const auth = (allowShared: boolean) => configSchema.parse({ auth: { allow_all: true, allow_shared_names: allowShared } }).auth;

describe('who owns a name', () => {
  it('lets any method claim a new or unbound name, and the owner sign in again', () => {
    expect(nameOwnedElsewhere(null, 'pam', auth(false))).toBeNull();
    expect(nameOwnedElsewhere({ name: 'alice', authenticator: null }, 'github', auth(false))).toBeNull();
    expect(nameOwnedElsewhere({ name: 'alice', authenticator: 'github' }, 'github', auth(false))).toBeNull();
  });

  it('refuses the other method, saying which method owns the name and what to do', () => {
    expect(nameOwnedElsewhere({ name: 'alice', authenticator: 'github' }, 'pam', auth(false))).toBe(
      'alice is already a GitHub user on this hub: sign in with GitHub, or ask an administrator to delete the hub user alice ' +
        'if this host account should have the name (auth.allow_shared_names: true lets all sign-in methods share names).',
    );
    expect(nameOwnedElsewhere({ name: 'bob', authenticator: 'pam' }, 'github', auth(false))).toMatch(
      /^bob is already a user on this hub who signs in with a username and password: sign in that way, .* if this GitHub account should have the name/,
    );
  });

  it('lets every method share names with auth.allow_shared_names', () => {
    expect(nameOwnedElsewhere({ name: 'alice', authenticator: 'github' }, 'pam', auth(true))).toBeNull();
  });
});
