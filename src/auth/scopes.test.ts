import { describe, expect, it } from 'vitest';
import { expandScopes, holds, intersectScopes, invalidScopes, roleScopes, scopeFilter, tokenScopes } from './scopes.js';

describe('scopes', () => {
  it('expands self to the user\'s own scopes with the user filter bound', () => {
    const scopes = expandScopes(['self'], { user: 'alice' });
    expect(scopes).toContain('servers!user=alice');
    expect(scopes).toContain('delete:servers!user=alice');
    expect(scopes).toContain('read:users:name!user=alice');
    expect(scopes).toContain('access:servers!user=alice');
    expect(scopes.every((s) => s.endsWith('!user=alice'))).toBe(true);
  });

  it('adds subscopes with the parent filter and drops read:users* under a server filter', () => {
    expect(expandScopes(['admin:users'])).toEqual(expect.arrayContaining(['users', 'read:users', 'list:users', 'read:users:name', 'delete:users', 'admin:auth_state']));
    expect(expandScopes(['read:servers!server=alice/'])).toEqual(['read:servers!server=alice/']);
    expect(expandScopes(['read:servers!user=alice'])).toEqual(['read:servers!user=alice', 'read:users:name!user=alice']);
  });

  it('binds bare filters to the owner', () => {
    expect(expandScopes(roleScopes('server'), { user: 'bob', server: '' })).toEqual([
      'access:servers!server=bob/', 'read:users:activity!user=bob', 'users:activity!user=bob',
    ]);
  });

  it('resolves group filters to their members', () => {
    const scopes = expandScopes(['access:servers!group=team'], { groupMembers: (g) => (g === 'team' ? ['carol', 'dan'] : []) });
    expect(scopes).toEqual(['access:servers!group=team', 'access:servers!user=carol', 'access:servers!user=dan']);
  });

  it('lets an unfiltered scope absorb its filtered copies', () => {
    expect(expandScopes(['read:hub', 'read:hub!user=x'])).toEqual(['read:hub']);
  });

  it('intersects to the narrower filter on each side', () => {
    expect(intersectScopes(['access:servers!server=alice/'], ['access:servers!user=alice'])).toEqual(['access:servers!server=alice/']);
    expect(intersectScopes(['access:servers!server=alice/'], ['access:servers!user=bob'])).toEqual([]);
    expect(intersectScopes(['servers'], ['servers!user=alice', 'read:hub'])).toEqual(['servers!user=alice']);
    expect(intersectScopes(['read:hub'], ['servers'])).toEqual([]);
  });

  it('never lets a token exceed its owner; inherit is the owner', () => {
    const owner = expandScopes(['self'], { user: 'alice' });
    const granted = tokenScopes(['admin:users', 'read:servers!user=alice'], owner, { user: 'alice' });
    expect(granted).toContain('read:servers!user=alice');
    expect(granted).toContain('read:users!user=alice');
    expect(granted.filter((s) => !s.endsWith('!user=alice'))).toEqual([]);
    expect(granted.some((s) => s.startsWith('admin:users') || s.startsWith('delete:users'))).toBe(false);
    expect(tokenScopes(['inherit'], owner, { user: 'alice' })).toEqual(owner);
  });

  it('tells held, held-for-others and not held apart', () => {
    const scopes = ['servers!user=alice', 'read:hub'];
    expect(holds(scopes, 'servers', { user: 'alice' })).toBe('yes');
    expect(holds(scopes, 'servers', { server: 'alice/' })).toBe('yes');
    expect(holds(scopes, 'servers', { user: 'bob' })).toBe('other');
    expect(holds(scopes, 'admin:users', { user: 'alice' })).toBe('no');
    expect(holds(scopes, 'read:hub')).toBe('yes');
    const filter = scopeFilter(scopes, 'servers');
    expect(typeof filter === 'function' && filter({ user: 'alice' }) && !filter({ user: 'bob' })).toBe(true);
    expect(scopeFilter(scopes, 'read:hub')).toBe('all');
  });

  it('gives admins access:servers only with admin_access', () => {
    expect(roleScopes('admin')).not.toContain('access:servers');
    expect(roleScopes('admin', { adminAccess: true })).toContain('access:servers');
  });

  it('names malformed and unknown scopes', () => {
    expect(invalidScopes(['read:users', 'self', 'nope', 'servers!colour=red', 'custom:x', 'servers!server=alice'])).toEqual(['nope', 'servers!colour=red', 'servers!server=alice']);
  });
});
