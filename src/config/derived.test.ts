import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';

const parse = (hub: string) => parseConfig(`auth:\n  admin_users: [alice]\nhub:\n${hub}`, '/srv/berth/hub.yaml', {});

describe('values derived from hub.yaml once', () => {
  it('gives every prefix under base_url, and a public URL from bind when none is configured', () => {
    const config = parse('  base_url: /jh/\n  bind: 0.0.0.0:8000\n');
    expect(config.urls).toEqual({
      base: '/jh/', hub: '/jh/hub/', api: '/jh/hub/api', user: '/jh/user/',
      public: 'http://localhost:8000', configuredOrigin: '', subdomainHost: null,
    });
    expect(config.cookie).toEqual({ secure: false, httpOnly: true, sameSite: 'Lax' });
  });

  it('marks cookies Secure behind an https public_url, whose origin containers are told', () => {
    const config = parse('  public_url: https://hub.example.org/\n');
    expect(config.urls).toMatchObject({ public: 'https://hub.example.org', configuredOrigin: 'https://hub.example.org' });
    expect(config.cookie.secure).toBe(true);
  });

  it('parses subdomain_host once: scheme, lower-case host name and port', () => {
    const config = parse('  subdomain_host: http://Hub.Test:8000\n');
    expect(config.urls.subdomainHost).toEqual({ origin: 'http://hub.test:8000', protocol: 'http:', hostname: 'hub.test', portSuffix: ':8000' });
    expect(config.urls.public).toBe('http://Hub.Test:8000');
  });
});
