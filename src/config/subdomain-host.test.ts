import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { ADMIN, problems } from '../../test/helpers/config-problems.js';


describe('hub.subdomain_host', () => {
  it('is where the hub is served when public_url is not set', () => {
    const config = parseConfig(`${ADMIN}hub:\n  subdomain_host: https://hub.example.org/\n`, '/srv/berth/hub.yaml', {});
    expect(config.hub.subdomain_host).toBe('https://hub.example.org/');
    expect(config.urls.public).toBe('https://hub.example.org');
  });

  it('refuses a value with a path, or that is not a URL', () => {
    expect(problems(`${ADMIN}hub:\n  subdomain_host: https://hub.example.org/jupyter/\n`)).toEqual([
      'hub.yaml:4:19 hub.subdomain_host: must be a scheme, host and optional port with no path (e.g. https://hub.example.org or http://hub.test:8000)',
    ]);
    expect(problems(`${ADMIN}hub:\n  subdomain_host: hub.example.org\n`)).toEqual([
      'hub.yaml:4:19 hub.subdomain_host: is not an http(s) URL (e.g. https://hub.example.org)',
    ]);
  });

  it('refuses an IP address, which has no subdomains for users', () => {
    expect(problems(`${ADMIN}hub:\n  subdomain_host: http://127.0.0.1:8000\n`)).toEqual([
      'hub.yaml:4:19 hub.subdomain_host: must name the hub by a DNS name, not an IP address: users are served at <user>.<that name> (e.g. https://hub.example.org)',
    ]);
    expect(problems(`${ADMIN}hub:\n  subdomain_host: http://[::1]:8000\n`)).toHaveLength(1);
  });

  it('refuses a public_url on another origin, since the hub is served only on subdomain_host', () => {
    expect(problems(`${ADMIN}hub:\n  subdomain_host: https://hub.example.org\n  public_url: https://other.example.org\n`)).toEqual([
      'hub.yaml:5:15 hub.public_url: must be on the subdomain_host origin (https://hub.example.org), where the hub is served; leave it out to use subdomain_host',
    ]);
  });
});
