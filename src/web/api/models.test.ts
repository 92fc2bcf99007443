import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { serverView } from '../../servers/server-list.js';
import { serverModel } from './models.js';

const configOf = (yaml: string) => parseConfig(`auth: {admin_users: [admin]}\n${yaml}`, '/tmp/hub.yaml', {});

describe("serverModel (JupyterHub 5's server model)", () => {
  it('carries full_name, and null full URLs when the public origin is not configured', () => {
    const config = configOf('hub: {bind: "127.0.0.1:8000"}');
    expect(serverModel(config, 'alice', serverView(config, 'alice', null))).toMatchObject({
      name: '', full_name: 'alice/', url: '/user/alice/', progress_url: '/hub/api/users/alice/server/progress', full_url: null, full_progress_url: null,
    });
  });

  it('makes full_url and full_progress_url absolute on hub.public_url, base_url included', () => {
    const config = configOf('hub: {public_url: "https://hub.example.org/j/", base_url: /j/}');
    expect(serverModel(config, 'a@b', serverView(config, 'a@b', null))).toMatchObject({
      url: '/j/user/a@b/',
      full_url: 'https://hub.example.org/j/user/a@b/',
      full_progress_url: 'https://hub.example.org/j/hub/api/users/a@b/server/progress',
    });
  });

  it("keeps the user's own host for full_url with hub.subdomain_host, and the hub's for full_progress_url", () => {
    const config = configOf('hub: {subdomain_host: "https://hub.example.org"}');
    const model = serverModel(config, 'alice', serverView(config, 'alice', null));
    expect(model.full_url).toBe(model.url);
    expect(model.full_url).toMatch(/^https:\/\/[a-z0-9-]+\.hub\.example\.org\/user\/alice\/$/);
    expect(model.full_progress_url).toBe('https://hub.example.org/hub/api/users/alice/server/progress');
  });
});
