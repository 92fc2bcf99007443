import { describe, expect, it } from 'vitest';
import { assertScopeNames, expandScopes, intersectScopes, invalidScopes, parseScope, roleScopes, scopeProblem, ScopeSet, tokenScopes } from './scopes.js';

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
    const scopes = ScopeSet.of(['servers!user=alice', 'read:hub']);
    expect(scopes.holds('servers', { user: 'alice' })).toBe('yes');
    expect(scopes.holds('servers', { server: 'alice/' })).toBe('yes');
    expect(scopes.holds('servers', { user: 'bob' })).toBe('other');
    expect(scopes.holds('servers', { server: 'alicia/' })).toBe('other');
    expect(scopes.holds('servers', { server: 'alice' })).toBe('other');
    expect(scopes.holds('admin:users', { user: 'alice' })).toBe('no');
    expect(scopes.holds('read:hub')).toBe('yes');
    expect(scopes.filtersOf('servers')).toEqual([{ kind: 'user', value: 'alice' }]);
    expect(scopes.filtersOf('read:hub')).toBe('all');
    expect(scopes.filtersOf('proxy')).toEqual([]);
  });

  it('gives admins access:servers only with admin_access', () => {
    expect(roleScopes('admin')).not.toContain('access:servers');
    expect(roleScopes('admin', { adminAccess: true })).toContain('access:servers');
  });

  it('gives admins `shares` (which holds access:servers) only with admin_access, and reading and revoking shares always', () => {
    expect(roleScopes('admin')).not.toContain('shares');
    expect(roleScopes('admin')).toEqual(expect.arrayContaining(['read:shares', 'users:shares', 'groups:shares']));
    expect(roleScopes('admin', { adminAccess: true })).toContain('shares');
  });

  it('lets users share their own servers only when hub.user_sharing says so, and expands shares!user to their servers', () => {
    expect(roleScopes('user')).toEqual(['self']);
    expect(roleScopes('user', { sharing: 'off' })).toEqual(['self']);
    const scopes = ScopeSet.of(expandScopes(roleScopes('user', { sharing: 'codes' }), { user: 'alice', server: '' }));
    expect(scopes.holds('shares', { server: 'alice/work' })).toBe('yes');
    expect(scopes.holds('shares', { server: 'bob/' })).toBe('other');
    expect(scopes.holds('read:users:shares', { user: 'alice' })).toBe('yes');
    expect(scopes.holds('read:users:name', { user: 'bob' })).toBe('other');
  });

  it('names malformed and unknown scopes', () => {
    expect(invalidScopes(['read:users', 'self', 'nope', 'servers!colour=red', 'custom:x', 'servers!server=alice'])).toEqual(['nope', 'servers!colour=red', 'servers!server=alice']);
  });

  it('names the unknown part of a scope, with the nearest known name', () => {
    expect(scopeProblem('read:user')).toBe('"read:user" is not a known scope (did you mean "read:users"?); names come from JupyterHub\'s scope table, or custom:NAME');
    expect(scopeProblem('servers!colour=red')).toContain('has an invalid filter "!colour=red"');
  });

  it('refuses names inherited from Object.prototype', () => {
    expect(parseScope('constructor')).toBeNull();
    expect(invalidScopes(['toString', '__proto__!user=x'])).toEqual(['toString', '__proto__!user=x']);
  });
});

describe('ScopeSet', () => {
  it('parses each scope once into a name and its bound filters, keeping JupyterHub\'s strings as the list', () => {
    const scopes = ScopeSet.of(['read:servers!server=alice/', 'access:servers!group=team', 'access:servers!user=carol', 'read:hub']);
    expect(scopes.list).toEqual(['access:servers!group=team', 'access:servers!user=carol', 'read:hub', 'read:servers!server=alice/']);
    expect(JSON.stringify({ scopes })).toBe(JSON.stringify({ scopes: scopes.list }));
    expect(scopes.filtersOf('access:servers')).toEqual([{ kind: 'group', value: 'team' }, { kind: 'user', value: 'carol' }]);
    expect(scopes.holds('access:servers', { group: 'team' })).toBe('yes');
    expect(scopes.holds('access:servers', { server: 'carol/lab' })).toBe('yes');
    expect(scopes.holds('read:servers', { server: 'alice/' })).toBe('yes');
    expect(scopes.holds('read:servers', { server: 'alice/lab' })).toBe('other');
    expect(scopes.holds('read:servers', { user: 'alice' })).toBe('other');
  });

  it('lets an unfiltered scope cover every resource, whatever filtered copies it also holds', () => {
    const scopes = ScopeSet.of(['servers!user=alice', 'servers']);
    expect(scopes.holds('servers', { user: 'bob' })).toBe('yes');
    expect(scopes.filtersOf('servers')).toBe('all');
  });

  it('adds scopes without changing the set it came from', () => {
    const base = ScopeSet.of(['servers!user=alice']);
    const more = base.with(['read:users:name!user=alice']);
    expect(more.holds('read:users:name', { user: 'alice' })).toBe('yes');
    expect(base.holds('read:users:name', { user: 'alice' })).toBe('no');
  });

  it('holds nothing for an unbound filter, which only expansion can bind', () => {
    expect(ScopeSet.of(['servers!user']).holds('servers', { user: 'alice' })).toBe('no');
  });
});

describe('assertScopeNames', () => {
  it('accepts the table\'s names and throws on a misspelt one, naming the nearest', () => {
    expect(() => assertScopeNames(['read:users', 'admin:servers'], 'guard')).not.toThrow();
    expect(() => assertScopeNames(['read:user'], 'guard')).toThrow('guard: "read:user" is not a scope in JupyterHub\'s table (src/auth/scopes.ts); did you mean "read:users"?');
    expect(() => assertScopeNames(['servers!user'], 'guard')).toThrow(/not a scope/);
    expect(() => assertScopeNames([], 'guard')).toThrow(/at least one/);
  });
});
