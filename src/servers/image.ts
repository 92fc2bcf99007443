// Which image (catalog entry) a user's server starts from, and what the API and pages show as the user's image: one
// precedence, the hub.yaml pin > the admin's choice > the user's own pick > spawner.image (labelled by the catalog
// entry with that image, if any). Only catalog labels (or the default) can ever start (JupyterHub advisory
// GHSA-hfgr-h3vc-p6c2). An entry with `groups` is for their members only: others neither see nor pick it, but an
// admin's decision (a hub.yaml pin, an admin's choice) is not limited by it.
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
type CatalogEntry = Config['spawner']['images'][string];

/** What a catalog entry gives a container beyond its image, for pages to show beside the choice. */
export interface EntryResources {
  memLimit: number | null;
  cpuLimit: number | null;
  gpus: CatalogEntry['gpus'] | null;
}

/** One entry a user may pick, as the options page lists it. */
export interface CatalogChoice {
  label: string;
  description: string;
  image: string;
  resources: EntryResources;
  selected: boolean;
}

/** Whether `label` names a catalog entry. Own keys only: `constructor` or `__proto__` are no labels. */
export function isCatalogLabel(config: Catalog, label: unknown): label is string {
  return typeof label === 'string' && Object.hasOwn(config.spawner.images, label);
}

/** Whether a member of `memberOf` may see and pick the entry: it names no groups, or one of them. */
export function mayPick(entry: Pick<CatalogEntry, 'groups'>, memberOf: readonly string[]): boolean {
  return entry.groups.length === 0 || entry.groups.some((g) => memberOf.includes(g));
}

/** Every image a server can start from: spawner.image and each catalog entry's (a swarm puts them on every node). */
export function catalogImages(config: Catalog): string[] {
  return [...new Set([config.spawner.image, ...Object.values(config.spawner.images).map((entry) => entry.image)])];
}

/** The catalog's labels for a message, e.g. `"lab", "r"`. */
export function describeCatalog(config: Catalog): string {
  const labels = Object.keys(config.spawner.images);
  return labels.length > 0 ? labels.map((l) => JSON.stringify(l)).join(', ') : '(none: this hub offers only its default image)';
}

/**
 * The label a start request asks for, checked against the catalog and the user's groups (`memberOf`); undefined
 * when the request names none. 400 for a label outside the catalog, 403 naming the entry for one outside the groups.
 */
export function parseRequestedImage(config: Catalog, userOptions: Record<string, unknown>, memberOf: readonly string[] = []): string | undefined {
  const requested = userOptions.image;
  if (requested === undefined || requested === null || requested === '') return undefined;
  if (!isCatalogLabel(config, requested)) {
    throw new HttpError(400, `Image ${JSON.stringify(requested)} is not in the catalog: user_options.image must be one of the labels ${describeCatalog(config)}`);
  }
  const entry = config.spawner.images[requested];
  if (!mayPick(entry, memberOf)) {
    throw new HttpError(403, `Image ${JSON.stringify(requested)} (spawner.images.${requested}) is only for members of the groups ${entry.groups.join(', ')}; ` +
      'pick another entry, or ask an admin to add the user to one of these groups');
  }
  return requested;
}

/**
 * The image `user`'s next start gets, with `requested` the label a start request names and `memberOf` the user's
 * groups (groups/membership.ts). Without `requested` it is what the user's model shows (`image: {label, source}`),
 * so the API and the spawner cannot disagree.
 */
export function resolveImage(
  config: Pick<Config, 'spawner' | 'users'>,
  user: Pick<User, 'name' | 'adminImage' | 'userImage'>,
  requested?: string,
  memberOf: readonly string[] = [],
): ImageChoice {
  const images = config.spawner.images;
  const pick = (label: string, source: ImageChoice['source']): ImageChoice => ({ label, image: images[label].image, source });
  const own = (label: unknown): label is string => isCatalogLabel(config, label) && mayPick(images[label], memberOf);
  const pin = Object.hasOwn(config.users, user.name) ? config.users[user.name].image : undefined;
  if (isCatalogLabel(config, pin)) return pick(pin, 'file');
  // A stored choice whose label has since left the catalog (or the user's groups) is ignored rather than started.
  if (isCatalogLabel(config, user.adminImage)) return pick(user.adminImage, 'admin');
  if (own(requested)) return pick(requested, 'user');
  if (own(user.userImage)) return pick(user.userImage, 'user');
  // The default image takes the resources of an entry with that image only when the user may pick that entry.
  const label = Object.keys(images).find((l) => images[l].image === config.spawner.image && mayPick(images[l], memberOf)) ?? null;
  return { label, image: config.spawner.image, source: 'default' };
}

/** The entries a member of `memberOf` may pick, in catalog order, the one `current` names (else the first) selected. */
export function catalogChoices(config: Catalog, memberOf: readonly string[], current: string | null): CatalogChoice[] {
  const visible = Object.entries(config.spawner.images).filter(([, entry]) => mayPick(entry, memberOf));
  const selected = visible.some(([label]) => label === current) ? current : visible[0]?.[0];
  return visible.map(([label, entry]) => ({
    label,
    description: entry.description,
    image: entry.image,
    resources: { memLimit: entry.mem_limit ?? null, cpuLimit: entry.cpu_limit ?? null, gpus: entry.gpus ?? null },
    selected: label === selected,
  }));
}
