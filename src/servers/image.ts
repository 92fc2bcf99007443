// Which image a user's server starts from, and what the API and pages show as the user's image: one precedence,
// the hub.yaml pin > the admin's choice > the user's own pick > spawner.image (labelled by the catalog entry with
// that image, if any). Only catalog labels (or the default) can ever start (JupyterHub advisory GHSA-hfgr-h3vc-p6c2).
import type { Config } from '../config/schema.js';
import type { User } from '../db/schema.js';
import { HttpError } from '../errors.js';

export interface ImageChoice {
  /** Catalog label; null when spawner.image is in no catalog entry. */
  label: string | null;
  image: string;
  source: 'file' | 'admin' | 'user' | 'default';
}

type Catalog = Pick<Config, 'spawner'>;

/** Whether `label` names a catalog entry. Own keys only: `constructor` or `__proto__` are no labels. */
export function isCatalogLabel(config: Catalog, label: unknown): label is string {
  return typeof label === 'string' && Object.hasOwn(config.spawner.images, label);
}

/** The catalog's labels for a message, e.g. `"lab", "r"`. */
export function describeCatalog(config: Catalog): string {
  const labels = Object.keys(config.spawner.images);
  return labels.length > 0 ? labels.map((l) => JSON.stringify(l)).join(', ') : '(none: this hub offers only its default image)';
}

/** The label a start request asks for, checked against the catalog; undefined when the request names none. */
export function parseRequestedImage(config: Catalog, userOptions: Record<string, unknown>): string | undefined {
  const requested = userOptions.image;
  if (requested === undefined || requested === null || requested === '') return undefined;
  if (!isCatalogLabel(config, requested)) {
    throw new HttpError(400, `Image ${JSON.stringify(requested)} is not in the catalog: user_options.image must be one of the labels ${describeCatalog(config)}`);
  }
  return requested;
}

/**
 * The image `user`'s next start gets, with `requested` the label a start request names. Without `requested` it is
 * what the user's model shows (`image: {label, source}`), so the API and the spawner cannot disagree.
 */
export function resolveImage(
  config: Pick<Config, 'spawner' | 'users'>,
  user: Pick<User, 'name' | 'adminImage' | 'userImage'>,
  requested?: string,
): ImageChoice {
  const pick = (label: string, source: ImageChoice['source']): ImageChoice => ({
    label,
    image: config.spawner.images[label].image,
    source,
  });
  const pin = Object.hasOwn(config.users, user.name) ? config.users[user.name].image : undefined;
  if (isCatalogLabel(config, pin)) return pick(pin, 'file');
  // A stored choice whose label has since left the catalog is ignored rather than started.
  if (isCatalogLabel(config, user.adminImage)) return pick(user.adminImage, 'admin');
  if (isCatalogLabel(config, requested)) return pick(requested, 'user');
  if (isCatalogLabel(config, user.userImage)) return pick(user.userImage, 'user');
  const label = Object.keys(config.spawner.images).find((l) => config.spawner.images[l].image === config.spawner.image) ?? null;
  return { label, image: config.spawner.image, source: 'default' };
}
