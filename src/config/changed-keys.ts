// Which keys of hub.yaml differ between two configs, as dotted paths (`auth.allowed_users`, `spawner.images.py`):
// sections and mappings are compared key by key, lists and values as a whole. Values are never part of the answer,
// so the list can be logged (service tokens stay out of the log).
import { isDeepStrictEqual } from 'node:util';

export function changedKeys(before: unknown, after: unknown, prefix = ''): string[] {
  if (isMapping(before) && isMapping(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((key) => changedKeys(before[key], after[key], prefix === '' ? key : `${prefix}.${key}`));
  }
  return isDeepStrictEqual(before, after) ? [] : [prefix];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
