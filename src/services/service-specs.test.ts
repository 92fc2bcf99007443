import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, parseConfig } from '../config/load.js';
import { servicesForMenu } from './menu.js';
import { serviceEnvironment } from './service-env.js';
import { findService, serviceSpecs } from './service-specs.js';

const file = '/srv/berth/hub.yaml';
const parse = (services: unknown[], hub: Record<string, unknown> = {}) =>
  parseConfig(stringify({ hub, auth: { admin_users: ['alice'] }, services }), file, {});

/** The problems `berth check` prints for this hub.yaml text (services at line 4 on). */
function problems(text: string): string[] {
  try {
    parseConfig(`auth:\n  admin_users: [alice]\nservices:\n${text}`, file, {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('hub.yaml services with a url and OAuth', () => {
  it('derives JupyterHub\'s defaults: prefix, client id service-<name>, callback under the prefix, access scope', () => {
    const config = parse([{ name: 'grader', url: 'http://10.0.0.5:10101/', api_token: 'grader-token-123', info: { description: 'Grades' } }], { base_url: '/jh/' });
    expect(findService(config, 'grader')).toEqual({
      name: 'grader', admin: false, prefix: '/jh/services/grader/', host: '', url: 'http://10.0.0.5:10101/', target: 'http://10.0.0.5:10101',
      oauth: {
        clientId: 'service-grader', redirectUri: '/jh/services/grader/oauth_callback', secret: 'grader-token-123', noConfirm: false,
        allowedScopes: [], accessScope: 'access:services!service=grader',
      },
      display: true, info: { description: 'Grades' },
    });
  });

  it('takes explicit OAuth settings, and oauth_roles only when no scopes are given', () => {
    const [a, b] = serviceSpecs(parse([
      { name: 'a', api_token: 'a-token-1234', oauth_client_id: 'service-dash', oauth_redirect_uri: 'https://dash.example.org/cb', oauth_no_confirm: true, oauth_roles: ['user'] },
      { name: 'b', api_token: 'b-token-1234', url: 'http://b:80', oauth_client_allowed_scopes: ['read:users!group=class-a'], oauth_roles: ['admin'] },
    ]));
    expect(a!.oauth).toMatchObject({ clientId: 'service-dash', redirectUri: 'https://dash.example.org/cb', noConfirm: true, allowedScopes: ['self'] });
    expect(a!.target).toBeNull();
    expect(b!.oauth!.allowedScopes).toEqual(['read:users!group=class-a']);
  });

  it('gives a service its own host under subdomain_host (JupyterHub 5: <name>--service.<host>), with an absolute callback', () => {
    const grader = findService(parse([{ name: 'grader', url: 'http://10.0.0.5:10101', api_token: 'grader-token-123' }], { subdomain_host: 'https://hub.example.org' }), 'grader')!;
    expect(grader.host).toBe('https://grader--service.hub.example.org');
    expect(grader.oauth!.redirectUri).toBe('https://grader--service.hub.example.org/services/grader/oauth_callback');
  });

  it('proxies a service with a url but no api_token, without an OAuth client; a token alone makes neither', () => {
    const [open, tokenOnly] = serviceSpecs(parse([{ name: 'status', url: 'http://10.0.0.9:8000' }, { name: 'culler', api_token: 'culler-token-1' }]));
    expect(open).toMatchObject({ target: 'http://10.0.0.9:8000', oauth: null, prefix: '/services/status/' });
    expect(tokenOnly).toMatchObject({ target: null, oauth: null, url: null });
  });

  it('lists in the Services menu only displayed services that have a url', () => {
    const config = parse([
      { name: 'grader', url: 'http://10.0.0.5:10101', info: { description: 'Grades', version: 2 } },
      { name: 'hidden', url: 'http://10.0.0.6:80', display: false },
      { name: 'culler', api_token: 'culler-token-1' },
    ]);
    expect(servicesForMenu(config)).toEqual([{ name: 'grader', url: '/services/grader/', info: { description: 'Grades', version: 2 } }]);
    expect(servicesForMenu(parse([]))).toEqual([]);
  });
});

describe('hub.yaml services refused at load, with file, line and key', () => {
  it('refuses a url that is not http, or that has a path', () => {
    expect(problems('  - name: a\n    url: ftp://10.0.0.5/\n  - name: b\n    url: http://10.0.0.5:80/app\n  - name: c\n    url: https://10.0.0.5\n')).toEqual([
      'hub.yaml:5:10 services.0.url: is not an http(s) URL (e.g. https://hub.example.org)',
      'hub.yaml:7:10 services.1.url: must be a scheme, host and port with no path, user or query (e.g. http://10.0.0.5:10101): the service is reached at <base_url>services/<name>/ and serves that path itself',
      'hub.yaml:9:10 services.2.url: must be an http:// URL: the proxy reaches services in plain HTTP, as it reaches users\' servers (end TLS in front of the hub)',
    ]);
  });

  it('refuses two services with one OAuth client id, and a client id outside service-', () => {
    expect(problems('  - name: a\n    url: http://a:80\n    api_token: a-token-1234\n  - name: b\n    api_token: b-token-1234\n    url: http://b:80\n    oauth_client_id: service-a\n  - name: c\n    url: http://c:80\n    api_token: c-token-1234\n    oauth_client_id: jupyterhub-user-alice\n')).toEqual([
      'hub.yaml:14:22 services.2.oauth_client_id: must start with "service-" and hold only URL-safe characters (JupyterHub\'s rule for service clients)',
      'hub.yaml:10:22 services.1.oauth_client_id: "service-a" is already the OAuth client id of service "a"; each service needs its own',
    ]);
  });

  it('refuses OAuth without a callback or without an api_token, and a callback path outside the service\'s prefix', () => {
    expect(problems('  - name: a\n    api_token: a-token-1234\n    oauth_no_confirm: true\n  - name: b\n    url: http://b:80\n    oauth_client_allowed_scopes: [read:users]\n  - name: c\n    url: http://c:80\n    api_token: c-token-1234\n    oauth_redirect_uri: /user/mallory/oauth_callback\n')).toEqual([
      'hub.yaml:6:23 services.0.oauth_no_confirm: configures OAuth for service "a", which has no url: set oauth_redirect_uri (where the hub sends users back), or url',
      'hub.yaml:9:34 services.1.oauth_client_allowed_scopes: configures OAuth for service "b", which has no api_token: set one (e.g. ${GRADER_TOKEN}); it is the OAuth client\'s secret and the service\'s JUPYTERHUB_API_TOKEN',
      'hub.yaml:13:25 services.2.oauth_redirect_uri: is a path outside the service\'s own prefix /services/c/: codes sent there would reach whatever serves that path; use /services/c/oauth_callback, or a full URL',
    ]);
  });

  it('refuses unknown scopes in oauth_client_allowed_scopes and auth.extra_user_scopes', () => {
    expect(problems('  - name: a\n    url: http://a:80\n    api_token: a-token-1234\n    oauth_client_allowed_scopes: [read:user]\n')).toEqual([
      'hub.yaml:7:35 services.0.oauth_client_allowed_scopes.0: "read:user" is not a known scope (did you mean "read:users"?); names come from JupyterHub\'s scope table, or custom:NAME',
    ]);
    expect(() => parseConfig('auth:\n  admin_users: [alice]\n  extra_user_scopes: [access:service]\n', file, {})).toThrow(/auth\.extra_user_scopes\.0: "access:service" is not a known scope/);
  });
});

describe('the environment a service is given', () => {
  it('holds what JupyterHub gives a managed service: API, client id, prefix, callback and access scopes', () => {
    const config = parse([{ name: 'grader', url: 'http://10.0.0.5:10101', api_token: 'grader-token-123', oauth_client_allowed_scopes: ['list:users'] }], { public_url: 'https://hub.example.org' });
    expect(serviceEnvironment(config, 'grader', 'http://10.0.0.1:8081/hub/api')).toEqual({
      JUPYTERHUB_SERVICE_NAME: 'grader',
      JUPYTERHUB_API_URL: 'http://10.0.0.1:8081/hub/api',
      JUPYTERHUB_API_TOKEN: 'grader-token-123',
      JUPYTERHUB_BASE_URL: '/',
      JUPYTERHUB_HOST: '',
      JUPYTERHUB_SERVICE_URL: 'http://10.0.0.5:10101',
      JUPYTERHUB_SERVICE_PREFIX: '/services/grader/',
      JUPYTERHUB_PUBLIC_HUB_URL: 'https://hub.example.org/hub/',
      JUPYTERHUB_PUBLIC_URL: 'https://hub.example.org/services/grader/',
      JUPYTERHUB_CLIENT_ID: 'service-grader',
      JUPYTERHUB_OAUTH_CALLBACK_URL: '/services/grader/oauth_callback',
      JUPYTERHUB_OAUTH_ACCESS_SCOPES: '["access:services!service=grader"]',
      JUPYTERHUB_OAUTH_SCOPES: '["access:services!service=grader"]',
      JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: '["list:users"]',
    });
    expect(serviceEnvironment(config, 'nope', 'http://x/hub/api')).toBeNull();
  });
});
