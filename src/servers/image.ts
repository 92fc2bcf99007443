// Which image a user's server starts from. Precedence: the hub.yaml pin > the admin's choice > the user's own pick
// > spawner.image. Only catalog labels (or the default) can ever start (JupyterHub advisory GHSA-hfgr-h3vc-p6c2).
import type { Config } from '../config/schema.js';
import type { User } from '../db/schema.js';
import { HttpError } from '../errors.js';

export interface ImageChoice {
  /** Catalog label; null = spawner.image. */
  label: string | null;
  image: string;
  source: 'file' | 'admin' | 'user' | 'default';
}

/** The label a start request asks for, checked against the catalog; undefined when the request names none. */
export function parseRequestedImage(config: Pick<Config, 'spawner'>, userOptions: Record<string, unknown>): string | undefined {
  const requested = userOptions.image;
  if (requested === undefined || requested === null || requested === '') return undefined;
  const labels = Object.keys(config.spawner.images);
  if (typeof requested !== 'string' || !Object.hasOwn(config.spawner.images, requested)) {
    throw new HttpError(
      400,
      `Image ${JSON.stringify(requested)} is not in the catalog: user_options.image must be one of the labels ` +
        `${labels.length > 0 ? labels.map((l) => JSON.stringify(l)).join(', ') : '(none: this hub offers only its default image)'}`,
    );
  }
  return requested;
}

export function resolveImage(
  config: Pick<Config, 'spawner' | 'users'>,
  user: Pick<User, 'name' | 'adminImage' | 'userImage'>,
  requested?: string,
): ImageChoice {
  const inCatalog = (label: string | null | undefined): label is string =>
    typeof label === 'string' && Object.hasOwn(config.spawner.images, label);
  const pick = (label: string, source: ImageChoice['source']): ImageChoice => ({
    label,
    image: config.spawner.images[label].image,
    source,
  });
  const pin = Object.hasOwn(config.users, user.name) ? config.users[user.name].image : undefined;
  if (inCatalog(pin)) return pick(pin, 'file');
  // A stored choice whose label has since left the catalog is ignored rather than started.
  if (inCatalog(user.adminImage)) return pick(user.adminImage, 'admin');
  if (inCatalog(requested)) return pick(requested, 'user');
  if (inCatalog(user.userImage)) return pick(user.userImage, 'user');
  return { label: null, image: config.spawner.image, source: 'default' };
}
