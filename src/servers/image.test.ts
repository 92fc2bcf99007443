import { describe, expect, it } from 'vitest';
import { parseRequestedImage, resolveImage } from './image.js';

const config = {
  spawner: {
    image: 'default/image:1',
    images: { lab: { image: 'lab/image:2', description: '' }, r: { image: 'r/image:3', description: '' } },
  },
  users: { pinned: { image: 'r' } },
} as unknown as Parameters<typeof resolveImage>[0];
const user = (name: string, adminImage: string | null = null, userImage: string | null = null) => ({ name, adminImage, userImage });

describe('resolveImage', () => {
  it('prefers the hub.yaml pin over the admin choice and the user pick', () => {
    expect(resolveImage(config, user('pinned', 'lab', 'lab'), 'lab')).toEqual({ label: 'r', image: 'r/image:3', source: 'file' });
  });

  it("prefers the admin's choice over the user's pick", () => {
    expect(resolveImage(config, user('alice', 'r', 'lab'), 'lab')).toEqual({ label: 'r', image: 'r/image:3', source: 'admin' });
  });

  it("uses the requested label, then the user's stored pick, then spawner.image", () => {
    expect(resolveImage(config, user('alice', null, 'r'), 'lab')).toMatchObject({ label: 'lab', source: 'user' });
    expect(resolveImage(config, user('alice', null, 'r'))).toMatchObject({ label: 'r', source: 'user' });
    expect(resolveImage(config, user('alice'))).toEqual({ label: null, image: 'default/image:1', source: 'default' });
  });

  it('ignores stored labels that have left the catalog instead of starting them', () => {
    expect(resolveImage(config, user('alice', 'gone', 'gone-too'))).toMatchObject({ label: null, source: 'default' });
  });

  it('ignores names inherited from Object.prototype as labels', () => {
    expect(resolveImage(config, user('alice', 'constructor', 'toString'), '__proto__')).toEqual({ label: null, image: 'default/image:1', source: 'default' });
  });

  it('labels spawner.image with the catalog entry that has the same image, as the API shows it', () => {
    const withDefault = { ...config, spawner: { ...config.spawner, image: 'r/image:3' } };
    expect(resolveImage(withDefault, user('alice'))).toEqual({ label: 'r', image: 'r/image:3', source: 'default' });
  });
});

describe('parseRequestedImage', () => {
  it('accepts a catalog label and no request at all', () => {
    expect(parseRequestedImage(config, { image: 'lab' })).toBe('lab');
    expect(parseRequestedImage(config, {})).toBeUndefined();
  });

  it.each([['raw image name', 'lab/image:2'], ['default image', 'default/image:1'], ['unknown label', 'nope'], ['prototype key', 'constructor'], ['non-string', 42]])(
    'refuses a %s with 400 naming the labels',
    (_what, image) => {
      expect(() => parseRequestedImage(config, { image })).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining('"lab", "r"') }));
    },
  );
});
