// hub.yaml's swarm keys: spawner.backend and spawner.images.<label>.placement, and what each backend refuses.
import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { problems } from '../../test/helpers/config-problems.js';


describe('swarm keys', () => {
  it('defaults to the docker backend and reads placement constraints on the swarm', () => {
    expect(parseConfig('{}', '/srv/berth/hub.yaml', {}).spawner.backend).toBe('docker');
    const config = parseConfig(`spawner:
  backend: swarm
  isolate_containers: false
  images:
    gpu: { image: "x/gpu:1", placement: ["node.labels.gpu==true", "node.role != manager"] }
`, '/srv/berth/hub.yaml', {});
    expect(config.spawner.backend).toBe('swarm');
    expect(config.spawner.images.gpu.placement).toEqual(['node.labels.gpu==true', 'node.role != manager']);
  });

  it('refuses placement on the docker backend, a malformed constraint, and isolation on the swarm, naming the key', () => {
    expect(problems('spawner:\n  images:\n    a: { image: x, placement: ["node.labels.gpu==true"] }\n').join('\n'))
      .toMatch(/spawner\.images\.a\.placement.*needs spawner\.backend: swarm/);
    expect(problems('spawner:\n  backend: swarm\n  isolate_containers: false\n  images:\n    a: { image: x, placement: ["gpu"] }\n').join('\n'))
      .toMatch(/spawner\.images\.a\.placement.*not a Swarm placement constraint/);
    expect(problems('spawner:\n  backend: swarm\n').join('\n')).toMatch(/spawner\.isolate_containers.*overlay network.*isolate_containers: false/);
    expect(problems('spawner:\n  backend: kubernetes\n').join('\n')).toMatch(/spawner\.backend/);
    expect(problems('spawner:\n  volume_driver: local\n').join('\n')).toMatch(/spawner\.volume_driver.*needs spawner\.backend: swarm/);
  });
});
